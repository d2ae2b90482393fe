import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AutodiscoError } from '../../errors.js';
import { loadSigner, type ProfileSigner } from '../../formats/sign-profile.js';
import { startServer } from '../../server/listen.js';
import { createLogger } from '../../server/logger.js';
import { ServerMetrics } from '../../server/metrics.js';
import { loadConfigFile } from '../../settings/validate.js';
import { SqliteStore } from '../../store/sqlite.js';
import { reportError } from '../output.js';
import { DEFAULT_DB } from './config.js';

interface ServeOptions {
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
  metrics: boolean;
  soap: boolean;
  trustProxy?: string;
}

/** `127.0.0.1:8080`, `[::1]:8443` or `8080` (loopback). */
export function parseHostPort(value: string, option: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `${option} "${value}": expected host:port, e.g. 127.0.0.1:8080`,
    );
  }
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

async function readText(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new AutodiscoError('ADK_ERR_SIGNING', `${option} ${path}: cannot read the file (${code})`, { cause });
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
    .option('--config <file>', 'import this configuration at start (all or nothing)')
    .option('--db <path>', 'SQLite database file', DEFAULT_DB)
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
    .option('--no-metrics', 'do not serve /metrics')
    .option('--no-soap', 'do not serve SOAP Autodiscover (/autodiscover/autodiscover.svc) nor advertise it; POX only')
    .option('--trust-proxy <list>', 'comma list of proxy addresses whose X-Forwarded-* headers are believed')
    .action(async (opts: ServeOptions) => {
      try {
        await serve(opts);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}

async function serve(opts: ServeOptions): Promise<void> {
  if (opts.https && (!opts.cert || !opts.key)) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', '--https needs --cert <file> and --key <file>');
  }
  if (opts.httpMode && opts.httpMode !== 'full' && opts.httpMode !== 'redirect') {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `--http-mode "${opts.httpMode}": expected full or redirect`);
  }
  if (!opts.http && !opts.https)
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', 'no listener: give --http or --https');
  const config = opts.config ? await loadConfigFile(opts.config) : undefined;
  let signer: ProfileSigner | undefined;
  if (opts.signCert || opts.signKey) {
    if (!opts.signCert || !opts.signKey) {
      throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', '--sign-cert and --sign-key go together');
    }
    signer = await loadSigner({
      certificatePem: await readText(opts.signCert, '--sign-cert'),
      privateKeyPem: await readText(opts.signKey, '--sign-key'),
      ...(opts.signChain ? { chainPem: await readText(opts.signChain, '--sign-chain') } : {}),
    });
  }

  const logger = createLogger({ level: opts.logLevel });
  const store = new SqliteStore(opts.db);
  if (config) await store.replaceAll(config);
  const counts = await store.counts();
  const running = await startServer(
    { store, logger, metrics: new ServerMetrics({ processMetrics: true }), ...(signer ? { signer } : {}) },
    {
      ...(opts.http
        ? { http: { ...parseHostPort(opts.http, '--http'), mode: opts.httpMode ?? (opts.https ? 'redirect' : 'full') } }
        : {}),
      ...(opts.https && opts.cert && opts.key
        ? { https: { ...parseHostPort(opts.https, '--https'), certFile: opts.cert, keyFile: opts.key } }
        : {}),
      metricsEndpoint: opts.metrics,
      soap: opts.soap,
      logAddresses: opts.logAddresses ?? false,
      ...(opts.trustProxy ? { trustProxy: opts.trustProxy.split(',').map((s) => s.trim()) } : {}),
    },
  );

  // Signal handlers first: whoever reads the lines below may send SIGHUP or Ctrl-C at once.
  process.on('SIGHUP', () => {
    running.reloadCertificate().catch((err: unknown) => {
      logger.error({ err }, 'TLS certificate reload failed; the previous certificate stays in use');
    });
  });
  const stop = async () => {
    await running.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const out = process.stdout;
  out.write(`autodisco serving ${counts.domains} domain(s), ${counts.users} user(s) from ${opts.db}\n`);
  for (const [scheme, url] of Object.entries(running.urls)) out.write(`  ${scheme.padEnd(5)} ${url}\n`);
  const base = running.urls.https ?? running.urls.http;
  // An address of a served domain, so that the printed command gets a real answer.
  const firstDomain = config?.domains.find((d) => !d.redirect)?.name;
  const sample = firstDomain === 'example.test' || !firstDomain ? 'chris@example.test' : `someone@${firstDomain}`;
  const insecure = running.urls.https ? '-k ' : '';
  out.write(
    `Try it:\n  curl -s ${insecure}-H 'Content-Type: text/xml' --data '${sampleRequest(sample)}' ${base}/autodiscover/autodiscover.xml\n`,
  );
  out.write(`  curl -s ${insecure}'${base}/mail/config-v1.1.xml?emailaddress=${sample}'\n`);
  out.write('Ctrl-C stops; SIGHUP reloads the TLS certificate.\n');
}
