import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { rootCertificates } from 'node:tls';
import { isAutodiscoError } from '../../src/errors.js';
import {
  type Authority,
  createAuthority,
  createIntermediate,
  type IssuedCertificate,
  issueCertificate,
} from '../../src/pki/index.js';
import * as x509 from '../../src/pki/x509.js';
import { analyzeChain, type ChainAnalysis } from '../../src/tls/index.js';

const NOW = new Date('2026-06-01T12:00:00Z');

let root: Authority;
let mid: Authority;
let leaf: IssuedCertificate;

before(async () => {
  root = await createAuthority({ name: 'Contoso Root', now: NOW });
  mid = await createIntermediate(root, { name: 'Contoso Issuing', now: NOW, caIssuersUrl: 'http://pki.test/root.crt' });
  leaf = await issueCertificate({
    issuer: mid,
    dnsNames: ['www.contoso.test'],
    now: NOW,
    caIssuersUrl: 'http://pki.test/issuing.crt',
  });
});

/** Where each path element came from and what it is, compactly. */
function shape(a: ChainAnalysis): string[] {
  return a.path.map((e) => `${e.source}#${e.index}:${e.role}:${e.certificate.subject}`);
}

function codes(a: ChainAnalysis): string[] {
  return a.problems.map((p) => `${p.code}@${p.element}`);
}

