import assert from 'node:assert/strict';
import { createPrivateKey, type X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { isAutodiscoError } from '../../src/errors.js';
import { createAuthority, createIntermediate, issueCertificate } from '../../src/pki/index.js';
import * as x509 from '../../src/pki/x509.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00.000Z');

function ext<T extends x509.Extension>(cert: x509.X509Certificate, type: new (raw: ArrayBuffer) => T): T {
  const found = cert.getExtension(type);
  assert.ok(found, `missing ${type.name}`);
  return found;
}

/** The WebCrypto algorithm name of a signature (the library types it with DOM types we do not load). */
function algorithmName(algorithm: unknown): unknown {
  return typeof algorithm === 'object' && algorithm !== null && 'name' in algorithm ? algorithm.name : undefined;
}

function pemCount(pem: string): number {
  return pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

function assertInvalidArgument(error: unknown): true {
  assert.ok(isAutodiscoError(error));
  assert.equal(error.code, 'ADK_ERR_INVALID_ARGUMENT');
  return true;
}

describe('authorities', () => {
  test('a root CA is self-signed with CA extensions', async () => {
    const root = await createAuthority({ name: 'Contoso Test Root CA', organization: 'Contoso', now: NOW });
    const c = root.certificate;
    assert.equal(root.kind, 'root');
    assert.equal(root.root, root);
    assert.equal(root.parent, null);
    assert.equal(root.chainPem, '');
    assert.equal(c.subject, 'O=Contoso, CN=Contoso Test Root CA'); // encoding order: O then CN
    assert.equal(c.subject, c.issuer);
    assert.equal(await c.isSelfSigned(), true);
    const bc = ext(c, x509.BasicConstraintsExtension);
    assert.equal(bc.ca, true);
    assert.equal(bc.critical, true);
    assert.equal(bc.pathLength, undefined);
    const ku = ext(c, x509.KeyUsagesExtension);
    assert.equal(ku.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(ku.critical, true);
    assert.match(ext(c, x509.SubjectKeyIdentifierExtension).keyId, /^[0-9a-f]{40}$/);
    assert.equal(c.notBefore.toISOString(), new Date(NOW.getTime() - DAY).toISOString());
    assert.equal(c.notAfter.toISOString(), new Date(NOW.getTime() + 3650 * DAY).toISOString());
    assert.equal(root.x509.ca, true);
    assert.equal(root.x509.checkPrivateKey(createPrivateKey(root.keyPem)), true);
    assert.equal(pemCount(root.certPem), 1);
    assert.ok(root.certPem.endsWith('-----END CERTIFICATE-----\n'));
  });

  test('intermediates chain to their parent and carry AKI, pathLength and AIA', async () => {
    const root = await createAuthority({ name: 'Root' });
    const mid = await createIntermediate(root, {
      name: 'Mid',
      pathLength: 1,
      caIssuersUrl: 'http://pki.test/root.crt',
    });
    const low = await createIntermediate(mid, { name: 'Low', pathLength: 0 });
    assert.equal(mid.kind, 'intermediate');
    assert.equal(low.parent, mid);
    assert.equal(low.root, root);
    assert.ok(issuedBy(mid.x509, root.x509));
    assert.ok(issuedBy(low.x509, mid.x509));
    assert.equal(
      ext(mid.certificate, x509.AuthorityKeyIdentifierExtension).keyId,
      ext(root.certificate, x509.SubjectKeyIdentifierExtension).keyId,
    );
    assert.equal(ext(mid.certificate, x509.BasicConstraintsExtension).pathLength, 1);
    assert.equal(ext(low.certificate, x509.BasicConstraintsExtension).pathLength, 0);
    const aia = ext(mid.certificate, x509.AuthorityInfoAccessExtension);
    assert.deepEqual(
      aia.caIssuers.map((g) => g.value),
      ['http://pki.test/root.crt'],
    );
    // What a server sends above a leaf issued by `low`: low, then mid; never the root.
    assert.equal(low.chainPem, low.certPem + mid.certPem);
    assert.equal(mid.chainPem, mid.certPem);
  });

  test('an RSA root can sign an ECDSA intermediate', async () => {
    const root = await createAuthority({ name: 'RSA Root', keyType: 'rsa' });
    const mid = await createIntermediate(root, { name: 'EC Mid' });
    assert.equal(root.x509.publicKey.asymmetricKeyType, 'rsa');
    assert.equal(root.x509.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(mid.x509.publicKey.asymmetricKeyType, 'ec');
    assert.equal(algorithmName(mid.certificate.signatureAlgorithm), 'RSASSA-PKCS1-v1_5');
    assert.ok(issuedBy(mid.x509, root.x509));
  });

  test('expired and not-yet-valid authorities', async () => {
    const expired = await createAuthority({ name: 'Old', validity: 'expired', now: NOW });
    assert.equal(expired.certificate.notAfter.toISOString(), new Date(NOW.getTime() - DAY).toISOString());
    const future = await createAuthority({ name: 'New', validity: 'not-yet-valid', now: NOW });
    assert.equal(future.certificate.notBefore.toISOString(), new Date(NOW.getTime() + DAY).toISOString());
  });
});

describe('issueCertificate', () => {
  test('a leaf carries the extensions of a public server certificate', async () => {
    const root = await createAuthority({ name: 'Root' });
    const mid = await createIntermediate(root, { name: 'Mid' });
    const leaf = await issueCertificate({
      issuer: mid,
      dnsNames: ['www.contoso.test', '*.contoso.test'],
      ipAddresses: ['127.0.0.2', '::1'],
      caIssuersUrl: 'http://pki.test/mid.crt',
      now: NOW,
    });
    const c = leaf.certificate;
    assert.equal(c.subject, 'CN=www.contoso.test');
    assert.equal(c.issuer, 'CN=Mid');
    const bc = ext(c, x509.BasicConstraintsExtension);
    assert.equal(bc.ca, false);
    assert.equal(bc.critical, true);
    assert.equal(ext(c, x509.KeyUsagesExtension).usages, x509.KeyUsageFlags.digitalSignature);
    assert.deepEqual([...ext(c, x509.ExtendedKeyUsageExtension).usages], ['1.3.6.1.5.5.7.3.1']);
    const san = ext(c, x509.SubjectAlternativeNameExtension);
    assert.equal(san.critical, false);
    assert.deepEqual(san.names.toJSON(), [
      { type: 'dns', value: 'www.contoso.test' },
      { type: 'dns', value: '*.contoso.test' },
      { type: 'ip', value: '127.0.0.2' },
      { type: 'ip', value: '::1' },
    ]);
    assert.equal(
      ext(c, x509.AuthorityKeyIdentifierExtension).keyId,
      ext(mid.certificate, x509.SubjectKeyIdentifierExtension).keyId,
    );
    assert.ok(ext(c, x509.SubjectKeyIdentifierExtension).keyId);
    assert.deepEqual(
      ext(c, x509.AuthorityInfoAccessExtension).caIssuers.map((g) => g.value),
      ['http://pki.test/mid.crt'],
    );
    assert.equal(
      leaf.x509.subjectAltName,
      'DNS:www.contoso.test, DNS:*.contoso.test, IP Address:127.0.0.2, IP Address:0:0:0:0:0:0:0:1',
    );
    assert.equal(c.notBefore.toISOString(), '2026-05-31T12:00:00.000Z');
    assert.equal(c.notAfter.toISOString(), '2026-08-30T12:00:00.000Z');
    assert.ok(issuedBy(leaf.x509, mid.x509));
    assert.equal(leaf.x509.checkPrivateKey(createPrivateKey(leaf.keyPem)), true);
    assert.equal(leaf.chainPem, mid.certPem);
    assert.equal(leaf.fullChainPem, leaf.certPem + mid.certPem);
    assert.equal(pemCount(leaf.fullChainPem), 2);
  });

  test('a leaf from a root has an empty chain', async () => {
    const root = await createAuthority({ name: 'Root' });
    const leaf = await issueCertificate({ issuer: root, dnsNames: ['a.test'] });
    assert.equal(leaf.chainPem, '');
    assert.equal(leaf.fullChainPem, leaf.certPem);
  });

  test('self-signed: subject is issuer, no AKI, signature verifies with its own key', async () => {
    const leaf = await issueCertificate({ issuer: 'self-signed', dnsNames: ['self.test'] });
    assert.equal(leaf.certificate.subject, 'CN=self.test');
    assert.equal(leaf.certificate.issuer, 'CN=self.test');
    assert.equal(leaf.certificate.getExtension(x509.AuthorityKeyIdentifierExtension), null);
    assert.equal(leaf.x509.verify(leaf.x509.publicKey), true);
    assert.equal(ext(leaf.certificate, x509.BasicConstraintsExtension).ca, false);
    assert.equal(leaf.chainPem, '');
  });

  test('CN-only: no SAN extension at all', async () => {
    const root = await createAuthority({ name: 'Root' });
    const leaf = await issueCertificate({ issuer: root, dnsNames: [], commonName: 'legacy.contoso.test' });
    assert.equal(leaf.certificate.getExtension(x509.SubjectAlternativeNameExtension), null);
    assert.equal(leaf.x509.subjectAltName, undefined);
    assert.equal(leaf.certificate.subject, 'CN=legacy.contoso.test');
  });

  test('no CN: the subject is empty and the SAN critical (RFC 5280 §4.2.1.6)', async () => {
    const leaf = await issueCertificate({ issuer: 'self-signed', dnsNames: ['a.test'], commonName: null });
    assert.equal(leaf.certificate.subject, '');
    assert.equal(ext(leaf.certificate, x509.SubjectAlternativeNameExtension).critical, true);
  });

  test('an IP-only certificate takes its CN from the first address', async () => {
    const leaf = await issueCertificate({ issuer: 'self-signed', dnsNames: [], ipAddresses: ['127.0.0.1'] });
    assert.equal(leaf.certificate.subject, 'CN=127.0.0.1');
    assert.equal(leaf.x509.subjectAltName, 'IP Address:127.0.0.1');
  });

  test('U-labels become A-labels; wildcards and odd ASCII stay as given', async () => {
    const leaf = await issueCertificate({ issuer: 'self-signed', dnsNames: ['bücher.example', 'w*.Example.test'] });
    assert.equal(leaf.x509.subjectAltName, 'DNS:xn--bcher-kva.example, DNS:w*.Example.test');
  });

  test('validity shapes and explicit dates', async () => {
    const expired = await issueCertificate({
      issuer: 'self-signed',
      dnsNames: ['a.test'],
      validity: 'expired',
      now: NOW,
    });
    assert.equal(expired.certificate.notAfter.toISOString(), '2026-05-31T12:00:00.000Z');
    assert.ok(expired.certificate.notBefore < expired.certificate.notAfter);
    const future = await issueCertificate({
      issuer: 'self-signed',
      dnsNames: ['a.test'],
      validity: 'not-yet-valid',
      now: NOW,
    });
    assert.equal(future.certificate.notBefore.toISOString(), '2026-06-02T12:00:00.000Z');
    const pinned = await issueCertificate({
      issuer: 'self-signed',
      dnsNames: ['a.test'],
      notBefore: new Date('2026-01-01T00:00:00.750Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
    });
    // X.509 keeps whole seconds; the factory truncates so what it was asked is what a parser reads back.
    assert.equal(pinned.certificate.notBefore.toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(pinned.certificate.notAfter.toISOString(), '2027-01-01T00:00:00.000Z');
  });

  test('EKU: names, OIDs, or none', async () => {
    const client = await issueCertificate({
      issuer: 'self-signed',
      dnsNames: ['a.test'],
      eku: ['clientAuth', '1.2.3.4'],
    });
    assert.deepEqual(client.x509.keyUsage, ['1.3.6.1.5.5.7.3.2', '1.2.3.4']);
    const none = await issueCertificate({ issuer: 'self-signed', dnsNames: ['a.test'], eku: null });
    assert.equal(none.x509.keyUsage, undefined);
  });

  test('RSA leaves also get keyEncipherment', async () => {
    const leaf = await issueCertificate({ issuer: 'self-signed', dnsNames: ['rsa.test'], keyType: 'rsa' });
    assert.equal(leaf.keyType, 'rsa');
    assert.equal(leaf.x509.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(
      ext(leaf.certificate, x509.KeyUsagesExtension).usages,
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
    assert.equal(leaf.x509.checkPrivateKey(createPrivateKey(leaf.keyPem)), true);
  });

  test('every call makes a fresh key and serial (nothing cached)', async () => {
    const a = await issueCertificate({ issuer: 'self-signed', dnsNames: ['a.test'] });
    const b = await issueCertificate({ issuer: 'self-signed', dnsNames: ['a.test'] });
    assert.notEqual(a.keyPem, b.keyPem);
    assert.notEqual(a.x509.serialNumber, b.x509.serialNumber);
    assert.match(a.x509.serialNumber, /^[4-7][0-9A-F]{31}$/);
  });

  test('bad arguments are refused with ADK_ERR_INVALID_ARGUMENT', async () => {
    await assert.rejects(
      issueCertificate({ issuer: 'self-signed', dnsNames: [], ipAddresses: ['300.1.1.1'] }),
      assertInvalidArgument,
    );
    await assert.rejects(issueCertificate({ issuer: 'self-signed', dnsNames: [''] }), assertInvalidArgument);
    await assert.rejects(
      issueCertificate({ issuer: 'self-signed', dnsNames: ['a.test'], eku: ['serverauth'] }),
      assertInvalidArgument,
    );
    await assert.rejects(
      issueCertificate({
        issuer: 'self-signed',
        dnsNames: ['a.test'],
        notBefore: new Date('2027-01-01T00:00:00Z'),
        notAfter: new Date('2026-01-01T00:00:00Z'),
      }),
      (error: unknown) => {
        assertInvalidArgument(error);
        assert.equal(
          (error as Error).message,
          'notBefore (2027-01-01T00:00:00.000Z) must be earlier than notAfter (2026-01-01T00:00:00.000Z)',
        );
        return true;
      },
    );
  });
});
