import { request as httpRequest } from 'node:http';
import { type Agent, request as httpsRequest } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  peerFingerprint?: string;
}

/** One HTTP(S) request to a loopback URL, with the Host header and trusted CA given explicitly. */
export function fetchRaw(
  url: string,
  options: {
    method?: string;
    host?: string;
    body?: string;
    headers?: Record<string, string>;
    ca?: string;
    agent?: Agent;
    servername?: string;
  } = {},
): Promise<Reply> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        method: options.method ?? 'GET',
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        headers: { ...(options.host ? { host: options.host } : {}), ...options.headers },
        ...(u.protocol === 'https:'
          ? {
              ca: options.ca,
              servername: options.servername ?? options.host?.replace(/:\d+$/, ''),
              agent: options.agent ?? false,
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        // Read the certificate now: once the response ends, a keep-alive socket may already be detached.
        const socket = res.socket as TLSSocket | null;
        const cert: PeerCertificate | undefined =
          socket && typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(cert?.fingerprint256 ? { peerFingerprint: cert.fingerprint256 } : {}),
          });
        });
      },
    );
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}
