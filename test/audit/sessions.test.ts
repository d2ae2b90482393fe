/**
 * TLS session resumption in an audit run (src/tls/sessions.ts, src/audit/ports.ts, src/discover/http.ts), against
 * real HTTPS servers that count full and resumed handshakes: the request connections resume the probe's session,
 * and a resumed connection is never worth more than the full handshake it came from.
 */
import assert from 'node:assert/strict';
import { createServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { createAuditPorts } from '../../src/audit/ports.js';
import { exchange } from '../../src/discover/http.js';
import { type Authority, createAuthority, type IssuedCertificate, issueCertificate } from '../../src/pki/index.js';
import { TlsSessions } from '../../src/tls/sessions.js';
import { trustContext } from '../../src/tls/trust.js';

interface Counted {
  port: number;
  full: number;
  resumed: number;
  requests: number;
  server: HttpsServer;
}

const started: HttpsServer[] = [];
after(async () => {
  await Promise.all(
    started.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** An HTTPS server on 127.0.0.1 serving `cert`, counting its full and resumed handshakes and its requests. */
async function countingServer(cert: IssuedCertificate, chain: string, maxVersion?: 'TLSv1.2') {
  const counted = { port: 0, full: 0, resumed: 0, requests: 0 } as Counted;
  let connections = 0;
  const server = createServer(
    { cert: `${cert.certPem}\n${chain}`, key: cert.keyPem, ...(maxVersion ? { maxVersion } : {}) },
    (req, res) => {
      counted.requests++;
      req.resume();
      req.on('end', () => res.end('<Autodiscover/>'));
    },
  );
  // A handshake the client rejects never becomes a 'secureConnection' here: full ones are counted by connection.
  server.on('connection', () => {
    connections++;
    counted.full = connections - counted.resumed;
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.isSessionReused()) counted.resumed++;
    counted.full = connections - counted.resumed;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  counted.port = (server.address() as AddressInfo).port;
  counted.server = server;
  started.push(server);
  return counted;
}

describe('TLS sessions within an audit run', () => {
  let root: Authority;
  let named: IssuedCertificate;
  let selfSigned: IssuedCertificate;

  before(async () => {
    root = await createAuthority({ name: 'Resumption Test Root' });
    named = await issueCertificate({ issuer: root, dnsNames: ['resume.example.test'] });
    selfSigned = await issueCertificate({ issuer: 'self-signed', dnsNames: ['resume.example.test'] });
  });

  const portsFor = () => createAuditPorts({ dnsServers: [], timeoutMs: 3000, perHost: 4 });
  const get = (
    ports: ReturnType<typeof portsFor>,
    host: string,
    port: number,
    tls: { mode: 'verify' } | { mode: 'pinned'; fingerprint256: string },
  ) =>
    ports.exchange({
      url: new URL(`https://${host}:${port}/autodiscover/autodiscover.xml`),
      method: 'GET',
      address: '127.0.0.1',
      timeoutMs: 3000,
      ca: [root.certPem],
      tls,
    });

  /** The run's probe of `name` on the test server (the address literal is its own SNI-less name). */
  const probeOf = (ports: ReturnType<typeof portsFor>, port: number, name: string) =>
    ports.probeTls({
      address: '127.0.0.1',
      port,
      servername: name,
      host: name,
      ca: [root.certPem],
      timeoutMs: 3000,
    });

  test("requests after a probe go out on the probe's kept-alive connection, one that finds it busy resumes its session: one full handshake for the host", async () => {
    const server = await countingServer(named, root.chainPem);
    const ports = portsFor();
    const probe = await probeOf(ports, server.port, 'resume.example.test');
    assert.equal(probe.code, null, 'the certificate is accepted for the name');
    // Side by side (the two clients of a domain): one takes the probe's connection, the other resumes.
    const [first, second] = await Promise.all([
      get(ports, 'resume.example.test', server.port, { mode: 'verify' }),
      get(ports, 'resume.example.test', server.port, { mode: 'verify' }),
    ]);
    // Later: the connection the server kept open carries it.
    const third = await get(ports, 'resume.example.test', server.port, { mode: 'verify' });
    assert.ok(first.ok && second.ok && third.ok);
    assert.equal(first.status, 200);
    assert.equal(first.body, '<Autodiscover/>');
    assert.deepEqual(
      [first.resumed, second.resumed, third.resumed].sort(),
      [false, false, true],
      "two on the probe's own connection (no new handshake), one resumed",
    );
    assert.deepEqual(
      { full: server.full, resumed: server.resumed, requests: server.requests },
      { full: 1, resumed: 1, requests: 3 },
    );
    assert.equal(ports.warm.stats.taken, 2);
    assert.deepEqual(ports.sessions.stats, { offered: 1, resumed: 1 });
  });

  test('a session whose handshake was not accepted for the name is not offered: the request is refused as before', async () => {
    const server = await countingServer(named, root.chainPem);
    const ports = portsFor();
    // The address literal is not on the certificate: the probe rejects the name.
    const probe = await probeOf(ports, server.port, '127.0.0.1');
    assert.equal(probe.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    await waitFor(() => ports.sessions.size === 1);
    const answer = await get(ports, '127.0.0.1', server.port, { mode: 'verify' });
    assert.equal(answer.ok, false);
    assert.equal(!answer.ok && answer.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(server.requests, 0, 'no request reached the server');
    assert.deepEqual({ full: server.full, resumed: server.resumed }, { full: 2, resumed: 0 });
    assert.equal(ports.sessions.stats.offered, 0);
    // Nor does its connection carry the request: it waits only for a request pinned to its certificate.
    assert.deepEqual(ports.warm.stats, { parked: 1, taken: 0, unused: 0 });
  });

  test('pinned (a click-through): the connection and then the session of the pinned certificate carry requests, another pin gets a full handshake and is refused', async () => {
    const server = await countingServer(selfSigned, '');
    const ports = portsFor();
    const probe = await probeOf(ports, server.port, 'resume.example.test');
    assert.equal(probe.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    const sha256 = probe.certificate?.sha256 ?? '';
    await waitFor(() => ports.sessions.size === 1);
    const refused = await get(ports, 'resume.example.test', server.port, { mode: 'verify' });
    assert.equal(!refused.ok && refused.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'verify mode: never resumed, refused');
    const pinnedTo = { mode: 'pinned' as const, fingerprint256: sha256 };
    const pinned = await Promise.all([
      get(ports, 'resume.example.test', server.port, pinnedTo),
      get(ports, 'resume.example.test', server.port, pinnedTo),
    ]);
    assert.ok(pinned.every((answer) => answer.ok));
    assert.deepEqual(
      pinned.map((answer) => answer.ok && answer.resumed).sort(),
      [false, true],
      "one on the probe's connection, kept for the pinned certificate; one resumed",
    );
    const other = await get(ports, 'resume.example.test', server.port, {
      mode: 'pinned',
      fingerprint256: sha256.replace(/^../, sha256.startsWith('00') ? '11' : '00'),
    });
    assert.equal(!other.ok && other.code, 'ERR_CERT_CHANGED');
    assert.equal(server.requests, 2);
    assert.deepEqual({ full: server.full, resumed: server.resumed }, { full: 3, resumed: 1 });
    assert.equal(ports.warm.stats.taken, 1);
  });

  test('why sessions carry their origin: Node accepts a resumed session whatever the name, and shows no certificate', async () => {
    const server = await countingServer(named, root.chainPem, 'TLSv1.2');
    // A session from a handshake whose certificate does not name the address literal the request goes to.
    const session = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port: server.port,
        servername: 'resume.example.test',
        secureContext: trustContext([root.certPem]),
        rejectUnauthorized: false,
      });
      socket.once('session', (s: Buffer) => {
        socket.end();
        resolve(s);
      });
      socket.once('error', reject);
    });
    const request = {
      url: new URL(`https://127.0.0.1:${server.port}/`),
      method: 'GET' as const,
      address: '127.0.0.1',
      timeoutMs: 3000,
      ca: [root.certPem],
      tls: { mode: 'verify' as const },
    };
    const full = await exchange(request);
    assert.equal(!full.ok && full.code, 'ERR_TLS_CERT_ALTNAME_INVALID', 'a full handshake is refused');
    const resumed = await exchange({ ...request, session });
    assert.ok(resumed.ok && resumed.resumed, 'resumed, the same certificate passes: ports.ts never offers it so');
    assert.equal(server.resumed, 1);
  });
});

test('TLS sessions: one per key, the least recently stored goes first beyond the bound', () => {
  const sessions = new TlsSessions(2);
  const kept = (n: number) => ({ ticket: Buffer.from([n]), verifiedFor: 'a.test', sha256: null });
  sessions.set(TlsSessions.key('127.0.0.1', 443, 'a.test'), kept(1));
  sessions.set(TlsSessions.key('127.0.0.1', 443, 'b.test'), kept(2));
  sessions.set(TlsSessions.key('127.0.0.1', 443, 'a.test'), kept(3));
  sessions.set(TlsSessions.key('127.0.0.2', 443, 'a.test'), kept(4));
  assert.equal(sessions.size, 2);
  assert.equal(sessions.get(TlsSessions.key('127.0.0.1', 443, 'b.test')), undefined);
  assert.deepEqual(sessions.get(TlsSessions.key('127.0.0.1', 443, 'a.test'))?.ticket, Buffer.from([3]));
  assert.equal(sessions.forRequest(TlsSessions.key('127.0.0.1', 443, 'a.test'), 'A.TEST', undefined)?.ticket[0], 3);
  assert.equal(sessions.forRequest(TlsSessions.key('127.0.0.1', 443, 'a.test'), 'b.test', undefined), undefined);
  assert.equal(sessions.forRequest(TlsSessions.key('127.0.0.1', 443, 'a.test'), 'a.test', 'AB:CD'), undefined);
});

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const until = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
