/**
 * Puts the app on sockets: plain HTTP and/or HTTPS, with tight timeouts against slow clients and a certificate
 * that can be reloaded (SIGHUP in the CLI) without dropping connections.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { AutodiscoError } from '../errors.js';
import { type AppDeps, type AppOptions, buildApp } from './app.js';

export interface Timeouts {
  /** Whole request headers must arrive within this (slowloris). */
  headersMs: number;
  /** Whole request, body included. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** TLS handshake must complete within this. */
  handshakeMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  headersMs: 10_000, // 10 s
  requestMs: 15_000, // 15 s
  keepAliveMs: 5_000, // 5 s
  handshakeMs: 10_000, // 10 s
};

export interface ListenOptions {
  http?: { host: string; port: number; mode: 'redirect' | 'full' };
  https?: { host: string; port: number; certFile: string; keyFile: string };
  timeouts?: Partial<Timeouts>;
  /**
   * A separate plain-HTTP listener that serves only `GET /metrics` (Prometheus text). Off by default: the
   * counters name endpoints and outcomes, and the Autodiscover listeners face the internet.
   */
  metrics?: { host: string; port: number };
  /** Also serve /metrics on the Autodiscover listeners (off by default; prefer `metrics`). */
  metricsEndpoint?: boolean;
  logAddresses?: boolean;
  trustProxy?: string[];
  /** SOAP Autodiscover on (default) or off. */
  soap?: boolean;
}

export interface RunningServer {
  /** Base URLs, e.g. { http: 'http://127.0.0.1:8080' }. */
  urls: { http?: string; https?: string; metrics?: string };
  apps: FastifyInstance[];
  /** Re-reads the certificate and key; on failure keeps the old ones and throws. */
  reloadCertificate(): Promise<void>;
  /** Stops accepting connections and resolves once every request in flight is answered and its connection closed. */
  close(): Promise<void>;
}

const CERT_PEM = /-----BEGIN CERTIFICATE-----/;
const KEY_PEM = /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/;

export async function loadTls(certFile: string, keyFile: string): Promise<{ cert: string; key: string }> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  } catch (cause) {
    const err = cause as NodeJS.ErrnoException;
    throw new AutodiscoError('ADK_ERR_TLS_FILES', `cannot read ${err.path ?? 'the TLS files'} (${err.code})`, {
      cause,
    });
  }
  // Say which file is wrong in the admin's words, rather than OpenSSL's "PEM routines::no start line".
  const swapped =
    KEY_PEM.test(cert) && CERT_PEM.test(key) ? ' (it holds a private key: are --cert and --key swapped?)' : '';
  if (!CERT_PEM.test(cert))
    throw new AutodiscoError('ADK_ERR_TLS_FILES', `--cert ${certFile}: no PEM certificate in it${swapped}`);
  if (!KEY_PEM.test(key))
    throw new AutodiscoError('ADK_ERR_TLS_FILES', `--key ${keyFile}: no PEM private key in it${swapped}`);
  try {
    createSecureContext({ cert, key });
    // OpenSSL only compares a key with a certificate of its own type: an EC key beside an RSA certificate passes
    // createSecureContext and then fails every handshake. Compare them directly.
    if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) throw new Error('key values mismatch');
  } catch (cause) {
    const message = (cause as Error).message;
    throw new AutodiscoError(
      'ADK_ERR_TLS_FILES',
      /key values mismatch/i.test(message)
        ? `--key ${keyFile} is not the private key of the certificate in ${certFile}: give the key the certificate was issued for`
        : `${certFile} and ${keyFile} cannot be used together: ${message}`,
      { cause },
    );
  }
  return { cert, key };
}

/** What Node adds to keepAliveTimeout before it closes an idle connection (node:http, HTTP/1.1 servers). */
const KEEP_ALIVE_GRACE_MS = 1000;

/** How late a deadline may be enforced: 250 ms, or a quarter of the shortest timeout when that is shorter. */
export function checkingIntervalMs(t: Timeouts): number {
  return Math.max(10, Math.min(250, Math.min(t.headersMs, t.requestMs) / 4));
}

function serverOptions(t: Timeouts) {
  return {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    // Node closes an idle connection 1 s after the keepAliveTimeout it announces (Keep-Alive: timeout=…), so that a
    // client never reuses a socket the server is closing; the promise is the close (measured: 6.0 s for 5 s).
    keepAliveTimeout: Math.max(1, t.keepAliveMs - KEEP_ALIVE_GRACE_MS),
    // Node enforces the two timeouts above only when it checks, this often: a slow client is cut off at most this
    // long after its deadline (the default, 30 s, let one linger 12.4 s for a 10 s promise). The check walks the
    // open connections in C++; four times a second is cheap even with thousands of them.
    connectionsCheckingInterval: checkingIntervalMs(t),
    maxHeaderSize: 16 * 1024,
  };
}

