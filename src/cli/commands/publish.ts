/**
 * `autodisco publish scp <deployment.yaml>`: the Autodiscover SCP of every Client Access server in the deployment,
 * written into the directory over LDAP (or, with --dry-run, printed as LDIF). Bad usage exits 2; an SCP that could
 * not be written, or one already there with another URL, exits 1.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AutodiscoError } from '../../errors.js';
import { parseDn } from '../../ldap/dn.js';
import { loadDeploymentFile } from '../../plan/deployment.js';
import { fromDeployment } from '../../plan/input.js';
import { type PublishReport, publishScp } from '../../plan/publish.js';
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

const collect = (value: string, previous: string[]) => [...previous, value];

function usage(message: string): AutodiscoError {
  return new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', message);
}

/** --ca files, checked to hold PEM certificates (shared with plan --check). */
export async function readCaFiles(files: readonly string[]): Promise<string[]> {
  const pems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw usage(`--ca ${file}: cannot read the file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----'))
      throw usage(`--ca ${file}: expected PEM certificates (-----BEGIN CERTIFICATE-----)`);
    pems.push(text);
  }
  return pems;
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
  let password: string | undefined;
  if (opts.passwordEnv !== undefined) {
    password = process.env[opts.passwordEnv];
    if (password === undefined || password === '') {
      throw usage(`--password-env ${opts.passwordEnv}: that environment variable is not set`);
    }
  }
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
