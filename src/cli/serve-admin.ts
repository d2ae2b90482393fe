/**
 * `serve --ui` and its options: the admin layer (web UI, admin API, diagnoses) built from the command line.
 * Kept out of serve.ts so the server's lifecycle there stays about listeners.
 */
import type { Command } from 'commander';
import type { FastifyBaseLogger } from 'fastify';
import { FleetSource } from '../audit/fleet-source.js';
import { DEFAULT_RESULTS_DB } from '../audit/sqlite-results.js';
import type { AdminStore } from '../auth/admin-store.js';
import { Auth } from '../auth/auth.js';
import { openAdminStoreAt } from '../auth/open-admin-store.js';
import { hashPassword } from '../auth/password.js';
import { newSecret } from '../auth/secrets.js';
import { createNodePorts } from '../discover/node-ports.js';
import { auditCommand } from '../server/api/audits-query.js';
import type { AdminDeps } from '../server/api/context.js';
import { guardPorts } from '../server/diagnoses/address-guard.js';
import { Diagnoses } from '../server/diagnoses/diagnoses.js';
import { isDatabaseUrl, urlHasPassword } from '../store/postgres/url.js';
import type { ManagedStore } from '../store/store.js';
import { shellQuote } from './invocation.js';
import { checkLdapUrl, collect, parseDnsServers, readCaFiles, secretFromEnv, usage } from './options.js';
import { displayDb, importConfig } from './store.js';

export interface AdminCliOptions {
  ui?: boolean;
  publicDiagnose?: boolean;
  allowPrivate?: boolean;
  diagnoseDns: string[];
  diagnoseCa: string[];
  maxDiagnoses: string;
  devAdmin?: boolean;
  auditDb?: string;
  diagnoseLdap?: string;
  diagnoseLdapBindDn?: string;
  diagnoseLdapPasswordEnv?: string;
}

/** Each network step of a web diagnosis gets this long, as `discover --timeout`. */
const DIAGNOSE_TIMEOUT_MS = 10_000;
/** Diagnoses one account (or, with --public-diagnose, one client address) may start per minute. */
const DIAGNOSES_PER_MINUTE = 10;

export function registerAdminOptions(command: Command): Command {
  return command
    .option(
      '--ui',
      'serve the web UI under /ui/ and the admin API under /api/v1/ (log in with an account of `autodisco admin add-user`)',
    )
    .option('--public-diagnose', 'with --ui: anyone may run diagnoses without logging in (rate-limited per address)')
    .option(
      '--allow-private',
      'with --ui: diagnoses may connect to loopback, private and other special addresses (the lab needs it)',
    )
    .option(
      '--diagnose-dns <ip[:port]>',
      'with --ui: resolve the names of diagnoses through this DNS server (repeatable)',
      collect,
      [],
    )
    .option('--diagnose-ca <pem-file>', 'with --ui: extra trusted roots for diagnoses (repeatable)', collect, [])
    .option(
      '--diagnose-ldap <url>',
      "with --ui and --allow-private: diagnoses of Outlook search this domain controller for SCPs, as a domain-joined client does (the form's site field)",
    )
    .option('--diagnose-ldap-bind-dn <dn>', 'with --diagnose-ldap: bind DN for the SCP search (anonymous when absent)')
    .option(
      '--diagnose-ldap-password-env <VAR>',
      'with --diagnose-ldap-bind-dn: environment variable holding its password',
    )
    .option('--max-diagnoses <n>', 'with --ui: diagnoses running at once, at most', '4')
    .option(
      '--audit-db <path|url>',
      `with --ui: the results store of \`autodisco audit\` and \`watch\` the fleet pages read: an SQLite file (default: "${DEFAULT_RESULTS_DB}", read once an audit has made it) or postgres://USER@HOST:PORT/DB`,
    )
    .option(
      '--dev-admin',
      'with --ui, for development: create the account "admin" if there is none and print a one-time login link',
    );
}

/** Checks the admin options that need no file (before anything is opened); returns --max-diagnoses. */
export function checkAdminOptions(opts: AdminCliOptions): number {
  const needsUi = (['publicDiagnose', 'allowPrivate', 'devAdmin', 'auditDb', 'diagnoseLdap'] as const).find(
    (k) => opts[k],
  );
  if (!opts.ui) {
    if (needsUi) throw usage(`--${needsUi.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} goes with --ui`);
    if (opts.diagnoseDns.length || opts.diagnoseCa.length) throw usage('--diagnose-dns and --diagnose-ca go with --ui');
  }
  if (opts.diagnoseLdap !== undefined) {
    checkLdapUrl('--diagnose-ldap', opts.diagnoseLdap);
    if (!opts.allowPrivate) {
      throw usage(
        '--diagnose-ldap needs --allow-private: a domain controller and the SCP URLs it holds are inside the network, where the diagnose guard does not connect',
      );
    }
  }
  if ((opts.diagnoseLdapBindDn === undefined) !== (opts.diagnoseLdapPasswordEnv === undefined)) {
    throw usage('--diagnose-ldap-bind-dn and --diagnose-ldap-password-env go together');
  }
  if (opts.diagnoseLdapBindDn !== undefined && opts.diagnoseLdap === undefined) {
    throw usage('--diagnose-ldap-bind-dn goes with --diagnose-ldap');
  }
  const max = Number(opts.maxDiagnoses);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw usage(`--max-diagnoses "${opts.maxDiagnoses}": expected a whole number from 1 to 100`);
  }
  return max;
}

