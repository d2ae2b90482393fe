import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { authSchemes, exchange } from '../../src/discover/http.js';
import { createAuthority, type IssuedCertificate, issueCertificate } from '../../src/pki/index.js';

test('authSchemes lists every challenge scheme once, ignoring parameters', () => {
  assert.deepEqual(authSchemes({ 'www-authenticate': 'Negotiate, NTLM' }), ['Negotiate', 'NTLM']);
  assert.deepEqual(authSchemes({ 'www-authenticate': ['Negotiate', 'NTLM', 'Basic realm="mail, eu"'] }), [
    'Negotiate',
    'NTLM',
    'Basic',
  ]);
  assert.deepEqual(
    authSchemes({ 'www-authenticate': 'Bearer authorization_uri="https://login.test/x", Basic realm="a"' }),
    ['Bearer', 'Basic'],
  );
  assert.deepEqual(authSchemes({}), []);
});

/**
 * The certificate pin of a click-through (`--accept certificate`): the user said yes to one certificate, so the
 * request may only go to a server presenting that very certificate. A server that presents another one (a second
 * backend behind the name, a certificate swapped between the probe and the request) gets no request at all.
 */
describe('exchange: pinned to the certificate the user accepted', () => {
  let server: Server;
  let served: IssuedCertificate;
  let other: IssuedCertificate;
  let url: URL;
  const received: string[] = [];

  before(async () => {
    // A self-signed certificate that no client trusts: only a pin lets the request through.
    served = await issueCertificate({ issuer: 'self-signed', dnsNames: ['pinned.example.test'] });
    const root = await createAuthority({ name: 'Pin Test Root' });
    other = await issueCertificate({ issuer: root, dnsNames: ['pinned.example.test'] });
    server = createServer({ cert: served.certPem, key: served.keyPem }, (req, res) => {
      received.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => res.end('<Autodiscover/>'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(
      `https://pinned.example.test:${(server.address() as AddressInfo).port}/autodiscover/autodiscover.xml`,
    );
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (fingerprint256: string) =>
    exchange({
      url,
      method: 'POST',
      address: '127.0.0.1',
      body: '<Autodiscover/>',
      timeoutMs: 3000,
      tls: { mode: 'pinned', fingerprint256 },
    });

  test('the accepted certificate: the request goes through', async () => {
    const since = received.length;
    const result = await post(served.x509.fingerprint256);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.status, 200);
    assert.equal(result.body, '<Autodiscover/>');
    assert.deepEqual(received.slice(since), ['POST /autodiscover/autodiscover.xml']);
  });

  test('another certificate: ERR_CERT_CHANGED, and the server never sees the request', async () => {
    const since = received.length;
    assert.notEqual(other.x509.fingerprint256, served.x509.fingerprint256);
    const result = await post(other.x509.fingerprint256);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.code, 'ERR_CERT_CHANGED');
    assert.match(!result.ok ? result.message : '', /another certificate than the one accepted/);
    // Give a request that slipped out a moment to arrive before concluding none did.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(received.slice(since), []);
  });

  test('without a pin the same untrusted certificate is refused by the normal checks', async () => {
    const since = received.length;
    const result = await exchange({
      url,
      method: 'GET',
      address: '127.0.0.1',
      timeoutMs: 3000,
      tls: { mode: 'verify' },
    });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.deepEqual(received.slice(since), []);
  });
});
