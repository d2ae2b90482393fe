import type { Command } from 'commander';
import { parseDn } from '../../ldap/dn.js';
import { loadDeploymentFile } from '../../plan/deployment.js';
import { fromDeployment } from '../../plan/input.js';
import { type PublishReport, publishScp } from '../../plan/publish.js';
import { collect, readCaFiles, secretFromEnv, usage } from '../options.js';
import { EXIT, reportError } from '../output.js';

interface PublishCliOptions {
  ldap?: string;
  bindDn?: string;
  passwordEnv?: string;
  dryRun?: boolean;
  configNc?: string;
  ca: string[];
  timeout: string;
  json?: boolean;
}

export async function publishFromCli(file: string, opts: PublishCliOptions): Promise<PublishReport> {
  if (opts.ldap !== undefined && !/^ldaps?:\/\/[^/]+\/?$/i.test(opts.ldap)) {
    throw usage(`--ldap "${opts.ldap}": expected ldap://host[:port] or ldaps://host[:port]`);
  }
  if (opts.ldap === undefined && !opts.dryRun) throw usage('--ldap <url> is required (or --dry-run to print the LDIF)');
  if (opts.ldap === undefined && opts.configNc === undefined) {
    throw usage('--dry-run without --ldap needs --config-nc <dn> (e.g. CN=Configuration,DC=contoso,DC=com)');
  }
  if ((opts.bindDn === undefined) !== (opts.passwordEnv === undefined)) {
    throw usage('--bind-dn and --password-env go together');
  }
  if (opts.configNc !== undefined && !(parseDn(opts.configNc)?.length ?? 0)) {
    throw usage(`--config-nc "${opts.configNc}": expected a DN, e.g. CN=Configuration,DC=contoso,DC=com`);
  }
  const timeoutMs = Number(opts.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw usage(`--timeout "${opts.timeout}": expected a whole number of milliseconds from 1 to 600000`);
  }
  const password = secretFromEnv('--password-env', opts.passwordEnv);
  const ca = await readCaFiles(opts.ca);
  const input = fromDeployment(await loadDeploymentFile(file));
  return publishScp(input, {
    dryRun: opts.dryRun === true,
    timeoutMs,
    ca,
    ...(opts.ldap === undefined ? {} : { url: opts.ldap }),
    ...(opts.bindDn === undefined ? {} : { bindDn: opts.bindDn }),
    ...(password === undefined ? {} : { password }),
    ...(opts.configNc === undefined ? {} : { configNc: opts.configNc }),
  });
}

function renderReport(report: PublishReport): string {
  const verb = report.dryRun ? 'would add' : 'added';
  const lines = [`configuration naming context: ${report.configNc}`];
  for (const e of report.entries) {
    const what = e.outcome === 'added' ? verb : e.outcome;
    lines.push(`  ${what.padEnd(9)} ${e.kind === 'scp' ? 'SCP      ' : 'container'} ${e.dn}`);
    if (e.detail !== undefined) lines.push(`            ${e.detail}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerPublishCommand(program: Command): void {
  const publish = program.command('publish').description('publish what `autodisco plan` planned');
  publish
    .command('scp')
    .description(
      "write each Client Access server's Autodiscover SCP (URL, Site= keywords) into the directory, as Exchange setup does",
    )
    .argument('<deployment>', 'deployment YAML (schemas/deployment.schema.json)')
    .option('--ldap <url>', 'the domain controller: ldap://host[:port] or ldaps://host[:port]')
    .option('--bind-dn <dn>', 'account that may create objects in the configuration naming context')
    .option('--password-env <VAR>', 'environment variable holding its password')
    .option('--config-nc <dn>', 'configuration naming context (default: read from the root DSE)')
    .option('--dry-run', 'write nothing: print the LDIF of what would be added (as ldifde -i takes it)')
    .option('--ca <pem-file>', 'extra trusted root certificates for ldaps:// (repeatable)', collect, [])
    .option('--timeout <ms>', 'limit for the connection and each LDAP operation', '10000')
    .option('--json', 'print the report as JSON on stdout')
    .action(async (file: string, opts: PublishCliOptions) => {
      try {
        const report = await publishFromCli(file, opts);
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (opts.dryRun) process.stdout.write(report.ldif);
        else process.stdout.write(renderReport(report));
        if (opts.dryRun && !opts.json) process.stderr.write(renderReport(report));
        process.exitCode = report.ok ? EXIT.ok : EXIT.failed;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
