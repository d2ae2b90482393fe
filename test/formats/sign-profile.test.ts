import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { AutodiscoError } from '../../src/errors.js';
import { loadSigner, ProfileSigner, signProfile } from '../../src/formats/sign-profile.js';
import * as x509 from '../../src/pki/x509.js';

const run = promisify(execFile);
x509.cryptoProvider.set(webcrypto);

type KeyAlgorithm = webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams;
const RSA: KeyAlgorithm = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};
const P256: KeyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' };
const P384: KeyAlgorithm = { name: 'ECDSA', namedCurve: 'P-384' };

interface Issued {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
  certPem: string;
  keyPem: string;
}

async function keyPair(algorithm: KeyAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function pem(keys: webcrypto.CryptoKeyPair, cert: x509.X509Certificate): Promise<Issued> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert, keys, certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

function signingAlgorithm(algorithm: KeyAlgorithm) {
  return algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : algorithm;
}

async function makeCa(name: string, algorithm: KeyAlgorithm, issuer?: Issued): Promise<Issued> {
  const keys = await keyPair(algorithm);
  const extensions = [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  const common = {
    serialNumber: '01',
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 86400_000),
    extensions,
  };
  const cert = issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        serialNumber: '02',
        subject: `CN=${name}`,
        issuer: issuer.cert.subject,
        publicKey: keys.publicKey,
        signingKey: issuer.keys.privateKey,
        signingAlgorithm: signingAlgorithm(algorithm),
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        ...common,
        name: `CN=${name}`,
        keys,
        signingAlgorithm: signingAlgorithm(algorithm),
      });
  return pem(keys, cert);
}

/** A leaf like an ACME one: serverAuth only, issued by `issuer`. */
async function makeLeaf(algorithm: KeyAlgorithm, issuer: Issued, issuerAlgorithm: KeyAlgorithm): Promise<Issued> {
  const keys = await keyPair(algorithm);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0a1b2c',
    subject: 'CN=autodiscover.example.com',
    issuer: issuer.cert.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 86400_000),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithm(issuerAlgorithm),
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'autodiscover.example.com' }]),
    ],
  });
  return pem(keys, cert);
}

const PROFILE = `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>PayloadDisplayName</key><string>Exämple &amp; Co — ✉</string></dict></plist>
`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autodisco-sign-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Verifies with the openssl CLI, independently of our ASN.1 code, against `ca` as the only trust anchor, and returns the
 * embedded content. `-purpose any`: the leaf is a TLS certificate (serverAuth), as an ACME one is, and
 * OpenSSL's default S/MIME purpose check would refuse it although Apple accepts it.
 */
async function opensslVerify(signed: Buffer, ca: Issued, name: string): Promise<Buffer> {
  const input = join(dir, `${name}.der`);
  const caFile = join(dir, `${name}-ca.pem`);
  const out = join(dir, `${name}.xml`);
  await writeFile(input, signed);
  await writeFile(caFile, ca.certPem);
  await run('openssl', [
    'cms',
    '-verify',
    '-inform',
    'DER',
    '-in',
    input,
    '-CAfile',
    caFile,
    '-purpose',
    'any',
    '-out',
    out,
  ]);
  return readFile(out);
}

async function cmsCertificates(signed: Buffer, name: string): Promise<string[]> {
  const input = join(dir, `${name}-certs.der`);
  await writeFile(input, signed);
  const { stdout } = await run('openssl', ['pkcs7', '-inform', 'DER', '-in', input, '-print_certs', '-noout']);
  return stdout.split('\n').filter((l) => l.startsWith('subject='));
}

async function cmsDump(signed: Buffer, name: string): Promise<string> {
  const input = join(dir, `${name}-dump.der`);
  await writeFile(input, signed);
  const { stdout } = await run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', input]);
  return stdout;
}

