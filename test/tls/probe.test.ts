import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect, createServer as createTlsServer, rootCertificates, TLSSocket } from 'node:tls';
import { isAutodiscoError } from '../../src/errors.js';
import {
  type Authority,
  createAuthority,
  createIntermediate,
  type IssuedCertificate,
  issueCertificate,
} from '../../src/pki/index.js';
import {
  probeTls,
  stepTls,
  summarizeCertificate,
  type TlsProbeResult,
  trustContext,
  walkPeerChain,
} from '../../src/tls/index.js';
import { linkSent } from '../../src/tls/probe.js';

/** Every server a test starts, closed at the end even when an assertion fails. */
const servers: Array<() => Promise<void>> = [];
after(async () => {
  await Promise.all(servers.map((close) => close()));
});

interface Listening {
  address: string;
  port: number;
}

async function listen(server: Server, address: string): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  servers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { address, port: (server.address() as AddressInfo).port };
}

interface TlsServer extends Listening {
  /** SNI each handshake carried (null: none), in order. */
  sni: Array<string | null>;
  /** Application bytes received after handshakes: a probe must never send any. */
  bytes: () => number;
}

async function tlsServer(
  pem: { cert: string; key: string },
  options: { address?: string; contexts?: Record<string, { cert: string; key: string }> } = {},
): Promise<TlsServer> {
  const sni: Array<string | null> = [];
  let bytes = 0;
  const server = createTlsServer({ cert: pem.cert, key: pem.key }, (socket: TLSSocket) => {
    const name: unknown = (socket as TLSSocket & { servername?: unknown }).servername;
    sni.push(typeof name === 'string' && name !== '' ? name : null);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  for (const [name, context] of Object.entries(options.contexts ?? {})) server.addContext(name, context);
  const where = await listen(server, options.address ?? '127.0.0.1');
  return { ...where, sni, bytes: () => bytes };
}

/** The server completes its side of a handshake a moment after the client: poll instead of racing it. */
async function handshakesSeen(server: TlsServer, count: number): Promise<Array<string | null>> {
  for (let waited = 0; server.sni.length < count && waited < 2000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return server.sni;
}

/** Serve `pem` and probe it for `servername`, trusting `ca` in addition to the public roots. */
async function probeServed(
  pem: { cert: string; key: string },
  servername: string,
  ca: string[],
  address = '127.0.0.1',
): Promise<TlsProbeResult> {
  const server = await tlsServer(pem, { address });
  return probeTls({ address: server.address, port: server.port, servername, ca, timeoutMs: 5000 });
}

let root: Authority;
let mid: Authority;
let leaf: IssuedCertificate;

before(async () => {
  root = await createAuthority({ name: 'Contoso Test Root CA', organization: 'Contoso' });
  mid = await createIntermediate(root, { name: 'Contoso Issuing CA', organization: 'Contoso' });
  leaf = await issueCertificate({ issuer: mid, dnsNames: ['www.contoso.test'] });
});

describe('certificate accepted', () => {
  test('valid chain: evidence captured, served chain without the local root', async () => {
    const server = await tlsServer({ cert: leaf.fullChainPem, key: leaf.keyPem });
    const r = await probeTls({
      address: server.address,
      port: server.port,
      servername: 'www.contoso.test',
      ca: [root.certPem],
    });
    assert.equal(r.code, null);
    assert.equal(r.message, null);
    assert.equal(r.handshake, true);
    assert.equal(r.failedAt, null);
    assert.equal(r.authorized, true);
    assert.equal(r.authorizationError, null);
    assert.equal(r.identityError, null);
    assert.equal(r.protocol, 'TLSv1.3');
    assert.equal(r.cipher, 'TLS_AES_256_GCM_SHA384');
    assert.equal(r.address, '127.0.0.1');
    assert.equal(r.port, server.port);
    assert.equal(r.servername, 'www.contoso.test');
    assert.equal(r.host, 'www.contoso.test');
    assert.deepEqual(r.certificate, summarizeCertificate(leaf.x509));
    assert.deepEqual(
      r.chain.map((c) => c.subject),
      ['CN=www.contoso.test', 'CN=Contoso Issuing CA, O=Contoso'],
    );
    // getPeerCertificate(true) appended our trusted root; the certificates sent in the same handshake show the
    // server did not send it, without a second handshake.
    assert.equal(r.chainMethod, 'sent');
    assert.equal(r.chainAnalysis?.verdict, 'trusted');
    assert.equal(r.chainAnalysis?.ok, true);
    assert.equal(r.chainAnalysis?.path.at(-1)?.source, 'trust-store');
    // Our root sits after Node's bundled roots: `ca` adds to them, it does not replace them.
    assert.equal(r.chainAnalysis?.path.at(-1)?.index, rootCertificates.length);
    assert.deepEqual([r.names?.strict.ok, r.names?.node.ok, r.names?.outlook.ok], [true, true, true]);
    assert.deepEqual(await handshakesSeen(server, 2), ['www.contoso.test']);
    assert.deepEqual(stepTls(r), { protocol: 'TLSv1.3', error: null, certificate: r.certificate, chain: r.chain });
  });

  test('no application data is ever sent on a probe socket', async () => {
    const server = await tlsServer({ cert: leaf.fullChainPem, key: leaf.keyPem });
    await probeTls({ address: server.address, port: server.port, servername: 'www.contoso.test', ca: [root.certPem] });
    assert.equal((await handshakesSeen(server, 1)).length, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.bytes(), 0);
  });

  test("Node's detailed peer chain is not built for the probe; its tickets are handed on, then the close", async () => {
    const server = await tlsServer({ cert: leaf.fullChainPem, key: leaf.keyPem });
    const original = TLSSocket.prototype.getPeerCertificate;
    let detailed = 0;
    TLSSocket.prototype.getPeerCertificate = function (this: TLSSocket, ...args: [boolean?]) {
      if (args[0] === true) detailed++;
      return original.apply(this, args as [true]);
    } as TLSSocket['getPeerCertificate'];
    const sessions: Array<Buffer | null> = [];
    let closed: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      closed = resolve;
    });
    try {
      const r = await probeTls({
        address: server.address,
        port: server.port,
        servername: 'www.contoso.test',
        ca: [root.certPem],
        onSession: (s) => {
          sessions.push(s);
          if (s === null) closed();
        },
      });
      assert.equal(r.code, null, 'trusted chain and name: the case where Node would build it');
      assert.equal(r.chain.length, 2);
      await done;
    } finally {
      TLSSocket.prototype.getPeerCertificate = original;
    }
    assert.equal(detailed, 0);
    assert.ok(sessions.length >= 2, 'a TLS 1.3 ticket at least, then null');
    assert.ok(sessions.slice(0, -1).every((s) => Buffer.isBuffer(s)));
    assert.equal(sessions.at(-1), null);
  });

  test('root sent and trusted: the served root is kept', async () => {
    const server = await tlsServer({ cert: leaf.fullChainPem + root.certPem, key: leaf.keyPem });
    const target = { address: server.address, port: server.port, servername: 'www.contoso.test', ca: [root.certPem] };
    const r = await probeTls(target);
    assert.equal(r.code, null);
    assert.equal(r.chainMethod, 'sent');
    assert.equal(r.chain.length, 3);
    assert.deepEqual(
      r.chainAnalysis?.problems.map((p) => p.code),
      ['root-sent'],
    );
    // The sent certificates make the second look unnecessary: the same answer with it forbidden.
    const single = await probeTls({ ...target, secondLook: false });
    assert.equal(single.chainMethod, 'sent');
    assert.equal(single.chain.length, 3);
  });

  test('an RSA leaf on 127.0.0.2', async () => {
    const rsa = await issueCertificate({ issuer: mid, dnsNames: ['rsa.contoso.test'], keyType: 'rsa' });
    const r = await probeServed(
      { cert: rsa.fullChainPem, key: rsa.keyPem },
      'rsa.contoso.test',
      [root.certPem],
      '127.0.0.2',
    );
    assert.equal(r.address, '127.0.0.2');
    assert.equal(r.code, null);
    assert.equal(r.certificate?.subject, 'CN=rsa.contoso.test');
  });

  test('CN-only certificate: Node accepts it through the CN, strict does not', async () => {
    const cnOnly = await issueCertificate({ issuer: mid, dnsNames: [], commonName: 'legacy.contoso.test' });
    const r = await probeServed({ cert: cnOnly.fullChainPem, key: cnOnly.keyPem }, 'legacy.contoso.test', [
      root.certPem,
    ]);
    assert.equal(r.code, null);
    assert.deepEqual(r.certificate?.dnsNames, []);
    assert.equal(r.certificate?.subject, 'CN=legacy.contoso.test');
    assert.deepEqual(r.names?.strict, { ok: false });
    assert.deepEqual(r.names?.outlook, { ok: true, matched: 'legacy.contoso.test', via: 'cn' });
  });

  test('an IP servername sends no SNI (and no DEP0123 warning); the IP SAN is checked', async () => {
    const ipCert = await issueCertificate({ issuer: mid, dnsNames: [], ipAddresses: ['127.0.0.1'] });
    const server = await tlsServer({ cert: ipCert.fullChainPem, key: ipCert.keyPem });
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.name);
    process.on('warning', onWarning);
    try {
      const r = await probeTls({
        address: '127.0.0.1',
        port: server.port,
        servername: '127.0.0.1',
        ca: [root.certPem],
      });
      assert.equal(r.servername, null);
      assert.equal(r.host, '127.0.0.1');
      assert.equal(r.code, null);
      assert.equal(r.names?.kind, 'ip');
      assert.deepEqual(await handshakesSeen(server, 1), [null]);
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });
});

describe('the chain as sent, from one handshake', () => {
  test('out of order and with a stranger: linked from the leaf as a second look with an empty store links it', async () => {
    const stranger = await createAuthority({ name: 'Unrelated Root', organization: 'Elsewhere' });
    // Sent: leaf, a certificate that issued nothing here, then the intermediate, then our trusted root.
    const served = leaf.certPem + stranger.certPem + mid.certPem + root.certPem;
    const server = await tlsServer({ cert: served, key: leaf.keyPem });
    const r = await probeTls({
      address: server.address,
      port: server.port,
      servername: 'www.contoso.test',
      ca: [root.certPem],
    });
    assert.equal(r.chainMethod, 'sent');
    assert.deepEqual(await handshakesSeen(server, 1), ['www.contoso.test']);
    // What the second handshake used to give: Node's linked chain when our store holds nothing.
    const lookedTwice = await new Promise<string[]>((resolve, reject) => {
      const socket = connect({
        host: server.address,
        port: server.port,
        servername: 'www.contoso.test',
        secureContext: trustContext([], { bundled: false }),
        rejectUnauthorized: false,
      });
      socket.once('secureConnect', () => {
        resolve(walkPeerChain(socket.getPeerCertificate(true)).map((c) => c.fingerprint256));
        socket.end();
      });
      socket.once('error', reject);
    });
    assert.deepEqual(
      r.servedChain.map((c) => c.fingerprint256),
      lookedTwice,
    );
    assert.deepEqual(
      r.chain.map((c) => c.subject),
      ['CN=www.contoso.test', 'CN=Contoso Issuing CA, O=Contoso', 'CN=Contoso Test Root CA, O=Contoso'],
    );
  });

  test('linkSent: each step takes the first remaining certificate that issued the current one', () => {
    const [l, m, r] = [leaf.x509, mid.x509, root.x509];
    const subjects = (chain: X509Certificate[]) => chain.map((c) => c.subject);
    assert.deepEqual(linkSent([]), []);
    assert.deepEqual(subjects(linkSent([l])), subjects([l]));
    assert.deepEqual(subjects(linkSent([l, r, m])), subjects([l, m, r]));
    // A second copy of the leaf issued nothing: left out, as Node leaves it.
    assert.deepEqual(subjects(linkSent([l, new X509Certificate(leaf.certPem), m])), subjects([l, m]));
  });
});

describe('name failures', () => {
  test('wrong name: ERR_TLS_CERT_ALTNAME_INVALID with the served names captured', async () => {
    const r = await probeServed({ cert: leaf.fullChainPem, key: leaf.keyPem }, 'contoso.test', [root.certPem]);
    assert.equal(r.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(r.authorized, true); // the chain itself is fine
    assert.equal(r.authorizationError, null);
    assert.equal(r.identityError, "Host: contoso.test. is not in the cert's altnames: DNS:www.contoso.test");
    assert.equal(
      r.message,
      "Hostname/IP does not match certificate's altnames: Host: contoso.test. is not in the cert's altnames: DNS:www.contoso.test",
    );
    assert.deepEqual(r.certificate?.dnsNames, ['www.contoso.test']);
    assert.equal(stepTls(r)?.error, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('wildcard *.example.test: one label only, not the apex', async () => {
    const wild = await issueCertificate({ issuer: mid, dnsNames: ['*.example.test'] });
    const server = await tlsServer({ cert: wild.fullChainPem, key: wild.keyPem }, { address: '127.0.0.2' });
    const probe = (servername: string) =>
      probeTls({ address: server.address, port: server.port, servername, ca: [root.certPem] });
    assert.equal((await probe('a.example.test')).code, null);
    const apex = await probe('example.test');
    assert.equal(apex.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(apex.identityError, "Host: example.test. is not in the cert's altnames: DNS:*.example.test");
    assert.equal((await probe('a.b.example.test')).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('partial wildcards: w* (Node ok, strict not, Outlook ok) and *w (Outlook not)', async () => {
    const prefix = await issueCertificate({ issuer: mid, dnsNames: ['w*.example.test'] });
    const p = await probeServed({ cert: prefix.fullChainPem, key: prefix.keyPem }, 'www.example.test', [root.certPem]);
    assert.equal(p.code, null);
    assert.deepEqual([p.names?.strict.ok, p.names?.node.ok, p.names?.outlook.ok], [false, true, true]);
    const suffix = await issueCertificate({ issuer: mid, dnsNames: ['*w.example.test'] });
    const s = await probeServed({ cert: suffix.fullChainPem, key: suffix.keyPem }, 'www.example.test', [root.certPem]);
    assert.equal(s.code, null);
    assert.deepEqual([s.names?.strict.ok, s.names?.node.ok, s.names?.outlook.ok], [false, true, false]);
  });

  test('SNI server: unknown names get the default certificate', async () => {
    const hoster = await issueCertificate({ issuer: mid, dnsNames: ['server1.hoster.test', '*.hoster.test'] });
    const site = await issueCertificate({ issuer: mid, dnsNames: ['www.example.test'] });
    const server = await tlsServer(
      { cert: hoster.fullChainPem, key: hoster.keyPem },
      { contexts: { 'www.example.test': { cert: site.fullChainPem, key: site.keyPem } } },
    );
    const probe = (servername: string | null) =>
      probeTls({ address: server.address, port: server.port, servername, ca: [root.certPem], secondLook: false });

    const known = await probe('www.example.test');
    assert.equal(known.code, null);
    assert.equal(known.certificate?.sha256, site.x509.fingerprint256);

    const unknown = await probe('autodiscover.example.test');
    assert.equal(unknown.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(
      unknown.identityError,
      "Host: autodiscover.example.test. is not in the cert's altnames: DNS:server1.hoster.test, DNS:*.hoster.test",
    );
    assert.equal(unknown.certificate?.sha256, hoster.x509.fingerprint256);

    const none = await probe(null);
    assert.equal(none.servername, null);
    assert.equal(none.host, '127.0.0.1');
    assert.equal(none.certificate?.sha256, hoster.x509.fingerprint256);
    assert.equal(none.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(none.identityError, "IP: 127.0.0.1 is not in the cert's list: ");

    assert.deepEqual(await handshakesSeen(server, 3), ['www.example.test', 'autodiscover.example.test', null]);
  });
});

describe('chain failures (docs/tls.md §2.1)', () => {
  test('expired: CERT_HAS_EXPIRED, the leaf named', async () => {
    const old = await issueCertificate({ issuer: mid, dnsNames: ['old.contoso.test'], validity: 'expired' });
    const r = await probeServed({ cert: old.fullChainPem, key: old.keyPem }, 'old.contoso.test', [root.certPem]);
    assert.equal(r.code, 'CERT_HAS_EXPIRED');
    assert.equal(r.message, 'certificate has expired');
    assert.equal(r.authorizationError, 'CERT_HAS_EXPIRED');
    assert.equal(r.chainAnalysis?.verdict, 'trusted');
    assert.deepEqual(
      r.chainAnalysis?.problems.map((p) => [p.code, p.element, p.subject]),
      [['expired', 0, 'CN=old.contoso.test']],
    );
  });

  test('not yet valid: CERT_NOT_YET_VALID', async () => {
    const future = await issueCertificate({ issuer: mid, dnsNames: ['new.contoso.test'], validity: 'not-yet-valid' });
    const r = await probeServed({ cert: future.fullChainPem, key: future.keyPem }, 'new.contoso.test', [root.certPem]);
    assert.equal(r.code, 'CERT_NOT_YET_VALID');
    assert.deepEqual(
      r.chainAnalysis?.problems.map((p) => [p.code, p.element]),
      [['not-yet-valid', 0]],
    );
  });

  test('self-signed: DEPTH_ZERO_SELF_SIGNED_CERT', async () => {
    const self = await issueCertificate({ issuer: 'self-signed', dnsNames: ['self.contoso.test'] });
    const r = await probeServed({ cert: self.certPem, key: self.keyPem }, 'self.contoso.test', [root.certPem]);
    assert.equal(r.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(r.message, 'self-signed certificate');
    assert.equal(r.certificate?.selfSigned, true);
    assert.equal(r.chainMethod, 'handshake');
    assert.equal(r.chainAnalysis?.verdict, 'self-signed');
    // The name is fine: a client that accepted the certificate would have no other complaint.
    assert.equal(r.identityError, null);
  });

  test('missing intermediate: UNABLE_TO_VERIFY_LEAF_SIGNATURE and incomplete', async () => {
    const r = await probeServed({ cert: leaf.certPem, key: leaf.keyPem }, 'www.contoso.test', [root.certPem]);
    assert.equal(r.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(r.message, 'unable to verify the first certificate');
    assert.equal(r.chain.length, 1);
    assert.equal(r.chainMethod, 'handshake');
    assert.equal(r.chainAnalysis?.verdict, 'incomplete');
    assert.equal(r.chainAnalysis?.missingIssuer, 'CN=Contoso Issuing CA, O=Contoso');
  });

  test('untrusted root, intermediate sent: UNABLE_TO_GET_ISSUER_CERT_LOCALLY and untrusted-root', async () => {
    const r = await probeServed({ cert: leaf.fullChainPem, key: leaf.keyPem }, 'www.contoso.test', []);
    assert.equal(r.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    assert.equal(r.chain.length, 2);
    assert.equal(r.chainMethod, 'handshake');
    assert.equal(r.chainAnalysis?.verdict, 'untrusted-root');
    assert.equal(r.chainAnalysis?.missingIssuer, 'CN=Contoso Test Root CA, O=Contoso');
  });

  test('root sent but untrusted: SELF_SIGNED_CERT_IN_CHAIN', async () => {
    const r = await probeServed({ cert: leaf.fullChainPem + root.certPem, key: leaf.keyPem }, 'www.contoso.test', []);
    assert.equal(r.code, 'SELF_SIGNED_CERT_IN_CHAIN');
    assert.equal(r.message, 'self-signed certificate in certificate chain');
    assert.deepEqual(
      r.chain.map((c) => c.selfSigned),
      [false, false, true],
    );
    assert.equal(r.chainAnalysis?.verdict, 'untrusted-root');
    assert.equal(r.chainAnalysis?.path.at(-1)?.source, 'served');
  });

  test('the chain error wins over a wrong name, which is still recorded', async () => {
    const r = await probeServed({ cert: leaf.certPem, key: leaf.keyPem }, 'contoso.test', [root.certPem]);
    assert.equal(r.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(r.identityError, "Host: contoso.test. is not in the cert's altnames: DNS:www.contoso.test");
  });
});

describe('connection failures', () => {
  test('connection refused', async () => {
    const server = createNetServer();
    const { port } = await listen(server, '127.0.0.1');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await probeTls({ address: '127.0.0.1', port, servername: 'www.contoso.test', timeoutMs: 2000 });
    assert.equal(r.code, 'ECONNREFUSED');
    assert.equal(r.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
    assert.equal(r.handshake, false);
    assert.equal(r.failedAt, 'connect');
    assert.equal(r.certificate, null);
    assert.deepEqual(r.chain, []);
    assert.equal(r.chainAnalysis, null);
    assert.equal(stepTls(r), null); // no handshake attempted: no `tls` object in the step
  });

  test('plain HTTP on the TLS port: ERR_SSL_WRONG_VERSION_NUMBER', async () => {
    const http = createHttpServer((_req, res) => res.end('hello'));
    const { port } = await listen(http, '127.0.0.1');
    const r = await probeTls({ address: '127.0.0.1', port, servername: 'www.contoso.test', timeoutMs: 2000 });
    assert.equal(r.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
    assert.equal(r.failedAt, 'handshake');
    assert.deepEqual(stepTls(r), {
      protocol: null,
      error: 'ERR_SSL_WRONG_VERSION_NUMBER',
      certificate: null,
      chain: [],
    });
  });

  test('reset on the ClientHello (an IPS or SNI filter): ECONNRESET in the handshake', async () => {
    const server = createNetServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const { port } = await listen(server, '127.0.0.1');
    const r = await probeTls({ address: '127.0.0.1', port, servername: 'www.contoso.test', timeoutMs: 2000 });
    assert.equal(r.code, 'ECONNRESET');
    assert.equal(r.message, 'read ECONNRESET');
    assert.equal(r.handshake, false);
    assert.equal(r.failedAt, 'handshake');
    assert.deepEqual(stepTls(r), { protocol: null, error: 'ECONNRESET', certificate: null, chain: [] });
  });

  test('closed on the ClientHello (no certificate for this SNI): ECONNRESET', async () => {
    const server = createNetServer((socket) => socket.once('data', () => socket.end()));
    const { port } = await listen(server, '127.0.0.1');
    const r = await probeTls({ address: '127.0.0.1', port, servername: 'www.contoso.test', timeoutMs: 2000 });
    assert.equal(r.code, 'ECONNRESET');
    assert.equal(r.message, 'Client network socket disconnected before secure TLS connection was established');
    assert.equal(r.failedAt, 'handshake');
  });

  test('invalid arguments reject with ADK_ERR_INVALID_ARGUMENT; nothing is connected', async () => {
    const invalid = (message: string) => (error: unknown) => {
      assert.ok(isAutodiscoError(error));
      assert.equal(error.code, 'ADK_ERR_INVALID_ARGUMENT');
      assert.equal(error.message, message);
      return true;
    };
    const base = { address: '127.0.0.1', port: 443, servername: 'www.contoso.test' };
    await assert.rejects(
      probeTls({ ...base, address: 'localhost' }),
      invalid('address "localhost" is not an IP address'),
    );
    await assert.rejects(probeTls({ ...base, port: 0 }), invalid('port 0 is not a TCP port'));
    await assert.rejects(probeTls({ ...base, ca: [root.certPem, 'junk'] }), invalid('ca[1] holds no PEM certificate'));
  });

  test('TCP accepted, no TLS answer: ETIMEDOUT in the handshake', async () => {
    const server = createNetServer(() => {});
    const { port } = await listen(server, '127.0.0.1');
    const r = await probeTls({ address: '127.0.0.1', port, servername: 'www.contoso.test', timeoutMs: 200 });
    assert.equal(r.code, 'ETIMEDOUT');
    assert.equal(r.failedAt, 'handshake');
    assert.equal(r.message, `TLS handshake to 127.0.0.1:${port} timed out after 200 ms`);
    assert.ok(r.ms >= 200);
  });
});
