import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, test } from 'node:test';
import {
  type Authority,
  createAuthority,
  createIntermediate,
  type IssuedCertificate,
  issueCertificate,
} from '../../src/pki/index.js';
import { CertificateCache } from '../../src/tls/der-cache.js';
import {
  analyzeChain,
  describeCertificate,
  isIssuedBy,
  isSelfSigned,
  matchName,
  summarizeCertificate,
} from '../../src/tls/index.js';

let root: Authority;
let mid: Authority;
let leaf: IssuedCertificate;
let other: IssuedCertificate;

before(async () => {
  root = await createAuthority({ name: 'Cache Test Root', organization: 'Contoso' });
  mid = await createIntermediate(root, { name: 'Cache Test Issuing CA', organization: 'Contoso' });
  leaf = await issueCertificate({ issuer: mid, dnsNames: ['www.contoso.test', 'mail.contoso.test'] });
  other = await issueCertificate({ issuer: mid, dnsNames: ['autodiscover.contoso.test'], validity: 'expired' });
});

/** A fresh node:crypto object for the same DER: nothing remembered about it yet. */
const fresh = (cert: X509Certificate) => new X509Certificate(cert.raw);

describe('certificates per DER', () => {
  test('an object node:crypto made is adopted: kept as it is, and the one remembered is returned after', () => {
    const cache = new CertificateCache(8);
    const made = fresh(leaf.x509);
    assert.equal(cache.adopt(made), made, 'nothing remembered yet: the object itself');
    assert.equal(cache.adopt(fresh(leaf.x509)), made, 'the same DER later: the first object');
    assert.equal(cache.fromDer(leaf.x509.raw, leaf.x509.fingerprint256), made);
    assert.deepEqual(cache.stats, { hits: 2, misses: 1 });
  });

  test('the same DER gives the same object; another DER another one', () => {
    const cache = new CertificateCache(8);
    const a = cache.fromDer(leaf.x509.raw, leaf.x509.fingerprint256);
    const b = cache.fromDer(Buffer.from(leaf.x509.raw), leaf.x509.fingerprint256);
    assert.equal(a, b);
    assert.equal(a.fingerprint256, leaf.x509.fingerprint256);
    const c = cache.fromDer(mid.x509.raw, mid.x509.fingerprint256);
    assert.notEqual(c, a);
    assert.equal(c.fingerprint256, mid.x509.fingerprint256);
    assert.deepEqual(cache.stats, { hits: 1, misses: 2 });
  });

  test('bounded: the least recently used certificate goes first', () => {
    const cache = new CertificateCache(2);
    const l = cache.fromDer(leaf.x509.raw, leaf.x509.fingerprint256);
    cache.fromDer(mid.x509.raw, mid.x509.fingerprint256);
    // Using the leaf again makes the intermediate the oldest.
    assert.equal(cache.fromDer(leaf.x509.raw, leaf.x509.fingerprint256), l);
    cache.fromDer(root.x509.raw, root.x509.fingerprint256);
    assert.equal(cache.size, 2);
    assert.equal(cache.fromDer(leaf.x509.raw, leaf.x509.fingerprint256), l);
    const misses = cache.stats.misses;
    cache.fromDer(mid.x509.raw, mid.x509.fingerprint256);
    assert.equal(cache.stats.misses, misses + 1, 'the intermediate was evicted, so parsed again');
    assert.equal(cache.size, 2);
  });

  test('a certificate is stored under its own hash, whatever fingerprint the caller gave', () => {
    const cache = new CertificateCache(8);
    const wrong = cache.fromDer(other.x509.raw, leaf.x509.fingerprint256);
    assert.equal(wrong.fingerprint256, other.x509.fingerprint256);
    // The leaf's fingerprint does not now lead to the other certificate.
    assert.equal(cache.fromDer(leaf.x509.raw, leaf.x509.fingerprint256).fingerprint256, leaf.x509.fingerprint256);
  });
});

describe('evidence remembered per certificate is the evidence computed afresh', () => {
  test('summaries, details and name verdicts are identical, and each caller gets its own copy', () => {
    for (const cert of [leaf.x509, mid.x509, root.x509, other.x509]) {
      const first = summarizeCertificate(cert);
      const again = summarizeCertificate(cert);
      assert.deepEqual(again, first);
      assert.deepEqual(summarizeCertificate(fresh(cert)), first);
      assert.deepEqual(describeCertificate(cert), describeCertificate(fresh(cert)));
      // A report that edits its copy changes nothing for the next one.
      again.dnsNames.push('changed.test');
      again.subject = 'changed';
      assert.deepEqual(summarizeCertificate(cert), first);
    }
    assert.deepEqual(matchName('mail.contoso.test', leaf.x509), matchName('mail.contoso.test', fresh(leaf.x509)));
  });

  test('self-signed and issued-by verdicts, positive and negative, are stable', () => {
    for (let round = 0; round < 2; round++) {
      assert.equal(isSelfSigned(root.x509), true);
      assert.equal(isSelfSigned(mid.x509), false);
      assert.equal(isSelfSigned(leaf.x509), false);
      assert.equal(isIssuedBy(leaf.x509, mid.x509), true);
      assert.equal(isIssuedBy(mid.x509, root.x509), true);
      assert.equal(isIssuedBy(leaf.x509, root.x509), false);
      assert.equal(isIssuedBy(root.x509, leaf.x509), false);
    }
  });

  test('a chain analysed twice, or from fresh objects, gives the same analysis', () => {
    const now = new Date();
    const served = [other.x509, mid.x509];
    const first = analyzeChain({ servedChain: served, trustedRoots: [root.x509], now });
    assert.deepEqual(analyzeChain({ servedChain: served, trustedRoots: [root.x509], now }), first);
    assert.deepEqual(analyzeChain({ servedChain: served.map(fresh), trustedRoots: [fresh(root.x509)], now }), first);
    assert.equal(first.verdict, 'trusted');
    assert.deepEqual(
      first.problems.map((p) => p.code),
      ['expired'],
    );
  });
});
