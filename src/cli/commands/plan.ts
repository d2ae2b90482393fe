/**
 * `autodisco plan [deployment.yaml]` / `autodisco plan --config settings.yaml`: what to publish in DNS and the
 * directory, and which names the certificate needs; `--csr` writes a key and request for them, `--check` probes
 * what is served now. Options are validated before anything is written or sent; bad usage exits 2.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { Command } from 'commander';
import { createNodeResolver } from '../../adapters/node/dns.js';
import type { KeyType } from '../../pki/keys.js';
import { type CheckReport, checkPlan } from '../../plan/check.js';
import { type CsrWritten, writePlanCsr } from '../../plan/csr.js';
import { loadDeploymentFile } from '../../plan/deployment.js';
import { type DnsTarget, fromConfig, fromDeployment, type PlanInput } from '../../plan/input.js';
import { buildPlan, type Plan } from '../../plan/plan.js';
import { renderCheck, renderPlan } from '../../plan/render.js';
import { loadConfigFile } from '../../settings/validate.js';
import { command } from '../invocation.js';
import { collect, parseDnsServers, readCaFiles, usage } from '../options.js';
import { EXIT, reportError } from '../output.js';
import { registerPublishCommand } from './publish.js';

export interface PlanCliOptions {
  config?: string;
  address: string[];
  cname?: string;
  ttl?: string;
  rootDomain?: boolean;
  json?: boolean;
  csr?: string;
  keyType: string;
  includeInternal?: boolean;
  check?: boolean;
  dns: string[];
  ca: string[];
  timeout: string;
}

const KEY_TYPES: readonly KeyType[] = ['rsa', 'ecdsa'];

function parseTimeout(raw: string): number {
  const timeoutMs = Number(raw);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw usage(`--timeout "${raw}": expected a whole number of milliseconds from 1 to 600000`);
  }
  return timeoutMs;
}

function parseTarget(opts: PlanCliOptions): DnsTarget | undefined {
  if (opts.address.length > 0 && opts.cname !== undefined) {
    throw usage(`--address and --cname "${opts.cname}": give one (a name with a CNAME has no other records)`);
  }
  for (const a of opts.address) {
    if (isIP(a) === 0) throw usage(`--address "${a}": expected an IPv4 or IPv6 address, e.g. 203.0.113.10`);
  }
  if (opts.address.length > 0) return { addresses: opts.address };
  if (opts.cname !== undefined) {
    const host = domainToASCII(opts.cname.replace(/\.$/, '')).toLowerCase();
    if (host === '' || !host.includes('.'))
      throw usage(`--cname "${opts.cname}": expected a host name, e.g. lb.example.com`);
    return { cname: host };
  }
  return undefined;
}

function parseTtl(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ttl = Number(raw);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647) {
    throw usage(`--ttl "${raw}": expected a whole number of seconds from 0 to 2147483647`);
  }
  return ttl;
}

/** Reads the input (deployment file or configuration) and applies the command-line overrides. */
export async function planInputFromCli(file: string | undefined, opts: PlanCliOptions): Promise<PlanInput> {
  if ((file === undefined) === (opts.config === undefined)) {
    throw usage(
      file === undefined
        ? `give a deployment file (${command('plan deployment.yaml')}) or --config <settings.yaml>`
        : `deployment file "${file}" and --config "${opts.config}": give one of them`,
    );
  }
  const target = parseTarget(opts);
  const ttl = parseTtl(opts.ttl);
  if (opts.config !== undefined) {
    if (opts.rootDomain)
      throw usage('--root-domain: only for a deployment file (autodisco does not answer on the bare domain)');
    const config = await loadConfigFile(opts.config);
    if (config.domains.length === 0)
      throw usage(`--config ${opts.config}: the configuration has no domains to plan for`);
    return fromConfig(config, { ...(ttl === undefined ? {} : { ttl }), target: target ?? null });
  }
  const input = fromDeployment(await loadDeploymentFile(file as string));
  return {
    ...input,
    rootDomain: opts.rootDomain === true || input.rootDomain,
    dns: {
      ...input.dns,
      ...(ttl === undefined ? {} : { ttl }),
      ...(target === undefined ? {} : { external: target }),
    },
  };
}

export interface PlanOutcome {
  plan: Plan;
  csr?: CsrWritten;
  check?: CheckReport;
}

