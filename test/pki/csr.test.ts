import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import { createCsr } from '../../src/pki/index.js';
import * as x509 from '../../src/pki/x509.js';

const SAN_OID = '2.5.29.17';

/** `Pkcs10CertificateRequest.getExtension` only takes an OID string (its typings also promise a class). */
function sanOf(csr: x509.Pkcs10CertificateRequest): x509.SubjectAlternativeNameExtension {
  const san = csr.getExtension(SAN_OID);
  assert.ok(san instanceof x509.SubjectAlternativeNameExtension);
  return san;
}

/** The WebCrypto algorithm name of a signature (the library types it with DOM types we do not load). */
function algorithmName(algorithm: unknown): unknown {
  return typeof algorithm === 'object' && algorithm !== null && 'name' in algorithm ? algorithm.name : undefined;
}

/** The CSR's public key and the private key's public half, compared as SPKI DER. */
function sameKey(csr: x509.Pkcs10CertificateRequest, keyPem: string): boolean {
  const fromCsr = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  const fromKey = createPublicKey(createPrivateKey(keyPem));
  return fromCsr.export({ type: 'spki', format: 'der' }).equals(fromKey.export({ type: 'spki', format: 'der' }));
}

test('a CSR parses back with its SANs in the extension request', async () => {
  const made = await createCsr({ dnsNames: ['autodiscover.contoso.test', 'contoso.test', 'bücher.example'] });
  assert.ok(made.csrPem.startsWith('-----BEGIN CERTIFICATE REQUEST-----\n'));
  assert.ok(made.csrPem.endsWith('-----END CERTIFICATE REQUEST-----\n'));
  const csr = new x509.Pkcs10CertificateRequest(made.csrPem);
  assert.equal(csr.subject, 'CN=autodiscover.contoso.test');
  assert.deepEqual(sanOf(csr).names.toJSON(), [
    { type: 'dns', value: 'autodiscover.contoso.test' },
    { type: 'dns', value: 'contoso.test' },
    { type: 'dns', value: 'xn--bcher-kva.example' },
  ]);
  // The SAN travels in the PKCS#9 extensionRequest attribute, where CAs read it.
  assert.deepEqual(
    Array.from(csr.attributes, (a) => a.type),
    ['1.2.840.113549.1.9.14'],
  );
  assert.equal(await csr.verify(), true);
  assert.equal(algorithmName(csr.signatureAlgorithm), 'ECDSA');
  assert.equal(made.keyType, 'ecdsa');
  assert.ok(sameKey(csr, made.keyPem));
});

test('an RSA CSR with an IP, an organisation and no CN', async () => {
  const made = await createCsr({
    dnsNames: ['mail.contoso.test'],
    ipAddresses: ['192.0.2.10'],
    commonName: null,
    organization: 'Contoso',
    keyType: 'rsa',
  });
  const csr = new x509.Pkcs10CertificateRequest(made.csrPem);
  assert.equal(csr.subject, 'O=Contoso');
  assert.deepEqual(sanOf(csr).names.toJSON(), [
    { type: 'dns', value: 'mail.contoso.test' },
    { type: 'ip', value: '192.0.2.10' },
  ]);
  assert.equal(algorithmName(csr.signatureAlgorithm), 'RSASSA-PKCS1-v1_5');
  assert.equal(await csr.verify(), true);
  assert.ok(sameKey(csr, made.keyPem));
  assert.equal(createPrivateKey(made.keyPem).asymmetricKeyDetails?.modulusLength, 2048);
});
