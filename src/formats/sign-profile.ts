/**
 * Signs a configuration profile: a DER CMS SignedData with the profile embedded, as
 * `openssl smime -sign -nodetach -outform der` makes it (protocol.md §7). An unsigned profile shows as
 * "Not Signed" and scares users off (peers.md lesson 9); an ACME certificate with its chain is enough.
 */
import { createHash, createPrivateKey, type KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AutodiscoError } from '../errors.js';

export interface SignerInput {
  /** The signing certificate; a full chain file (leaf first) also works, the rest is used as chain. */
  certificatePem: string;
  /** Its private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM, unencrypted. */
  privateKeyPem: string;
  /** Intermediate certificates, PEM, concatenated. */
  chainPem?: string;
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

/** Web Crypto curve names by the names Node reports. */
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384' };

// Passed to each call instead of pkijs.setEngine, so no global state is changed for other users of pkijs.
const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto });

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

/** The Web Crypto import parameters for a key we can sign profiles with, or a failure naming the key type. */
function importAlgorithm(key: KeyObject): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const namedCurve = CURVES[curve];
    if (namedCurve) return { name: 'ECDSA', namedCurve };
    fail(`the private key is an EC key on curve ${curve}; only P-256 and P-384 are supported`);
  }
  fail(
    `the private key is of type ${key.asymmetricKeyType ?? 'unknown'}; only RSA and ECDSA (P-256, P-384) are supported`,
  );
}

/** A certificate and key checked and imported once, ready to sign many profiles. */
export class ProfileSigner {
  /** The leaf certificate's subject and expiry, for logs and renewal warnings. */
  readonly subject: string;
  readonly notAfter: Date;

  constructor(
    readonly key: webcrypto.CryptoKey,
    readonly certificate: pkijs.Certificate,
    readonly chain: readonly pkijs.Certificate[],
    leaf: X509Certificate,
  ) {
    this.subject = leaf.subject;
    this.notAfter = new Date(leaf.validTo);
  }
}

/**
 * Checks the inputs and imports the key. Throws AutodiscoError ADK_ERR_SIGNING naming what is wrong: an unreadable
 * certificate or key, a key that does not belong to the certificate, or a key type we cannot sign with.
 */
export async function loadSigner(input: SignerInput): Promise<ProfileSigner> {
  const [leaf, ...rest] = readCertificates(input.certificatePem, 'certificate');
  if (!leaf) fail('the certificate holds no PEM certificate');
  const chain = [...rest, ...(input.chainPem ? readCertificates(input.chainPem, 'chain') : [])];
  const key = readKey(input.privateKeyPem);
  const algorithm = importAlgorithm(key);
  if (!leaf.checkPrivateKey(key)) {
    fail(`the private key does not belong to the certificate ${leaf.subject.replaceAll('\n', ', ')}`);
  }

  let cryptoKey: webcrypto.CryptoKey;
  try {
    const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
    cryptoKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  } catch (err) {
    fail(`the private key cannot be used for signing: ${(err as Error).message}`, err);
  }

  // The leaf again in the chain file (a fullchain.pem given twice) must not be embedded twice.
  const seen = new Set([leaf.fingerprint256]);
  const unique = chain.filter((c) => !seen.has(c.fingerprint256) && seen.add(c.fingerprint256));
  return new ProfileSigner(
    cryptoKey,
    pkijs.Certificate.fromBER(leaf.raw),
    unique.map((c) => pkijs.Certificate.fromBER(c.raw)),
    leaf,
  );
}

function signingTime(now: Date): asn1js.UTCTime | asn1js.GeneralizedTime {
  // RFC 5652 §11.3: UTCTime up to 2049, GeneralizedTime from 2050.
  return now.getUTCFullYear() < 2050
    ? new asn1js.UTCTime({ valueDate: now })
    : new asn1js.GeneralizedTime({ valueDate: now });
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * The signed attributes in DER order. RFC 5652 §5.4 signs their DER encoding, and DER sorts a SET OF by encoded
 * bytes; pkijs encodes them in the order given. OpenSSL verifies either order (it keeps the received bytes), but
 * a verifier that re-encodes before checking would reject an unsorted set.
 */
function signedAttributes(digest: Buffer, now: Date): pkijs.Attribute[] {
  const attributes = [
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
    new pkijs.Attribute({ type: OID.signingTime, values: [signingTime(now)] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
  ];
  const encoded = new Map(attributes.map((a) => [a, new Uint8Array(a.toSchema().toBER())]));
  return attributes.sort((a, b) =>
    compareBytes(encoded.get(a) ?? new Uint8Array(), encoded.get(b) ?? new Uint8Array()),
  );
}

/** Signs `content` (the profile XML) and returns the DER SignedData to serve as the `.mobileconfig`. */
export async function signProfile(content: Buffer | string, signer: SignerInput | ProfileSigner): Promise<Buffer> {
  const loaded = signer instanceof ProfileSigner ? signer : await loadSigner(signer);
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const digest = createHash('sha256').update(data).digest();

  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OID.data,
      eContent: new asn1js.OctetString({ valueHex: data }),
    }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({
          issuer: loaded.certificate.issuer,
          serialNumber: loaded.certificate.serialNumber,
        }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: signedAttributes(digest, new Date()),
        }),
      }),
    ],
    certificates: [loaded.certificate, ...loaded.chain],
  });
  try {
    await signedData.sign(loaded.key, 0, 'SHA-256', undefined, engine);
  } catch (err) {
    fail(`signing failed: ${(err as Error).message}`, err);
  }
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return Buffer.from(contentInfo.toSchema().toBER(false));
}