/**
 * The admin layer of `serve --ui`, or undefined without --ui. Its accounts, sessions, tokens and stored diagnoses
 * live where the settings do (`--db`: the SQLite file or the PostgreSQL database), in tables of their own.
 */
export async function adminFromCli(
  opts: AdminCliOptions,
  db: string,
  settings: ManagedStore,
  logger?: FastifyBaseLogger,
): Promise<{ deps: AdminDeps; store: AdminStore } | undefined> {
  const max = checkAdminOptions(opts);
  if (!opts.ui) return undefined;
  const dnsServers = parseDnsServers(opts.diagnoseDns, '--diagnose-dns');
  const ca = await readCaFiles(opts.diagnoseCa);
  const ldapPassword = secretFromEnv('--diagnose-ldap-password-env', opts.diagnoseLdapPasswordEnv);
  const ldap = opts.diagnoseLdap
    ? {
        url: opts.diagnoseLdap,
        ...(opts.diagnoseLdapBindDn && ldapPassword ? { bindDN: opts.diagnoseLdapBindDn, password: ldapPassword } : {}),
      }
    : undefined;
  const fleet = new FleetSource(opts.auditDb ?? DEFAULT_RESULTS_DB, opts.auditDb === undefined);
  // A file that is there but is no results store (or a database that cannot be reached) is said now, not on the
  // first visit of the fleet page.
  await fleet.reader();
  const store = await openAdminStoreAt(db);
  const diagnoses = new Diagnoses(store, {
    ports: () => {
      const ports = createNodePorts({ dnsServers, timeoutMs: DIAGNOSE_TIMEOUT_MS });
      return opts.allowPrivate ? ports : guardPorts(ports);
    },
    ca,
    ...(ldap ? { ldap } : {}),
    timeoutMs: DIAGNOSE_TIMEOUT_MS,
    maxConcurrent: max,
    perRequester: DIAGNOSES_PER_MINUTE,
    windowMs: 60_000,
    onStoreError: (err) =>
      logger?.error(
        { err },
        "a diagnosis event could not be written to the admin store; other workers' followers miss it",
      ),
  });
  const deps: AdminDeps = {
    adminStore: store,
    auth: new Auth(store),
    diagnoses,
    options: { ui: true, publicDiagnose: opts.publicDiagnose === true, directory: ldap !== undefined },
    fleet,
    importer: (config, allowEmpty) =>
      importConfig(settings, config, { db, source: 'the uploaded configuration', allowEmpty }),
  };
  return { deps, store };
}

/** What to print about logging in: the development admin's one-time link, or how to create the first account. */
export async function loginLines(
  deps: AdminDeps,
  opts: AdminCliOptions,
  baseUrl: string | undefined,
  db: string,
  cmd: (s: string) => string,
): Promise<string> {
  const accounts = await deps.adminStore.countAccounts();
  if (opts.devAdmin && baseUrl) {
    if (accounts === 0) {
      // A random password nobody knows: the login link is the way in; `admin add-user admin --reset` sets one.
      await deps.adminStore.addAccount('admin', await hashPassword(newSecret()), new Date());
    }
    if (await deps.adminStore.findAccount('admin')) {
      const secret = await deps.auth.createLoginLink('admin');
      return `Web UI: ${baseUrl}/ui/ — one-time login link (valid 15 minutes, works once):\n  ${baseUrl}/ui/welcome#${secret}\n`;
    }
  }
  if (accounts === 0) {
    return `Web UI: ${baseUrl ?? ''}/ui/ — no account yet; create one with:\n  ${cmd(`admin add-user <name> --db ${shellQuote(displayDb(db))}`)}\n`;
  }
  return `Web UI: ${baseUrl ?? ''}/ui/\n`;
}

/** Where the fleet pages read audit results, or how to produce the first ones. */
export async function fleetLine(fleet: FleetSource | undefined): Promise<string> {
  if (!fleet) return '';
  if (await fleet.reader()) return `Fleet: audit results from ${fleet.label} (/ui/fleet)\n`;
  // The printed command carries no password: with one in the URL, say where it goes instead.
  const password =
    isDatabaseUrl(fleet.location) && urlHasPassword(fleet.location) ? ' (with the password in PGPASSWORD)' : '';
  return `Fleet: no audit results at ${fleet.label} yet; produce them with${password}:\n  ${auditCommand(fleet)}\n`;
}
