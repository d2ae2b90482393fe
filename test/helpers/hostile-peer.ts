/**
 * Hostile peers for the discover tests, played by real loopback servers: a TCP server that accepts and then
 * misbehaves (drips its headers or body, sends an endless chunked body, never answers the TLS handshake), a test
 * PKI, and a DNS server for the names. Addresses are under 127.91.0.0/16 (no other test uses it).
 */
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { createDnsServer, type DnsServer } from '../../src/dns/server.js';
import type { Zone } from '../../src/dns/zone.js';
import { type Authority, createAuthority } from '../../src/pki/authority.js';
import { issueCertificate } from '../../src/pki/issue.js';

export type Behaviour = 'drip-headers' | 'drip-body' | 'endless-chunked' | 'hang';

/** Plays `behaviour` on a socket once the request has started to arrive; returns a stopper. */
export function misbehave(socket: Socket | TLSSocket, behaviour: Behaviour): void {
  let timer: NodeJS.Timeout | undefined;
  socket.on('error', () => undefined);
  socket.on('close', () => clearInterval(timer));
  if (behaviour === 'hang') return;
  socket.once('data', () => {
    if (behaviour === 'drip-headers') {
      socket.write('HTTP/1.1 200 OK\r\n');
      let i = 0;
      // A header line every 100 ms: each byte resets an idle timer, never a deadline.
      timer = setInterval(() => socket.write(`X-Drip-${i++}: x\r\n`), 100);
    } else if (behaviour === 'drip-body') {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<');
      timer = setInterval(() => socket.write('x'), 100);
    } else {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = `400\r\n${'x'.repeat(0x400)}\r\n`;
      timer = setInterval(() => socket.write(chunk), 5);
    }
  });
}

function listening(server: Server, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve(server));
  });
}

export function closeAll(servers: readonly Server[]): Promise<void> {
  return Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        }),
    ),
  ).then(() => undefined);
}

/** Plain TCP (HTTP) peer: every connection gets `behaviour`. Sockets are tracked so that close() ends them. */
export async function plainPeer(host: string, port: number, behaviour: Behaviour): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    misbehave(socket, behaviour);
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return listening(server, host, port);
}

export interface Pki {
  ca: Authority;
  cert: string;
  key: string;
}

/** A root and one leaf for `names`, for TLS peers that pass every check. */
export async function testPki(names: readonly string[]): Promise<Pki> {
  const ca = await createAuthority({ name: 'Hostile Peer Test Root' });
  const leaf = await issueCertificate({ issuer: ca, dnsNames: names });
  return { ca, cert: leaf.fullChainPem, key: leaf.keyPem };
}

/** TLS peer with a valid certificate: completes the handshake, then `behaviour` (over HTTP inside TLS). */
export async function tlsPeer(host: string, port: number, pki: Pki, behaviour: Behaviour): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createTlsServer({ cert: pki.cert, key: pki.key }, (socket) => misbehave(socket, behaviour));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return listening(server, host, port);
}

/** A DNS server for `zones` on 127.91.0.53 (an ephemeral port); `server` is what --dns takes. */
export async function dnsFor(zones: readonly Zone[]): Promise<{ dns: DnsServer; server: string }> {
  const dns = createDnsServer({ address: '127.91.0.53', zones });
  const bound = await dns.start();
  return { dns, server: bound.server };
}