describe('trust verdicts', () => {
  test('trusted: leaf and intermediate sent, root in the store', () => {
    const a = analyzeChain({ servedChain: [leaf.x509, mid.x509], trustedRoots: [root.certPem], now: NOW });
    assert.equal(a.verdict, 'trusted');
    assert.equal(a.ok, true);
    assert.deepEqual(shape(a), [
      'served#0:leaf:CN=www.contoso.test',
      'served#1:intermediate:CN=Contoso Issuing',
      'trust-store#0:root:CN=Contoso Root',
    ]);
    assert.deepEqual(a.problems, []);
    assert.deepEqual(a.unused, []);
    assert.equal(a.missingIssuer, null);
    assert.ok(a.path.every((e) => e.validity === 'valid'));
  });

  test('PEM bundles are split, and the bundled Mozilla roots can sit beside ours', () => {
    const a = analyzeChain({
      servedChain: [leaf.fullChainPem],
      trustedRoots: [...rootCertificates, root.certPem],
      now: NOW,
    });
    assert.equal(a.verdict, 'trusted');
    assert.equal(a.path[2]?.index, rootCertificates.length);
  });

  test('root sent and trusted: trusted, with an info note', () => {
    const a = analyzeChain({ servedChain: [leaf.fullChainPem, root.certPem], trustedRoots: [root.x509], now: NOW });
    assert.equal(a.verdict, 'trusted');
    assert.equal(a.ok, true);
    assert.deepEqual(codes(a), ['root-sent@2']);
    assert.equal(a.path[2]?.source, 'trust-store');
  });

  test('the order the server sends in does not matter to the path', () => {
    const a = analyzeChain({ servedChain: [leaf.x509, root.x509, mid.x509], trustedRoots: [root.x509], now: NOW });
    assert.equal(a.verdict, 'trusted');
    assert.deepEqual(
      a.path.map((e) => e.certificate.subject),
      ['CN=www.contoso.test', 'CN=Contoso Issuing', 'CN=Contoso Root'],
    );
  });

  test('incomplete: the leaf alone, its issuer not sent', () => {
    const a = analyzeChain({ servedChain: [leaf.x509], trustedRoots: [root.x509], now: NOW });
    assert.equal(a.verdict, 'incomplete');
    assert.equal(a.ok, false);
    assert.deepEqual(shape(a), ['served#0:leaf:CN=www.contoso.test']);
    assert.equal(a.missingIssuer, 'CN=Contoso Issuing');
    assert.deepEqual(a.missingIssuerUrls, ['http://pki.test/issuing.crt']);
    assert.deepEqual(a.problems, [
      {
        code: 'incomplete',
        severity: 'error',
        element: 0,
        subject: 'CN=www.contoso.test',
        message: 'The server does not send the issuer "CN=Contoso Issuing" of "CN=www.contoso.test".',
      },
    ]);
  });

  test('incomplete, resolved with the AIA-downloaded intermediate', () => {
    const a = analyzeChain({
      servedChain: [leaf.x509],
      trustedRoots: [root.x509],
      intermediates: [mid.certPem],
      now: NOW,
    });
    assert.equal(a.verdict, 'incomplete');
    assert.deepEqual(shape(a), [
      'served#0:leaf:CN=www.contoso.test',
      'supplied#0:intermediate:CN=Contoso Issuing',
      'trust-store#0:root:CN=Contoso Root',
    ]);
    assert.equal(a.missingIssuer, null);
    assert.deepEqual(codes(a), ['incomplete@0']);
  });

  test('untrusted root: intermediate sent, its issuer unknown', () => {
    const a = analyzeChain({ servedChain: [leaf.x509, mid.x509], trustedRoots: rootCertificates, now: NOW });
    assert.equal(a.verdict, 'untrusted-root');
    assert.equal(a.missingIssuer, 'CN=Contoso Root');
    assert.deepEqual(a.missingIssuerUrls, ['http://pki.test/root.crt']);
    assert.deepEqual(codes(a), ['untrusted-root@1']);
    assert.equal(
      a.problems[0]?.message,
      '"CN=Contoso Issuing" was issued by "CN=Contoso Root", which is neither sent nor a trusted root.',
    );
  });

  test('untrusted root sent in the chain', () => {
    const a = analyzeChain({ servedChain: [leaf.fullChainPem + root.certPem], trustedRoots: [], now: NOW });
    assert.equal(a.verdict, 'untrusted-root');
    assert.deepEqual(shape(a).at(-1), 'served#2:root:CN=Contoso Root');
    assert.deepEqual(codes(a), ['untrusted-root@2']);
    assert.equal(a.missingIssuer, null);
  });

  test('untrusted root after a supplied intermediate records both problems', () => {
    const a = analyzeChain({ servedChain: [leaf.x509], trustedRoots: [], intermediates: [mid.x509], now: NOW });
    assert.equal(a.verdict, 'untrusted-root');
    assert.deepEqual(codes(a), ['untrusted-root@1', 'incomplete@0']);
  });

  test('self-signed leaf; trusted when the leaf itself is in the store', async () => {
    const self = await issueCertificate({ issuer: 'self-signed', dnsNames: ['self.test'], now: NOW });
    const a = analyzeChain({ servedChain: [self.x509], trustedRoots: [root.x509], now: NOW });
    assert.equal(a.verdict, 'self-signed');
    assert.deepEqual(shape(a), ['served#0:leaf:CN=self.test']);
    assert.deepEqual(codes(a), ['self-signed@0']);
    const pinned = analyzeChain({ servedChain: [self.x509], trustedRoots: [self.certPem], now: NOW });
    assert.equal(pinned.verdict, 'trusted');
    assert.equal(pinned.ok, true);
  });
});