export async function planFromCli(file: string | undefined, opts: PlanCliOptions): Promise<PlanOutcome> {
  if (!KEY_TYPES.includes(opts.keyType as KeyType)) {
    throw usage(`--key-type "${opts.keyType}": expected ${KEY_TYPES.join(' or ')}`);
  }
  if (opts.includeInternal && opts.csr === undefined) throw usage('--include-internal goes with --csr <dir>');
  const timeoutMs = parseTimeout(opts.timeout);
  const dnsServers = parseDnsServers(opts.dns);
  if (!opts.check && (opts.dns.length > 0 || opts.ca.length > 0)) {
    throw usage(`${opts.dns.length > 0 ? '--dns' : '--ca'} is used by --check only; add --check`);
  }
  const ca = await readCaFiles(opts.ca);
  const plan = buildPlan(await planInputFromCli(file, opts));
  const outcome: PlanOutcome = { plan };
  if (opts.csr !== undefined) {
    outcome.csr = await writePlanCsr(plan, opts.csr, {
      keyType: opts.keyType as KeyType,
      includeInternal: opts.includeInternal === true,
    });
  }
  if (opts.check) {
    const resolver = createNodeResolver({ servers: dnsServers, timeoutMs });
    outcome.check = await checkPlan(plan, { resolver, ca, timeoutMs });
  }
  return outcome;
}

function renderCsr(csr: CsrWritten): string {
  const lines = [
    'CSR',
    `  ${csr.request}: ${csr.names.join(', ')} (subject CN=${csr.names[0]}, ${csr.keyType.toUpperCase()} key)`,
    `  ${csr.key}: the private key (mode 0600): keep it to install the issued certificate`,
  ];
  if (csr.leftOut.length > 0) {
    lines.push(`  left out (no public CA issues them; --include-internal for your own CA): ${csr.leftOut.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `plan` and `publish scp`. */
export function registerPlanCommands(program: Command): void {
  registerPlanCommand(program);
  registerPublishCommand(program);
}

function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description(
      'plan DNS records, SCP entries and certificate names for a deployment (or a server configuration); write a CSR; check what is served',
    )
    .argument('[deployment]', 'deployment YAML (schemas/deployment.schema.json), e.g. examples/deployment.example.yaml')
    .option('--config <file>', 'plan from the server configuration autodisco serves instead')
    .option('--address <ip>', 'where the names point (A/AAAA; repeatable; replaces dns.externalAddresses)', collect, [])
    .option('--cname <host>', 'or point them at this host name (CNAME; replaces dns.loadBalancer)')
    .option('--ttl <seconds>', 'TTL of the planned records (default: dns.ttl, else 3600)')
    .option('--root-domain', 'the bare domains should answer Autodiscover too (puts them on the certificate)')
    .option('--json', 'print the plan (and CSR / check results) as JSON on stdout')
    .option(
      '--csr <dir>',
      'write key.pem (0600) and request.csr carrying exactly the certificate names into this folder (created if its parent exists)',
    )
    .option('--key-type <type>', `key for --csr: ${KEY_TYPES.join(' or ')}`, 'rsa')
    .option('--include-internal', 'with --csr: also request names no public CA issues (for your own CA)')
    .option('--check', 'connect to every named host and report the required names its certificate lacks')
    .option(
      '--dns <ip[:port]>',
      'with --check: resolve through this DNS server (repeatable, tried in order)',
      collect,
      [],
    )
    .option('--ca <pem-file>', 'with --check: extra trusted root certificates (repeatable)', collect, [])
    .option('--timeout <ms>', 'with --check: limit for each lookup and handshake', '10000')
    .action(async (file: string | undefined, opts: PlanCliOptions) => {
      try {
        const outcome = await planFromCli(file, opts);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ ...outcome.plan, csr: outcome.csr, check: outcome.check }, null, 2)}\n`,
          );
        } else {
          let text = renderPlan(outcome.plan);
          if (outcome.csr !== undefined) text += `\n${renderCsr(outcome.csr)}`;
          if (outcome.check !== undefined) text += `\n${renderCheck(outcome.check)}`;
          process.stdout.write(text);
        }
        process.exitCode = outcome.check === undefined || outcome.check.ok ? EXIT.ok : EXIT.failed;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