async function listenOn(
  app: FastifyInstance,
  host: string,
  port: number,
  scheme: string,
  label = scheme,
): Promise<string> {
  try {
    // Fastify builds its "listening" line from its own options, which say http even for our HTTPS server.
    await app.listen({
      host,
      port,
      listenTextResolver: (at) => `${label} listening at ${at.replace(/^https?:/, `${scheme}:`)}`,
    });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs privileges' : `failed (${code})`;
    throw new AutodiscoError('ADK_ERR_LISTEN', `${scheme}://${host}:${port} ${why}`, { cause });
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
}

/** Where /metrics text comes from: this process's registry, or (cluster) every worker's, aggregated. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** The metrics listener: `GET /metrics` and nothing else, no Autodiscover route, no access log. */
function metricsApp(logger: AppDeps['logger'], source: MetricsSource, timeouts: Timeouts): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: (handler): HttpServer => createHttpServer(serverOptions(timeouts), handler),
  });
  app.get('/metrics', async (_request, reply) => reply.type(source.contentType).send(await source.metrics()));
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).type('text/plain; charset=utf-8').send('Not found: this listener serves GET /metrics only\n');
  });
  return app;
}

/** The /metrics listener alone (the cluster primary's, which serves every worker's counters). */
export async function startMetricsListener(
  logger: AppDeps['logger'],
  source: MetricsSource,
  at: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const app = metricsApp(logger, source, DEFAULT_TIMEOUTS);
  const url = `${await listenOn(app, at.host, at.port, 'http', 'metrics')}/metrics`;
  return { url, close: () => app.close() };
}

/**
 * Closes the apps: no new connection is accepted, requests in flight are answered, and each connection is closed
 * as soon as it is idle (rather than when its keep-alive timer runs out), so a drain takes as long as the slowest
 * request in flight, not the keep-alive timeout.
 */
async function drain(apps: FastifyInstance[]): Promise<void> {
  const closeIdle = () => {
    for (const app of apps) (app.server as HttpServer).closeIdleConnections?.();
  };
  const timer = setInterval(closeIdle, 50);
  try {
    await Promise.allSettled(apps.map((a) => a.close()));
  } finally {
    clearInterval(timer);
  }
}

export async function startServer(deps: AppDeps, options: ListenOptions): Promise<RunningServer> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const common: Omit<AppOptions, 'transport'> = {
    ...(options.metricsEndpoint !== undefined ? { metricsEndpoint: options.metricsEndpoint } : {}),
    ...(options.logAddresses !== undefined ? { logAddresses: options.logAddresses } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    ...(options.soap !== undefined ? { soap: options.soap } : {}),
  };
  const apps: FastifyInstance[] = [];
  const urls: RunningServer['urls'] = {};
  let httpsServer: HttpsServer | undefined;
  const tlsFiles = options.https;

  try {
    if (tlsFiles) {
      const material = await loadTls(tlsFiles.certFile, tlsFiles.keyFile);
      const app = buildApp(deps, {
        ...common,
        transport: 'https',
        serverFactory: (handler) => {
          httpsServer = createHttpsServer(
            { ...material, ...serverOptions(timeouts), handshakeTimeout: timeouts.handshakeMs, minVersion: 'TLSv1.2' },
            handler,
          );
          return httpsServer;
        },
      });
      apps.push(app);
      urls.https = await listenOn(app, tlsFiles.host, tlsFiles.port, 'https');
    }
    if (options.http) {
      const httpPort = tlsFiles ? Number(new URL(urls.https ?? 'https://x').port || 443) : undefined;
      const app = buildApp(deps, {
        ...common,
        transport: 'http',
        httpMode: options.http.mode,
        ...(httpPort ? { httpsPort: httpPort } : {}),
        serverFactory: (handler): HttpServer => createHttpServer(serverOptions(timeouts), handler),
      });
      apps.push(app);
      urls.http = await listenOn(app, options.http.host, options.http.port, 'http');
    }
    if (options.metrics) {
      const app = metricsApp(deps.logger, deps.metrics.registry, timeouts);
      apps.push(app);
      urls.metrics = `${await listenOn(app, options.metrics.host, options.metrics.port, 'http', 'metrics')}/metrics`;
    }
  } catch (err) {
    await Promise.allSettled(apps.map((a) => a.close()));
    throw err;
  }

  return {
    urls,
    apps,
    async reloadCertificate() {
      if (!tlsFiles || !httpsServer) return;
      const material = await loadTls(tlsFiles.certFile, tlsFiles.keyFile);
      // New handshakes use the new pair; open connections keep theirs and are not dropped.
      httpsServer.setSecureContext(material);
      deps.logger.info({ cert: tlsFiles.certFile }, 'TLS certificate reloaded');
    },
    async close() {
      await drain(apps);
    },
  };
}
