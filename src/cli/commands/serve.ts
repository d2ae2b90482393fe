import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { AutodiscoError } from '../../errors.js';
import { loadSigner, type ProfileSigner } from '../../formats/sign-profile.js';
import {
  ClusterSupervisor,
  clusterMetricsSource,
  isClusterWorker,
  serveAsWorker,
  WorkerStartFailed,
} from '../../server/cluster.js';
import { type ListenOptions, loadTls, startMetricsListener, startServer } from '../../server/listen.js';
import { createLogger } from '../../server/logger.js';
import { ServerMetrics } from '../../server/metrics.js';
import type { ManagedStore, StoreHealth } from '../../store/store.js';
import { fileReason } from '../files.js';
import { importFile } from '../import-file.js';
import { command, shellQuote } from '../invocation.js';
import { parseHostPort } from '../options.js';
import { reportError } from '../output.js';
import {
  type AdminCliOptions,
  adminFromCli,
  checkAdminOptions,
  fleetLine,
  loginLines,
  registerAdminOptions,
} from '../serve-admin.js';
import { DEFAULT_DB, describeSnapshot, displayDb, openStore } from '../store.js';

interface ServeOptions extends AdminCliOptions {
  config?: string;
  db: string;
  http?: string | false;
  httpMode?: 'redirect' | 'full';
  https?: string;
  cert?: string;
  key?: string;
  signCert?: string;
  signKey?: string;
  signChain?: string;
  logLevel: string;
  logAddresses?: boolean;
  metrics?: string;
  soap: boolean;
  trustProxy?: string;
  allowEmpty?: boolean;
  workers?: string;
}

async function readText(
  path: string,
  option: string,
  code: 'ADK_ERR_SIGNING' | 'ADK_ERR_TLS_FILES' = 'ADK_ERR_SIGNING',
): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new AutodiscoError(code, `${option} ${path}: cannot read the file: ${fileReason(cause, 'read')}`, { cause });
  }
}

