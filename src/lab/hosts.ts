/**
 * A lab host's listeners: HTTPS with its certificate chosen by SNI before the handshake (tls-listener.ts), so each
 * connection is served with exactly one certificate and exactly the chain the scenario describes, and plain HTTP.
 */
import { createServer as createHttpServer } from 'node:http';
import { isIP, type Server as NetServer, type Socket } from 'node:net';
import { AutodiscoError } from '../errors.js';
import { handler } from './answer.js';
import { issueFor, type LabPki, type ServedCertificate } from './certificates.js';
import type { HostRuntime, Resources } from './runtime.js';
import { createSniListener } from './tls-listener.js';
import type { LabCertificate, LabHost } from './types.js';

function listenError(cause: unknown, url: string, what: string): AutodiscoError {
  const code = (cause as NodeJS.ErrnoException).code ?? 'error';
  const why =
    code === 'EADDRINUSE'
      ? 'is already in use'
      : code === 'EACCES'
        ? 'needs privileges (ports below 1024 need root or CAP_NET_BIND_SERVICE)'
        : code === 'EADDRNOTAVAIL'
          ? 'is not an address of this machine (on macOS, add it first: sudo ifconfig lo0 alias <address>)'
          : `failed (${code})`;
  return new AutodiscoError('ADK_ERR_LISTEN', `${url} ${why} (${what})`, { cause });
}

async function listen(server: NetServer, address: string, port: number, url: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(listenError(err, url, what));
    server.once('error', onError);
    server.listen({ host: address, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After listening, errors belong to single connections.
  server.on('error', () => {});
}

/** Node's request timeout would answer a hang with 408 after 5 minutes: a lab hang is forever. */
const SERVER_OPTIONS = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 };

export async function startHost(
  host: HostRuntime,
  pki: LabPki,
  now: Date | undefined,
  resources: Resources,
): Promise<LabHost> {
  const { spec, address } = host;
  const lab: LabHost = { name: spec.name, address, urls: {}, certificates: [] };
  const describe = (served: ServedCertificate, sni: string[] | null): LabCertificate => ({
    sni,
    certPem: served.issued.certPem,
    fingerprint256: served.issued.x509.fingerprint256,
    chainSent: served.certPem !== served.issued.certPem,
  });
  const track = (socket: Socket) => {
    resources.sockets.add(socket);
    socket.on('close', () => resources.sockets.delete(socket));
  };
  if (spec.https) {
    const main = await issueFor(spec.https.certificate, pki, now);
    const extra = await Promise.all(
      spec.https.sni.map(async (entry) => ({
        names: entry.names ?? entry.certificate.names.filter((n) => isIP(n) === 0),
        served: await issueFor(entry.certificate, pki, now),
      })),
    );
    const choices = extra.map((e) => ({ names: e.names, context: e.served.context }));
    lab.certificates.push(describe(main, null), ...extra.map((e) => describe(e.served, e.names)));
    // HTTP over the TLS connections: never listens itself, the TLS listener hands it each connection.
    const http = createHttpServer(SERVER_OPTIONS, handler(host, 'https', resources));
    const listener = createSniListener({
      defaultContext: main.context,
      choices,
      onConnection: track,
      onSecure: (tls, tcp) => {
        track(tls);
        resources.tcpOf.set(tls, tcp);
        http.emit('connection', tls);
      },
    });
    resources.servers.push(listener);
    const url = `https://${address}:${spec.https.port}`;
    await listen(listener, address, spec.https.port, url, `host "${spec.name}"`);
    lab.httpsPort = spec.https.port;
    lab.urls.https = url;
  }
  if (spec.http) {
    const server = createHttpServer(SERVER_OPTIONS, handler(host, 'http', resources));
    server.on('connection', track);
    resources.servers.push(server);
    const url = `http://${address}:${spec.http.port}`;
    await listen(server, address, spec.http.port, url, `host "${spec.name}"`);
    lab.httpPort = spec.http.port;
    lab.urls.http = url;
  }
  return lab;
}