describe('per-element problems', () => {
  test('an expired leaf in an incomplete chain: both reported, the leaf named', async () => {
    const old = await issueCertificate({ issuer: mid, dnsNames: ['old.contoso.test'], validity: 'expired', now: NOW });
    const a = analyzeChain({ servedChain: [old.x509], trustedRoots: [root.x509], now: NOW });
    assert.equal(a.verdict, 'incomplete');
    assert.deepEqual(codes(a), ['incomplete@0', 'expired@0']);
    const expired = a.problems[1];
    assert.equal(expired?.subject, 'CN=old.contoso.test');
    assert.equal(expired?.message, '"CN=old.contoso.test" expired on 2026-05-31T12:00:00.000Z.');
    assert.equal(a.path[0]?.validity, 'expired');
  });

  test('an expired intermediate under a valid leaf: element 1', async () => {
    const oldMid = await createIntermediate(root, { name: 'Old Issuing', validity: 'expired', now: NOW });
    const fresh = await issueCertificate({ issuer: oldMid, dnsNames: ['a.contoso.test'], now: NOW });
    const a = analyzeChain({ servedChain: [fresh.fullChainPem], trustedRoots: [root.x509], now: NOW });
    assert.equal(a.verdict, 'trusted');
    assert.equal(a.ok, false);
    assert.deepEqual(codes(a), ['expired@1']);
    assert.equal(a.problems[0]?.subject, 'CN=Old Issuing');
  });

  test('not yet valid leaf; an expired trusted root', async () => {
    const future = await issueCertificate({ issuer: mid, dnsNames: ['f.test'], validity: 'not-yet-valid', now: NOW });
    const a = analyzeChain({ servedChain: [future.x509, mid.x509], trustedRoots: [root.x509], now: NOW });
    assert.deepEqual(codes(a), ['not-yet-valid@0']);
    assert.equal(a.problems[0]?.message, '"CN=f.test" is valid from 2026-06-02T12:00:00.000Z.');
    const later = new Date(NOW.getTime() + 3651 * 86_400_000);
    const b = analyzeChain({ servedChain: [leaf.x509, mid.x509], trustedRoots: [root.x509], now: later });
    assert.deepEqual(codes(b), ['expired@0', 'expired@1', 'expired@2']);
  });

  test('an unrelated certificate in the served chain', async () => {
    const stranger = await createAuthority({ name: 'Stranger CA' });
    const a = analyzeChain({ servedChain: [leaf.x509, stranger.x509, mid.x509], trustedRoots: [root.x509], now: NOW });
    assert.equal(a.verdict, 'trusted');
    assert.equal(a.ok, true);
    assert.deepEqual(a.unused, [1]);
    assert.deepEqual(a.problems, [
      {
        code: 'unused-certificate',
        severity: 'warning',
        element: 1,
        subject: 'CN=Stranger CA',
        message: 'The server sends "CN=Stranger CA", which is not part of the leaf\'s chain.',
      },
    ]);
  });

  test('a leaf without serverAuth', async () => {
    const client = await issueCertificate({ issuer: mid, dnsNames: ['c.test'], eku: ['clientAuth'], now: NOW });
    const a = analyzeChain({ servedChain: [client.x509, mid.x509], trustedRoots: [root.x509], now: NOW });
    assert.equal(a.verdict, 'trusted');
    assert.equal(a.ok, false);
    assert.deepEqual(codes(a), ['no-server-auth@0']);
    const any = await issueCertificate({ issuer: mid, dnsNames: ['c.test'], eku: null, now: NOW });
    assert.deepEqual(
      codes(analyzeChain({ servedChain: [any.x509, mid.x509], trustedRoots: [root.x509], now: NOW })),
      [],
    );
  });

  test('an issuer that is not a CA', async () => {
    // Built by hand: the factory refuses to make a non-CA issuer. keyCertSign is set so OpenSSL still links it.
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const fake = await x509.X509CertificateGenerator.create(
      {
        subject: 'CN=Not A CA',
        issuer: mid.certificate.subjectName,
        publicKey: keys.publicKey,
        signingKey: mid.signingKey,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        notBefore: new Date(NOW.getTime() - 86_400_000),
        notAfter: new Date(NOW.getTime() + 86_400_000),
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
        ],
      },
      webcrypto,
    );
    const child = await x509.X509CertificateGenerator.create(
      {
        subject: 'CN=child.test',
        issuer: fake.subjectName,
        publicKey: keys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        notBefore: new Date(NOW.getTime() - 86_400_000),
        notAfter: new Date(NOW.getTime() + 86_400_000),
      },
      webcrypto,
    );
    const a = analyzeChain({
      servedChain: [new Uint8Array(child.rawData), new Uint8Array(fake.rawData), mid.x509],
      trustedRoots: [root.x509],
      now: NOW,
    });
    assert.equal(a.verdict, 'trusted');
    assert.deepEqual(codes(a), ['issuer-not-ca@1']);
  });

  test('an empty served chain is a caller error', () => {
    assert.throws(
      () => analyzeChain({ servedChain: [], trustedRoots: [root.x509] }),
      (error: unknown) => isAutodiscoError(error) && error.code === 'ADK_ERR_INVALID_ARGUMENT',
    );
  });
});
