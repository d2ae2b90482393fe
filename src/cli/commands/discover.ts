import type { Command } from 'commander';
import { addCrossClientFindings } from '../../diagnose/cross-client.js';
import { diagnose } from '../../diagnose/diagnose.js';
import { checkAddress } from '../../discover/candidates.js';
import { runDiscovery } from '../../discover/engine.js';
import { createNodePorts } from '../../discover/node-ports.js';
import { PROFILE_NAMES, PROFILES } from '../../discover/profiles.js';
import type { DiscoveryReport, ProfileName, StepMethod } from '../../discover/report.js';
import { siteProblem } from '../../discover/site.js';
import { compareReports, renderComparison, renderText } from '../../discover/text.js';
import { caOption, checkLdapUrl, dnsOption, parseDnsServers, readCaFiles, secretFromEnv, usage } from '../options.js';
import { EXIT, reportError } from '../output.js';

export interface DiscoverCliOptions {
  client: string;
  dns: string[];
  ca: string[];
  ldap?: string;
  ldapBindDn?: string;
  ldapPasswordEnv?: string;
  site?: string;
  exclude?: string;
  user?: string;
  passwordEnv?: string;
  accept?: string;
  timeout: string;
  budget?: string;
  json?: boolean;
  /** Nothing ahead of the walk: no DNS lookup, handshake or request of a later candidate (slower). */
  sequential?: boolean;
  /** Also send the unauthenticated requests of later candidates early (servers then see extra requests). */
  prefetchRequests?: boolean;
}

const EXCLUDABLE: readonly StepMethod[] = ['scp', 'root-domain', 'autodiscover-domain', 'http-redirect', 'srv'];
const ANSWERS = ['redirect', 'certificate'] as const;

function commaList<T extends string>(option: string, raw: string | undefined, allowed: readonly T[]): T[] {
  if (raw === undefined) return [];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T))
      throw usage(`${option} "${item}": expected a comma list of ${allowed.join(', ')}`);
  }
  return items as T[];
}

/** `--client outlook,ews`: two or more profiles, each once, compared side by side as with `all`. */
function clientList(raw: string): ProfileName[] {
  const clients = commaList('--client', raw, PROFILE_NAMES);
  if (clients.length < 2 || new Set(clients).size !== clients.length) {
    throw usage(`--client "${raw}": expected two or more different profiles separated by commas, e.g. outlook,ews`);
  }
  return clients;
}

/** The contract's options, shared by `discover` and `lab run`. */
export function registerDiscoverOptions(command: Command): Command {
  return command
    .option(
      '--client <profile>',
      `whose lookup to reproduce: ${PROFILE_NAMES.join(', ')}; all, or a comma list such as outlook,ews (side by side)`,
      'outlook',
    )
    .addOption(dnsOption())
    .addOption(caOption())
    .option('--ldap <url>', 'domain-joined: run the SCP step against this domain controller (ldap:// or ldaps://)')
    .option('--ldap-bind-dn <dn>', 'bind DN for the SCP search (anonymous when absent)')
    .option('--ldap-password-env <VAR>', 'environment variable holding the bind password')
    .option('--site <name>', "the client's directory site, for SCP site affinity")
    .option('--exclude <steps>', `comma list of steps to skip: ${EXCLUDABLE.join(', ')}`)
    .option('--user <name>', 'user name for the POST (Basic)')
    .option('--password-env <VAR>', 'environment variable holding the password')
    .option('--accept <answers>', 'answer prompts in advance: redirect, certificate')
    .option(
      '--timeout <ms>',
      'deadline for each network step as a whole (connect, TLS, request, whole answer), not an idle timer',
      '10000',
    )
    .option('--budget <ms>', "deadline for the whole lookup (default: the profile's plan steps + 2, times --timeout)")
    .option('--json', 'print the JSON report on stdout, and nothing else there')
    .option(
      '--sequential',
      'start nothing ahead of the walk, not even the DNS lookups and TLS handshakes of later candidates (slower)',
    )
    .option(
      '--prefetch-requests',
      'also send the unauthenticated requests of later candidates early (faster; servers then see requests the client would not make)',
    );
}

/** Runs the discovery (or every client's, with --client all), prints it, and returns the contract's exit status. */
export async function discoverAndPrint(email: string, opts: DiscoverCliOptions): Promise<number> {
  const several = opts.client === 'all' ? PROFILE_NAMES : opts.client.includes(',') ? clientList(opts.client) : null;
  if (several) {
    const reports: DiscoveryReport[] = [];
    // One client after another: they would not run at once on a user's machine either.
    for (const client of several) reports.push(await discoverFromCli(email, { ...opts, client }));
    // What only the clients side by side show: autoconfig and Autodiscover answering differently.
    addCrossClientFindings(reports);
    process.stdout.write(
      opts.json ? `${JSON.stringify(compareReports(reports), null, 2)}\n` : renderComparison(reports),
    );
    return exitForAll(reports);
  }
  const report = await discoverFromCli(email, opts);
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
  return exitFor(report);
}

