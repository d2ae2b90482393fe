import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { type Authority, createAuthority, createIntermediate, issueCertificate } from '../../src/pki/index.js';
import { describeCertificate, summarizeCertificate } from '../../src/tls/index.js';

let root: Authority;
let mid: Authority;

before(async () => {
  root = await createAuthority({ name: 'Contoso Test Root CA', organization: 'Contoso' });
  mid = await createIntermediate(root, { name: 'Contoso Issuing CA 1', organization: 'Contoso' });
});

test('the summary is exactly the contract shape', async () => {
  const leaf = await issueCertificate({
    issuer: mid,
    dnsNames: ['www.contoso.test', 'contoso.test'],
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
  });
  const summary = summarizeCertificate(leaf.x509);
  assert.deepEqual(summary, {
    subject: 'CN=www.contoso.test',
    dnsNames: ['www.contoso.test', 'contoso.test'],
    issuer: 'CN=Contoso Issuing CA 1, O=Contoso',
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2027-01-01T00:00:00.000Z',
    sha256: leaf.x509.fingerprint256,
    selfSigned: false,
  });
  // Key order matters for readable JSON reports: the contract's order.
  assert.deepEqual(Object.keys(summary), [
    'subject',
    'dnsNames',
    'issuer',
    'notBefore',
    'notAfter',
    'sha256',
    'selfSigned',
  ]);
  assert.match(summary.sha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
});

test('PEM text and DER bytes give the same summary as the object', async () => {
  const leaf = await issueCertificate({ issuer: root, dnsNames: ['a.test'] });
  const expected = summarizeCertificate(leaf.x509);
  assert.deepEqual(summarizeCertificate(leaf.certPem), expected);
  assert.deepEqual(summarizeCertificate(leaf.x509.raw), expected);
});

test('roots and self-signed leaves are selfSigned; RFC 4514 names are most specific first', () => {
  const summary = summarizeCertificate(root.x509);
  assert.equal(summary.subject, 'CN=Contoso Test Root CA, O=Contoso');
  assert.equal(summary.issuer, summary.subject);
  assert.equal(summary.selfSigned, true);
  assert.deepEqual(summary.dnsNames, []);
});

test('a self-signed server certificate (keyUsage digitalSignature only) is selfSigned', async () => {
  const leaf = await issueCertificate({ issuer: 'self-signed', dnsNames: ['self.test'] });
  assert.equal(summarizeCertificate(leaf.x509).selfSigned, true);
});

test('special characters are escaped; an empty subject is ""', async () => {
  const odd = await issueCertificate({
    issuer: 'self-signed',
    dnsNames: ['a.test'],
    commonName: ' lead#, "quoted"+plus ',
    organization: 'Contoso, Ltd; <Test>',
  });
  assert.equal(
    summarizeCertificate(odd.x509).subject,
    'CN=\\ lead#\\, \\"quoted\\"\\+plus\\ , O=Contoso\\, Ltd\\; \\<Test\\>',
  );
  const empty = await issueCertificate({ issuer: 'self-signed', dnsNames: ['a.test'], commonName: null });
  assert.equal(summarizeCertificate(empty.x509).subject, '');
});

test('CN-only certificate: dnsNames is []', async () => {
  const leaf = await issueCertificate({ issuer: root, dnsNames: [], commonName: 'legacy.contoso.test' });
  assert.deepEqual(summarizeCertificate(leaf.x509).dnsNames, []);
  assert.equal(describeCertificate(leaf.x509).commonName, 'legacy.contoso.test');
});

test('details: IPs, key, serial, EKU, AIA, CA flag, signature', async () => {
  const leaf = await issueCertificate({
    issuer: mid,
    dnsNames: ['*.contoso.test'],
    ipAddresses: ['127.0.0.2', '2001:db8::10'],
    caIssuersUrl: 'http://pki.contoso.test/issuing1.crt',
  });
  const details = describeCertificate(leaf.x509);
  assert.equal(details.commonName, '*.contoso.test');
  assert.deepEqual(details.dnsNames, ['*.contoso.test']);
  assert.deepEqual(details.ipAddresses, ['127.0.0.2', '2001:db8::10']);
  assert.equal(details.serialNumber, leaf.x509.serialNumber);
  assert.equal(details.keyType, 'ec');
  assert.equal(details.keySize, 256);
  assert.equal(details.curve, 'prime256v1');
  assert.equal(details.signatureAlgorithm, 'ECDSA SHA-256');
  assert.equal(details.isCA, false);
  assert.deepEqual(details.extendedKeyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.deepEqual(details.aiaIssuers, ['http://pki.contoso.test/issuing1.crt']);

  const ca = describeCertificate(mid.x509);
  assert.equal(ca.isCA, true);
  assert.equal(ca.extendedKeyUsage, null);
  assert.deepEqual(ca.aiaIssuers, []);
});

test('RSA key details', async () => {
  const leaf = await issueCertificate({ issuer: 'self-signed', dnsNames: ['rsa.test'], keyType: 'rsa' });
  const details = describeCertificate(leaf.x509);
  assert.equal(details.keyType, 'rsa');
  assert.equal(details.keySize, 2048);
  assert.equal(details.curve, null);
  assert.equal(details.signatureAlgorithm, 'RSASSA-PKCS1-v1_5 SHA-256');
});