/** The POX request Outlook sends, for the "Try it" line. */
function sampleRequest(address: string): string {
  return `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${address}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('answer Autodiscover, autoconfig, v2 JSON and Apple profile requests from the store')
    .option(
      '--config <file>',
      'import this configuration at start (all or nothing; creates the database if missing, keeps a snapshot)',
    )
    .option(
      '--db <path|url>',
      'SQLite database file (must exist unless --config is given) or postgres://user@host:port/db',
      DEFAULT_DB,
    )
    .option('--allow-empty', 'with --config: allow a file without domains to delete every stored domain')
    .option('--http <host:port>', 'plain HTTP listener', '127.0.0.1:8080')
    .option('--no-http', 'no plain HTTP listener')
    .option(
      '--http-mode <mode>',
      'plain HTTP serves "full" answers or only the "redirect" to HTTPS (default: redirect when --https is given, else full)',
    )
    .option('--https <host:port>', 'HTTPS listener (needs --cert and --key; SIGHUP reloads them)')
    .option('--cert <file>', 'PEM certificate chain for HTTPS')
    .option('--key <file>', 'PEM private key for HTTPS')
    .option('--sign-cert <file>', 'sign Apple profiles with this PEM certificate')
    .option('--sign-key <file>', 'PEM private key of --sign-cert')
    .option('--sign-chain <file>', 'PEM intermediates sent with the profile signature')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .option('--log-addresses', 'log full e-mail addresses (masked by default)')
    .option(
      '--metrics <host:port>',
      'serve Prometheus /metrics on this separate listener, e.g. 127.0.0.1:9464 (off by default)',
    )
    .option('--no-soap', 'do not serve SOAP Autodiscover (/autodiscover/autodiscover.svc) nor advertise it; POX only')
    .option(
      '--workers <n>',
      `processes sharing the listeners (default: the number of cores, here ${availableParallelism()}; 1: a single process)`,
    )
    .option('--trust-proxy <list>', 'comma list of proxy addresses whose X-Forwarded-* headers are believed');
  registerAdminOptions(program.commands.at(-1) as Command).action(async (opts: ServeOptions) => {
    try {
      if (isClusterWorker()) await serveWorker(opts);
      else await serve(opts, process.argv.slice(2));
    } catch (err) {
      process.exitCode = reportError(err);
      // A worker's channel to the primary would keep it alive: it exits at once, and the primary reports it.
      if (isClusterWorker()) process.exit(process.exitCode);
    }
  });
}

/** `--workers`: a whole number from 1 to 256; the number of cores when not given. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const n = /^\d{1,3}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= 256)) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `--workers "${value}": expected a whole number from 1 to 256 (1 runs a single process)`,
    );
  }
  return n;
}

/**
 * The number of processes: --workers, else the number of cores. With --ui too: the accounts, sessions and the
 * diagnoses' events and limits live in the admin store every worker opens (see diagnoses.ts).
 */
function workersFor(opts: ServeOptions): number {
  return parseWorkers(opts.workers);
}

/** Whether the command line names this option (`--http X` or `--http=X`). */
const given = (argv: readonly string[], option: string) => argv.some((a) => a === option || a.startsWith(`${option}=`));

/** Checks the options that need no file or socket; returns the warnings to print. */
export function checkServeOptions(opts: ServeOptions, argv: readonly string[]): string[] {
  if (given(argv, '--http') && given(argv, '--no-http')) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      '--http and --no-http conflict: give --http <host:port> for a plain HTTP listener, or --no-http for none',
    );
  }
  if (opts.https && (!opts.cert || !opts.key)) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', '--https needs --cert <file> and --key <file>');
  }
  if (!opts.https && (opts.cert || opts.key)) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `${opts.cert ? '--cert' : '--key'} is used by the HTTPS listener only: add --https <host:port>`,
    );
  }
  if (opts.httpMode && opts.httpMode !== 'full' && opts.httpMode !== 'redirect') {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `--http-mode "${opts.httpMode}": expected full or redirect`);
  }
  if (!opts.http && !opts.https) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', 'no listener: --no-http needs --https <host:port>');
  }
  parseWorkers(opts.workers);
  if (opts.allowEmpty && !opts.config) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', '--allow-empty goes with --config <file>');
  }
  const warnings: string[] = [];
  const http = opts.http ? parseHostPort(opts.http, '--http') : undefined;
  const https = opts.https ? parseHostPort(opts.https, '--https') : undefined;
  if (http?.port === 443) {
    warnings.push(
      `--http ${opts.http}: port 443 is the HTTPS port; clients will speak TLS to this plain-HTTP listener and fail. Use --https ${opts.http} --cert <file> --key <file> there, and --http on port 80 (or 8080).`,
    );
  }
  if (https?.port === 80) {
    warnings.push(
      `--https ${opts.https}: port 80 is the plain HTTP port; clients connect there without TLS and fail. Serve HTTPS on 443.`,
    );
  }
  if (opts.metrics) {
    const metrics = parseHostPort(opts.metrics, '--metrics');
    const clash = [http, https].some((l) => l && l.port === metrics.port && l.port !== 0 && l.host === metrics.host);
    if (clash) {
      throw new AutodiscoError(
        'ADK_ERR_INVALID_ARGUMENT',
        `--metrics ${opts.metrics}: that is an Autodiscover listener's address; give /metrics its own port, e.g. 127.0.0.1:9464`,
      );
    }
  }
  return warnings;
}

/** An address that gets a real answer from this store: a stored user of the first served domain, if any. */
async function sampleAddress(store: ManagedStore): Promise<string | undefined> {
  const domain = (await store.servedDomains())[0];
  if (!domain) return undefined;
  return (await store.sampleUser(domain)) ?? `someone@${domain}`;
}

async function loadSignerOf(opts: ServeOptions): Promise<ProfileSigner | undefined> {
  if (!opts.signCert && !opts.signKey) return undefined;
  if (!opts.signCert || !opts.signKey) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', '--sign-cert and --sign-key go together');
  }
  return loadSigner({
    certificatePem: await readText(opts.signCert, '--sign-cert'),
    privateKeyPem: await readText(opts.signKey, '--sign-key'),
    ...(opts.signChain ? { chainPem: await readText(opts.signChain, '--sign-chain') } : {}),
  });
}

/** The listeners of the command line; the /metrics one only when this process serves it (not a worker's). */
function listenOptions(opts: ServeOptions, withMetrics: boolean): ListenOptions {
  return {
    ...(opts.http
      ? { http: { ...parseHostPort(opts.http, '--http'), mode: opts.httpMode ?? (opts.https ? 'redirect' : 'full') } }
      : {}),
    ...(opts.https && opts.cert && opts.key
      ? { https: { ...parseHostPort(opts.https, '--https'), certFile: opts.cert, keyFile: opts.key } }
      : {}),
    ...(withMetrics && opts.metrics ? { metrics: parseHostPort(opts.metrics, '--metrics') } : {}),
    soap: opts.soap,
    logAddresses: opts.logAddresses ?? false,
    ...(opts.trustProxy ? { trustProxy: opts.trustProxy.split(',').map((s) => s.trim()) } : {}),
  };
}