describe('signProfile', () => {
  test('RSA signer: openssl verifies the signature and extracts the exact content', async () => {
    const ca = await makeCa('Test Root RSA', RSA);
    const leaf = await makeLeaf(RSA, ca, RSA);
    const signed = await signProfile(PROFILE, { certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem });
    assert.equal(signed[0], 0x30, 'DER SEQUENCE');
    assert.deepEqual(await opensslVerify(signed, ca, 'rsa'), Buffer.from(PROFILE, 'utf8'));

    const dump = await cmsDump(signed, 'rsa');
    assert.match(dump, /contentType: pkcs7-signedData/);
    assert.match(dump, /eContentType: pkcs7-data/);
    assert.match(dump, /digestAlgorithm:\s*\n\s*algorithm: sha256/);
    assert.match(dump, /signatureAlgorithm:\s*\n\s*algorithm: (rsaEncryption|sha256WithRSAEncryption)/);
    // The three signed attributes.
    assert.match(dump, /object: contentType/);
    assert.match(dump, /object: messageDigest/);
    assert.match(dump, /object: signingTime/);

    // The check is real: one changed byte of the embedded profile and openssl refuses it.
    const at = signed.indexOf('PayloadDisplayName');
    assert.ok(at > 0, 'content is embedded, not detached');
    const tampered = Buffer.from(signed);
    tampered[at] = 'Q'.charCodeAt(0);
    await assert.rejects(opensslVerify(tampered, ca, 'tampered'));
  });

  test('ECDSA P-256 and P-384 signers verify', async () => {
    for (const [name, algorithm] of [
      ['p256', P256],
      ['p384', P384],
    ] as const) {
      const ca = await makeCa(`Test Root ${name}`, algorithm);
      const leaf = await makeLeaf(algorithm, ca, algorithm);
      const signed = await signProfile(Buffer.from(PROFILE), {
        certificatePem: leaf.certPem,
        privateKeyPem: leaf.keyPem,
      });
      assert.deepEqual(await opensslVerify(signed, ca, name), Buffer.from(PROFILE, 'utf8'));
      assert.match(await cmsDump(signed, name), /algorithm: ecdsa-with-SHA256/);
    }
  });

  test('a chain with an intermediate is embedded, so only the root needs to be trusted', async () => {
    const root = await makeCa('Test Root', P256);
    const intermediate = await makeCa('Test Intermediate', RSA, root);
    // The intermediate signs with its RSA key for an ECDSA leaf: mixed chains, as ACME hands out.
    const leaf = await makeLeaf(P256, intermediate, RSA);
    const signer = { certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem, chainPem: intermediate.certPem };
    const signed = await signProfile(PROFILE, signer);
    assert.deepEqual(await opensslVerify(signed, root, 'chain'), Buffer.from(PROFILE, 'utf8'));
    assert.deepEqual((await cmsCertificates(signed, 'chain')).sort(), [
      'subject=CN = Test Intermediate',
      'subject=CN = autodiscover.example.com',
    ]);

    // Without the intermediate, the root alone cannot vouch for the leaf.
    const bare = await signProfile(PROFILE, { certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem });
    await assert.rejects(opensslVerify(bare, root, 'bare'));
  });

  test('a full-chain file as certificate (leaf first) works and the leaf is embedded once', async () => {
    const root = await makeCa('Test Root', RSA);
    const intermediate = await makeCa('Test Intermediate', RSA, root);
    const leaf = await makeLeaf(RSA, intermediate, RSA);
    const fullchain = leaf.certPem + intermediate.certPem;
    const signer = await loadSigner({ certificatePem: fullchain, privateKeyPem: leaf.keyPem, chainPem: fullchain });
    assert.ok(signer instanceof ProfileSigner);
    assert.equal(signer.chain.length, 1);
    assert.match(signer.subject, /autodiscover\.example\.com/);
    assert.ok(signer.notAfter.getTime() > Date.now());
    // A loaded signer is reused without importing again.
    const signed = await signProfile(PROFILE, signer);
    assert.deepEqual(await opensslVerify(signed, root, 'fullchain'), Buffer.from(PROFILE, 'utf8'));
    assert.equal((await cmsCertificates(signed, 'fullchain')).length, 2);
  });

  test('PKCS#1 and SEC1 key files are accepted', async () => {
    const run1 = await run('openssl', ['genrsa', '2048']);
    const ec = await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
    for (const [name, keyPem] of [
      ['pkcs1', run1.stdout],
      ['sec1', ec.stdout],
    ] as const) {
      const certFile = join(dir, `${name}.crt`);
      const keyFile = join(dir, `${name}.key`);
      await writeFile(keyFile, keyPem);
      await run('openssl', ['req', '-x509', '-key', keyFile, '-out', certFile, '-subj', `/CN=${name}`, '-days', '1']);
      const certPem = await readFile(certFile, 'utf8');
      const signed = await signProfile(PROFILE, { certificatePem: certPem, privateKeyPem: keyPem });
      assert.deepEqual(await opensslVerify(signed, { certPem } as Issued, name), Buffer.from(PROFILE, 'utf8'));
    }
  });
});