export function registerDiscoverCommand(program: Command): void {
  const command = program
    .command('discover')
    .description(
      "reproduce a mail client's Autodiscover lookup for an address, step by step, with certificate evidence",
    )
    .argument('<email>', 'the address to look up');
  registerDiscoverOptions(command).action(async (email: string, opts: DiscoverCliOptions) => {
    try {
      process.exitCode = await discoverAndPrint(email, opts);
    } catch (err) {
      process.exitCode = reportError(err);
    }
  });
}

function exitFor(report: DiscoveryReport): number {
  return report.outcome === 'settings' ? EXIT.ok : report.outcome === 'prompt' ? EXIT.prompt : EXIT.failed;
}

/** --client all: 0 when every client gets settings, 1 when any fails, else 3 (some stop at a prompt). */
function exitForAll(reports: readonly DiscoveryReport[]): number {
  if (reports.every((r) => r.outcome === 'settings')) return EXIT.ok;
  return reports.some((r) => r.outcome === 'failed') ? EXIT.failed : EXIT.prompt;
}

/** Refuses, as bad usage, an address no client would look up (before anything starts: a lab, a request). */
export function checkCliAddress(email: string): void {
  const address = checkAddress(email);
  if (!address.ok) throw usage(`${address.reason}; give an address such as chris@contoso.com`);
}

export async function discoverFromCli(email: string, opts: DiscoverCliOptions): Promise<DiscoveryReport> {
  // A bad address is bad usage (exit 2, one line, no findings): the engine would otherwise report a lookup that
  // never started, and the diagnosis propose records for a name that is not a mail domain. The engine keeps its
  // own refusal for addresses that arrive from servers (redirectAddr targets).
  checkCliAddress(email);
  if (!PROFILE_NAMES.includes(opts.client as ProfileName)) {
    throw usage(`--client "${opts.client}": expected one of ${PROFILE_NAMES.join(', ')}, all, or a comma list of them`);
  }
  const timeoutMs = Number(opts.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw usage(`--timeout "${opts.timeout}": expected a whole number of milliseconds from 1 to 600000`);
  }
  let budgetMs: number | undefined;
  if (opts.budget !== undefined) {
    budgetMs = Number(opts.budget);
    if (!Number.isInteger(budgetMs) || budgetMs < 1 || budgetMs > 3_600_000) {
      throw usage(`--budget "${opts.budget}": expected a whole number of milliseconds from 1 to 3600000`);
    }
  }
  const dnsServers = parseDnsServers(opts.dns);
  if (opts.ldap !== undefined) checkLdapUrl('--ldap', opts.ldap);
  if ((opts.ldapBindDn === undefined) !== (opts.ldapPasswordEnv === undefined)) {
    throw usage('--ldap-bind-dn and --ldap-password-env go together');
  }
  if (opts.site !== undefined) {
    const problem = siteProblem(opts.site);
    if (problem) throw usage(`--site "${opts.site}": ${problem}`);
    if (opts.ldap === undefined) {
      throw usage('--site goes with --ldap: the site only orders the SCPs, which are read from a domain controller');
    }
  }
  if ((opts.user === undefined) !== (opts.passwordEnv === undefined))
    throw usage('--user and --password-env go together');
  if (opts.sequential && opts.prefetchRequests) {
    throw usage('--sequential and --prefetch-requests exclude each other: --sequential starts nothing ahead');
  }
  const exclude = new Set(commaList('--exclude', opts.exclude, EXCLUDABLE));
  const answers = commaList('--accept', opts.accept, ANSWERS);
  const ldapPassword = secretFromEnv('--ldap-password-env', opts.ldapPasswordEnv);
  const password = secretFromEnv('--password-env', opts.passwordEnv);
  const ca = await readCaFiles(opts.ca);

  const report = await runDiscovery(
    {
      email,
      profile: PROFILES[opts.client as ProfileName],
      exclude,
      accept: { redirect: answers.includes('redirect'), certificate: answers.includes('certificate') },
      timeoutMs,
      ...(budgetMs !== undefined ? { budgetMs } : {}),
      ca,
      concurrent: !opts.sequential,
      prefetchRequests: opts.prefetchRequests === true,
      ...(opts.ldap
        ? {
            ldap: {
              url: opts.ldap,
              ...(opts.ldapBindDn && ldapPassword ? { bindDN: opts.ldapBindDn, password: ldapPassword } : {}),
            },
          }
        : {}),
      ...(opts.site ? { site: opts.site } : {}),
      ...(opts.user && password ? { credentials: { user: opts.user, password } } : {}),
    },
    createNodePorts({ dnsServers, timeoutMs }),
  );
  report.findings = diagnose(report);
  return report;
}