async function serve(opts: ServeOptions, argv: readonly string[]): Promise<void> {
  const warnings = checkServeOptions(opts, argv);
  checkAdminOptions(opts);
  const workers = workersFor(opts);
  if (opts.https && opts.cert && opts.key) {
    // Read here so that a wrong path is named with its option; the listener reads them again (and on SIGHUP).
    await readText(opts.cert, '--cert', 'ADK_ERR_TLS_FILES');
    await readText(opts.key, '--key', 'ADK_ERR_TLS_FILES');
    // A pair that does not fit is reported once, here, rather than by each worker.
    if (workers > 1) await loadTls(opts.cert, opts.key);
  }
  const signer = await loadSignerOf(opts);

  const logger = createLogger({ level: opts.logLevel });
  // Only --config may create the database: serving a mistyped path must not start an empty store. The file is
  // checked completely (streamed, any size) before the store is opened, and imported in one transaction.
  const storeOptions = servingStoreOptions(logger);
  let store: ManagedStore;
  let created = false;
  let snapshot = '';
  if (opts.config) {
    const imported = await importFile(opts.config, {
      db: opts.db,
      allowEmpty: opts.allowEmpty ?? false,
      keepOpen: true,
      storeOptions,
    });
    store = imported.store as ManagedStore;
    created = imported.created;
    snapshot = describeSnapshot(imported, opts.db);
  } else {
    ({ store } = await openStore(opts.db, { create: false, ...storeOptions }));
  }
  const admin = await adminFromCli(opts, opts.db, store, logger).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const counts = await store.counts();
  const sample = await sampleAddress(store);

  let urls: Record<string, string>;
  if (workers > 1) {
    // The workers open the store themselves; the primary answers no request.
    await store.close();
    urls = await superviseWorkers(opts, workers, logger);
  } else {
    const running = await startServer(
      {
        store,
        logger,
        metrics: new ServerMetrics({ processMetrics: true }),
        ...(signer ? { signer } : {}),
        ...(admin ? { admin: admin.deps } : {}),
      },
      listenOptions(opts, true),
    ).catch(async (err: unknown) => {
      await store.close();
      await admin?.store.close();
      throw err;
    });
    urls = running.urls as Record<string, string>;
    // Signal handlers first: whoever reads the lines below may send SIGHUP or Ctrl-C at once.
    process.on('SIGHUP', () => {
      running.reloadCertificate().catch((err: unknown) => {
        logger.error({ err }, 'TLS certificate reload failed; the previous certificate stays in use');
      });
    });
    // Requests in flight are answered before the process exits (listen.ts close()).
    const stop = async () => {
      await running.close();
      await store.close();
      await admin?.store.close();
      await admin?.deps.fleet?.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }

  for (const warning of warnings) process.stderr.write(`autodisco: warning: ${warning}\n`);
  const out = process.stdout;
  const from = created ? `the new database ${opts.db}` : displayDb(opts.db);
  out.write(`autodisco serving ${counts.domains} domain(s), ${counts.users} user(s) from ${from}\n`);
  out.write(snapshot);
  for (const [scheme, url] of Object.entries(urls)) out.write(`  ${scheme.padEnd(7)} ${url}\n`);
  if (workers > 1) out.write(`  workers ${workers} processes (--workers)\n`);
  out.write(tryIt(urls, sample, displayDb(opts.db), opts.httpMode ?? (opts.https ? 'redirect' : 'full')));
  if (admin) {
    const uiUrl = urls['https'] ?? (opts.httpMode === 'redirect' ? undefined : urls['http']);
    out.write(await loginLines(admin.deps, opts, uiUrl, opts.db, command));
    out.write(await fleetLine(admin.deps.fleet));
    if (workers > 1) {
      // The workers serve the UI from their own admin stores; the primary only needed this one to say the above.
      await admin.store.close();
      await admin.deps.fleet?.close();
    }
  }
  out.write(
    urls['https'] ? 'Ctrl-C stops; SIGHUP (kill -HUP <pid>) reloads the TLS certificate and key.\n' : 'Ctrl-C stops.\n',
  );
}

/**
 * The cluster primary: starts the workers and the /metrics listener (every worker's counters summed), passes
 * SIGHUP on, and drains the workers on SIGTERM or Ctrl-C. Returns the listeners' URLs once every worker listens.
 */
async function superviseWorkers(
  opts: ServeOptions,
  workers: number,
  logger: ReturnType<typeof createLogger>,
): Promise<Record<string, string>> {
  const supervisor = new ClusterSupervisor({ workers, logger });
  let metrics: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
  // Handlers before the workers start: a SIGTERM while they start drains the ones already listening.
  process.on('SIGHUP', () => supervisor.reload());
  let stopping = false;
  const stop = async () => {
    if (stopping) return; // a second Ctrl-C while draining changes nothing
    stopping = true;
    await supervisor.stop();
    await metrics?.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let urls: Record<string, string>;
  try {
    urls = { ...(await supervisor.start()) } as Record<string, string>;
  } catch (err) {
    await supervisor.stop();
    // The worker has said why on stderr; its exit status is the command's.
    if (err instanceof WorkerStartFailed) process.exit(err.code || 1);
    throw err;
  }
  if (opts.metrics) {
    try {
      metrics = await startMetricsListener(logger, clusterMetricsSource(), parseHostPort(opts.metrics, '--metrics'));
    } catch (err) {
      await supervisor.stop();
      throw err;
    }
    urls['metrics'] = metrics.url;
  }
  return urls;
}

/** PostgreSQL: hear other instances' imports, and log when the database goes away and comes back. */
function servingStoreOptions(logger: ReturnType<typeof createLogger>) {
  return {
    listen: true,
    onHealthChange: (health: StoreHealth) => {
      if (health.status === 'ok') logger.warn('the settings database is back: answering from it again');
      else
        logger.error(
          { reason: health.reason },
          'the settings database is away: answering from the last settings read (degraded)',
        );
    },
  };
}

/** One of --workers processes: the same listeners (shared through the primary), the store opened for itself. */
async function serveWorker(opts: ServeOptions): Promise<void> {
  const signer = await loadSignerOf(opts);
  // Each line says which worker wrote it (request ids count per process).
  const logger = createLogger({ level: opts.logLevel }).child({ worker: process.pid });
  // The primary imported --config already: a worker only opens the store.
  const { store } = await openStore(opts.db, { create: false, ...servingStoreOptions(logger) });
  // The primary created the admin tables and said how to log in; each worker serves the UI from its own connection.
  const admin = await adminFromCli(opts, opts.db, store, logger).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const metrics = new ServerMetrics({ processMetrics: true });
  const running = await startServer(
    { store, logger, metrics, ...(signer ? { signer } : {}), ...(admin ? { admin: admin.deps } : {}) },
    listenOptions(opts, false),
  ).catch(async (err: unknown) => {
    await store.close();
    await admin?.store.close();
    throw err;
  });
  let stopping: Promise<void> | undefined;
  serveAsWorker(running, metrics, logger, () => {
    stopping ??= (async () => {
      await running.close();
      await store.close();
      await admin?.store.close();
      admin?.deps.fleet?.close();
      process.exit(0);
    })();
    return stopping;
  });
}

/** The "Try it" lines: commands that get a real answer from what is served, or what to do when nothing is. */
function tryIt(
  urls: { http?: string; https?: string },
  sample: string | undefined,
  db: string,
  httpMode: 'redirect' | 'full',
): string {
  if (!sample) {
    return `No domain is served yet (the store has none, or only moved domains): import a configuration with\n  ${command(`import settings.yaml --db ${shellQuote(db)}`)}\n  (a running serve picks it up at once)\n`;
  }
  const domain = sample.slice(sample.lastIndexOf('@') + 1);
  if (!urls.https && urls.http && httpMode === 'redirect') {
    // Plain HTTP that only redirects: the redirect is all there is to try.
    return `Try it:\n  curl -s -i -H 'Host: autodiscover.${domain}' ${urls.http}/autodiscover/autodiscover.xml\n`;
  }
  const base = urls.https ?? urls.http;
  const insecure = urls.https ? '-k ' : '';
  return (
    `Try it:\n  curl -s ${insecure}-H 'Content-Type: text/xml' --data '${sampleRequest(sample)}' ${base}/autodiscover/autodiscover.xml\n` +
    `  curl -s ${insecure}'${base}/mail/config-v1.1.xml?emailaddress=${sample}'\n`
  );
}