describe('loadSigner errors', () => {
  async function rejectsWith(input: Parameters<typeof loadSigner>[0], pattern: RegExp) {
    await assert.rejects(loadSigner(input), (err: unknown) => {
      assert.ok(err instanceof AutodiscoError);
      assert.equal(err.code, 'ADK_ERR_SIGNING');
      assert.match(err.message, pattern);
      return true;
    });
  }

  test('unreadable certificate', async () => {
    const ca = await makeCa('Root', P256);
    await rejectsWith(
      { certificatePem: 'not a certificate', privateKeyPem: ca.keyPem },
      /certificate holds no PEM certificate/,
    );
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    await rejectsWith(
      { certificatePem: broken, privateKeyPem: ca.keyPem },
      /certificate 1 in the certificate cannot be read/,
    );
    await rejectsWith(
      { certificatePem: ca.certPem, privateKeyPem: ca.keyPem, chainPem: `${ca.certPem}${broken}` },
      /certificate 2 in the chain cannot be read/,
    );
  });

  test('unreadable or encrypted key', async () => {
    const ca = await makeCa('Root', P256);
    await rejectsWith({ certificatePem: ca.certPem, privateKeyPem: 'garbage' }, /private key cannot be read/);
    const keyFile = join(dir, 'plain.key');
    await writeFile(keyFile, ca.keyPem);
    const { stdout } = await run('openssl', ['pkey', '-in', keyFile, '-aes256', '-passout', 'pass:secret']);
    await rejectsWith(
      { certificatePem: ca.certPem, privateKeyPem: stdout },
      /private key cannot be read: it is encrypted/,
    );
  });

  test('a key that does not match the certificate', async () => {
    const ca = await makeCa('Root', RSA);
    const other = await makeCa('Other', RSA);
    await rejectsWith(
      { certificatePem: ca.certPem, privateKeyPem: other.keyPem },
      /does not belong to the certificate CN=Root/,
    );
    const ec = await makeCa('EC', P256);
    await rejectsWith({ certificatePem: ca.certPem, privateKeyPem: ec.keyPem }, /does not belong to the certificate/);
  });

  test('unsupported key types: Ed25519 and P-521', async () => {
    for (const [name, args] of [
      ['ed25519', ['-newkey', 'ed25519']],
      ['p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521']],
    ] as const) {
      const keyFile = join(dir, `${name}.key`);
      const certFile = join(dir, `${name}.crt`);
      await run('openssl', [
        'req',
        '-x509',
        ...args,
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-subj',
        `/CN=${name}`,
        '-days',
        '1',
      ]);
      const input = {
        certificatePem: await readFile(certFile, 'utf8'),
        privateKeyPem: await readFile(keyFile, 'utf8'),
      };
      await rejectsWith(
        input,
        name === 'ed25519' ? /type ed25519; only RSA and ECDSA/ : /curve secp521r1; only P-256 and P-384/,
      );
      await assert.rejects(signProfile(PROFILE, input), { code: 'ADK_ERR_SIGNING' });
    }
  });
});
