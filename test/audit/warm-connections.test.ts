/**
 * The probe's connection carrying its step's request in an audit run (src/tls/warm-connections.ts,
 * src/audit/ports.ts), against real HTTPS servers on loopback: a connection closed under the request is replaced
 * by a fresh one, a connection nobody takes is closed after its idle time, and the bound closes the oldest.
 */
import assert from 'node:assert/strict';
import { createServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { createAuditPorts } from '../../src/audit/ports.js';
import { type Authority, createAuthority, type IssuedCertificate, issueCertificate } from '../../src/pki/index.js';
import { trustContext } from '../../src/tls/trust.js';
import { WarmConnections } from '../../src/tls/warm-connections.js';

let root: Authority;
let cert: IssuedCertificate;
const servers: HttpsServer[] = [];

before(async () => {
  root = await createAuthority({ name: 'Warm Connections Test Root' });
  cert = await issueCertificate({ issuer: root, dnsNames: ['warm.example.test'] });
});
after(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** An HTTPS server counting its connections and closed ones; `drop(n)` says whether to cut the nth request short. */
async function server(drop: (n: number) => boolean = () => false) {
  const seen = { connections: 0, closed: 0, requests: 0, port: 0 };
  const s = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    seen.requests++;
    if (drop(seen.requests)) {
      // As a server closing an idle connection just as the request arrives: no answer, the connection gone.
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on('end', () => res.end('<Autodiscover/>'));
  });
  s.on('connection', (socket: Socket) => {
    seen.connections++;
    socket.on('close', () => seen.closed++);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  seen.port = (s.address() as AddressInfo).port;
  servers.push(s);
  return seen;
}

const portsFor = () => createAuditPorts({ dnsServers: [], timeoutMs: 3000, perHost: 4 });

function probeAndGet(ports: ReturnType<typeof portsFor>, port: number) {
  return ports
    .probeTls({
      address: '127.0.0.1',
      port,
      servername: 'warm.example.test',
      ca: [root.certPem],
      timeoutMs: 3000,
    })
    .then(() =>
      ports.exchange({
        url: new URL(`https://warm.example.test:${port}/autodiscover/autodiscover.xml`),
        method: 'POST',
        body: '<Autodiscover/>',
        address: '127.0.0.1',
        timeoutMs: 3000,
        ca: [root.certPem],
        tls: { mode: 'verify' },
      }),
    );
}

async function waitFor(condition: () => boolean, ms = 3000): Promise<void> {
  const until = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a request whose probe connection is cut before any answer is sent again on a fresh connection', async () => {
  const seen = await server((n) => n === 1);
  const ports = portsFor();
  const answer = await probeAndGet(ports, seen.port);
  assert.ok(answer.ok, `answered: ${JSON.stringify(answer)}`);
  assert.equal(answer.body, '<Autodiscover/>');
  assert.equal(ports.warm.stats.taken, 1);
  // The probe's connection (request cut), then a fresh one that answered.
  assert.deepEqual({ connections: seen.connections, requests: seen.requests }, { connections: 2, requests: 2 });
});

test('a request the server answers on the probe connection is not sent twice; the next one reuses it', async () => {
  const seen = await server();
  const ports = portsFor();
  const answer = await probeAndGet(ports, seen.port);
  assert.ok(answer.ok);
  assert.deepEqual({ connections: seen.connections, requests: seen.requests }, { connections: 1, requests: 1 });
  const again = await probeAndGet(ports, seen.port);
  assert.ok(again.ok);
  // The probe is remembered, the connection kept alive: still one connection.
  assert.deepEqual({ connections: seen.connections, requests: seen.requests }, { connections: 1, requests: 2 });
  assert.deepEqual(ports.warm.stats, { parked: 3, taken: 2, unused: 0 });
  // Nobody takes it any more: closed after its idle second.
  await waitFor(() => seen.closed === 1);
  assert.equal(ports.warm.stats.unused, 1);
});

test('a connection the server does not keep open is not kept either', async () => {
  const seen = await server();
  const ports = portsFor();
  await ports.probeTls({
    address: '127.0.0.1',
    port: seen.port,
    servername: 'warm.example.test',
    ca: [root.certPem],
    timeoutMs: 3000,
  });
  const answer = await ports.exchange({
    url: new URL(`https://warm.example.test:${seen.port}/`),
    method: 'GET',
    address: '127.0.0.1',
    timeoutMs: 3000,
    ca: [root.certPem],
    tls: { mode: 'verify' },
    headers: { connection: 'close' },
  });
  assert.ok(answer.ok);
  await waitFor(() => seen.closed === 1);
  assert.deepEqual(ports.warm.stats, { parked: 1, taken: 1, unused: 0 });
  assert.equal(ports.warm.size, 0);
});

/** A real client connection to the server, through its handshake. */
function open(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'warm.example.test',
      secureContext: trustContext([root.certPem]),
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

test('a connection nobody takes is closed after its idle time; the bound closes the oldest first', async () => {
  const seen = await server();
  const warm = new WarmConnections(2, 100);
  const vouched = { verifiedFor: 'warm.example.test', sha256: null };
  const [a, b, c] = await Promise.all([open(seen.port), open(seen.port), open(seen.port)]);
  warm.park('a', a as TLSSocket, vouched);
  warm.park('b', b as TLSSocket, vouched);
  warm.park('c', c as TLSSocket, vouched);
  assert.equal(warm.size, 2, 'the bound');
  await waitFor(() => seen.closed === 1);
  assert.equal(warm.take('a', 'warm.example.test', undefined), undefined, 'the oldest was closed');
  // Not for another name, nor for a pin: it stays for a request it fits.
  assert.equal(warm.take('b', 'other.example.test', undefined), undefined);
  assert.equal(warm.take('b', 'warm.example.test', 'AB:CD'), undefined);
  assert.equal(warm.take('b', 'WARM.example.test', undefined)?.socket, b);
  (b as TLSSocket).destroy();
  // 'c' is never taken: closed when its idle time is up, as is every connection here.
  await waitFor(() => seen.closed === 3);
  assert.equal(warm.size, 0);
  assert.deepEqual(warm.stats, { parked: 3, taken: 1, unused: 2 });
});

test('a connection that vouches for nothing, or is already closed, is not kept', async () => {
  const seen = await server();
  const warm = new WarmConnections();
  const unvouched = await open(seen.port);
  warm.park('k', unvouched, { verifiedFor: null, sha256: null });
  const closed = await open(seen.port);
  closed.destroy();
  warm.park('k', closed, { verifiedFor: 'warm.example.test', sha256: null });
  assert.equal(warm.size, 0);
  assert.equal(warm.take('k', 'warm.example.test', undefined), undefined);
  await waitFor(() => seen.closed === 2);
  assert.deepEqual(warm.stats, { parked: 0, taken: 0, unused: 2 });
});
