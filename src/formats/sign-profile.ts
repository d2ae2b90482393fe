/**
 * Signs a configuration profile: a DER CMS SignedData with the profile embedded, as
 * `openssl smime -sign -nodetach -outform der` makes it (docs/protocol.md §7). An unsigned profile shows as
 * "Not Signed" and scares users off (docs/protocol.md §7.3); an ACME certificate with its chain is enough.
 *
 * The ASN.1 is built with the `@peculiar/asn1-*` schemas that `@peculiar/x509` already brings (one ASN.1 stack in
 * the project); the signature itself is Node's `crypto.sign`, which emits ECDSA signatures in the DER form CMS wants.
 */
import { createHash, createPrivateKey, type KeyObject, sign, X509Certificate } from 'node:crypto';
import {
  CertificateChoices,
  CertificateSet,
  Attribute as CmsAttribute,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  id_data,
  id_signedData,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import {
  ContentType,
  id_pkcs9_at_contentType,
  id_pkcs9_at_messageDigest,
  id_pkcs9_at_signingTime,
  MessageDigest,
  SigningTime,
} from '@peculiar/asn1-pkcs9';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { AutodiscoError } from '../errors.js';

export interface SignerInput {
  /** The signing certificate; a full chain file (leaf first) also works, the rest is used as chain. */
  certificatePem: string;
  /** Its private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM, unencrypted. */
  privateKeyPem: string;
  /** Intermediate certificates, PEM, concatenated. */
  chainPem?: string;
}

function fail(message: string, cause?: unknown): never {
  throw new AutodiscoError('ADK_ERR_SIGNING', message, cause === undefined ? {} : { cause });
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) fail(`the ${what} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  const certificates: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch (err) {
      fail(`certificate ${i + 1} in the ${what} cannot be read: ${(err as Error).message}`, err);
    }
  }
  return certificates;
}

function readKey(pem: string): KeyObject {
  // Node asks for a passphrase in ways that differ by key format; the PEM itself says so plainly.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
    fail('the private key cannot be read: it is encrypted (give it without a passphrase)');
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    fail(`the private key cannot be read: ${(err as Error).message}`, err);
  }
}

/** The curves we sign with, by the names Node reports: what Apple devices verify. */
const CURVES = new Set(['prime256v1', 'secp384r1']);

const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** The CMS signature algorithm for a key we can sign profiles with, or a failure naming the key type. */
function signatureAlgorithm(key: KeyObject): AlgorithmIdentifier {
  // RFC 4055 §5: sha256WithRSAEncryption carries NULL parameters; RFC 5758 §3.2: ECDSA ones carry none.
  if (key.asymmetricKeyType === 'rsa') return new AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: null });
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    if (CURVES.has(curve)) return new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
    fail(`the private key is an EC key on curve ${curve}; only P-256 and P-384 are supported`);
  }
  fail(
    `the private key is of type ${key.asymmetricKeyType ?? 'unknown'}; only RSA and ECDSA (P-256, P-384) are supported`,
  );
}

/** A certificate and key checked once, ready to sign many profiles. */
export class ProfileSigner {
  /** The leaf certificate's subject and expiry, for logs and renewal warnings. */
  readonly subject: string;
  readonly notAfter: Date;

  constructor(
    readonly key: KeyObject,
    readonly algorithm: AlgorithmIdentifier,
    readonly certificate: Certificate,
    readonly chain: readonly Certificate[],
    leaf: X509Certificate,
  ) {
    this.subject = leaf.subject;
    this.notAfter = new Date(leaf.validTo);
  }
}

function parseCertificate(certificate: X509Certificate): Certificate {
  return AsnConvert.parse(certificate.raw, Certificate);
}

/**
 * Checks the inputs. Throws AutodiscoError ADK_ERR_SIGNING naming what is wrong: an unreadable certificate or key,
 * a key that does not belong to the certificate, or a key type we cannot sign with.
 */
export async function loadSigner(input: SignerInput): Promise<ProfileSigner> {
  const [leaf, ...rest] = readCertificates(input.certificatePem, 'certificate');
  if (!leaf) fail('the certificate holds no PEM certificate');
  const chain = [...rest, ...(input.chainPem ? readCertificates(input.chainPem, 'chain') : [])];
  const key = readKey(input.privateKeyPem);
  const algorithm = signatureAlgorithm(key);
  if (!leaf.checkPrivateKey(key)) {
    fail(`the private key does not belong to the certificate ${leaf.subject.replaceAll('\n', ', ')}`);
  }
  try {
    sign('sha256', Buffer.alloc(0), key);
  } catch (err) {
    fail(`the private key cannot be used for signing: ${(err as Error).message}`, err);
  }

  // The leaf again in the chain file (a fullchain.pem given twice) must not be embedded twice.
  const seen = new Set([leaf.fingerprint256]);
  const unique = chain.filter((c) => !seen.has(c.fingerprint256) && seen.add(c.fingerprint256));
  return new ProfileSigner(key, algorithm, parseCertificate(leaf), unique.map(parseCertificate), leaf);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function attribute(type: string, value: object): CmsAttribute {
  return new CmsAttribute({ attrType: type, attrValues: [AsnConvert.serialize(value)] });
}

/**
 * The signed attributes in DER order. RFC 5652 §5.4 signs their DER encoding, and DER sorts a SET OF by encoded
 * bytes; the schema encodes them in the order given. OpenSSL verifies either order (it keeps the received bytes),
 * but a verifier that re-encodes before checking would reject an unsorted set.
 */
function signedAttributes(digest: Buffer, now: Date): CmsAttribute[] {
  const attributes = [
    attribute(id_pkcs9_at_contentType, new ContentType(id_data)),
    // SigningTime picks UTCTime up to 2049 and GeneralizedTime from 2050, as RFC 5652 §11.3 asks.
    attribute(id_pkcs9_at_signingTime, new SigningTime(now)),
    attribute(id_pkcs9_at_messageDigest, new MessageDigest(digest)),
  ];
  const encoded = new Map(attributes.map((a) => [a, new Uint8Array(AsnConvert.serialize(a))]));
  return attributes.sort((a, b) =>
    compareBytes(encoded.get(a) ?? new Uint8Array(), encoded.get(b) ?? new Uint8Array()),
  );
}

/** DER of `SET OF Attribute`: what RFC 5652 §5.4 signs (the [0] IMPLICIT tag of the SignerInfo replaced by SET). */
function derSetOf(attributes: readonly CmsAttribute[]): Buffer {
  const content = Buffer.concat(attributes.map((a) => Buffer.from(AsnConvert.serialize(a))));
  return Buffer.concat([Buffer.from([0x31]), derLength(content.length), content]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Signs `content` (the profile XML) and returns the DER SignedData to serve as the `.mobileconfig`. */
export async function signProfile(content: Buffer | string, signer: SignerInput | ProfileSigner): Promise<Buffer> {
  const loaded = signer instanceof ProfileSigner ? signer : await loadSigner(signer);
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const digest = createHash('sha256').update(data).digest();
  const signedAttrs = signedAttributes(digest, new Date());

  let signature: Buffer;
  try {
    // dsaEncoding 'der': CMS carries ECDSA signatures as the DER SEQUENCE { r, s } (RFC 5753 §2.1.1).
    signature = sign('sha256', derSetOf(signedAttrs), { key: loaded.key, dsaEncoding: 'der' });
  } catch (err) {
    fail(`signing failed: ${(err as Error).message}`, err);
  }

  const tbs = loaded.certificate.tbsCertificate;
  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new AlgorithmIdentifier({ algorithm: SHA256 })]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: id_data,
      eContent: new EncapsulatedContent({ single: new OctetString(data) }),
    }),
    certificates: new CertificateSet(
      [loaded.certificate, ...loaded.chain].map((certificate) => new CertificateChoices({ certificate })),
    ),
    signerInfos: new SignerInfos([
      new SignerInfo({
        version: 1,
        sid: new SignerIdentifier({
          issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: tbs.issuer, serialNumber: tbs.serialNumber }),
        }),
        digestAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256 }),
        signedAttrs,
        signatureAlgorithm: loaded.algorithm,
        signature: new OctetString(signature),
      }),
    ]),
  });
  const contentInfo = new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) });
  return Buffer.from(AsnConvert.serialize(contentInfo));
}
