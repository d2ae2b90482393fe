/** Certificate evidence in the shape the `discover` report uses (docs/discover-contract.md, `tls.certificate`). */
import type { X509Certificate } from 'node:crypto';
import { altNames, basicsOf, type CertificateInput, isSelfSigned, parsed, toX509 } from './certificate.js';
import { factsOf } from './der-cache.js';

/**
 * Exactly the contract's certificate object. Names are RFC 4514 strings, most specific RDN first
 * ("CN=www.contoso.test", "CN=Contoso Test Root CA, O=Contoso"); dates are ISO 8601 UTC; `sha256` is the
 * upper-case colon-separated SHA-256 of the DER.
 */
export interface CertificateSummary {
  subject: string;
  /** dNSName SAN entries as written in the certificate (wildcards included); `[]` without a SAN. */
  dnsNames: string[];
  issuer: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  /** Subject equals issuer and the certificate's own key verifies its signature. */
  selfSigned: boolean;
}

/** The summary plus what diagnostics use to explain a failure. */
export interface CertificateDetails extends CertificateSummary {
  /** Subject CN (the most specific one when there are several); null without a CN. */
  commonName: string | null;
  /** iPAddress SAN entries, IPv6 compressed. */
  ipAddresses: string[];
  /** Upper-case hex, as node:crypto writes it. */
  serialNumber: string;
  /** `'ec'`, `'rsa'`, `'ed25519'`, … (node:crypto's asymmetricKeyType). */
  keyType: string;
  /** RSA modulus bits; EC: the curve's bits (256 for P-256). Null when unknown. */
  keySize: number | null;
  /** EC named curve ("prime256v1" is P-256), else null. */
  curve: string | null;
  /** e.g. "ECDSA SHA-256", "RSASSA-PKCS1-v1_5 SHA-1": enough to flag weak digests. */
  signatureAlgorithm: string;
  /** basicConstraints cA. */
  isCA: boolean;
  /** EKU OIDs; null when the certificate has no EKU extension (valid for any purpose). */
  extendedKeyUsage: string[] | null;
  /** AIA caIssuers URLs: where Windows downloads a missing intermediate from. */
  aiaIssuers: string[];
}

export function summarizeCertificate(input: CertificateInput): CertificateSummary {
  const cert = toX509(input);
  const facts = factsOf(cert);
  facts.summary ??= summarize(cert);
  // A copy: reports are the caller's to change, the remembered summary is not.
  const known = facts.summary as CertificateSummary;
  return { ...known, dnsNames: [...known.dnsNames] };
}

function summarize(cert: X509Certificate): CertificateSummary {
  const basics = basicsOf(cert);
  return {
    subject: basics.subject,
    dnsNames: altNames(cert).dnsNames,
    issuer: basics.issuer,
    notBefore: basics.notBefore.toISOString(),
    notAfter: basics.notAfter.toISOString(),
    sha256: cert.fingerprint256,
    selfSigned: isSelfSigned(cert),
  };
}

const CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

function keyInfo(cert: X509Certificate): Pick<CertificateDetails, 'keyType' | 'keySize' | 'curve'> {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const curve = details.namedCurve ?? null;
  const keySize = details.modulusLength ?? (curve === null ? null : (CURVE_BITS[curve] ?? null));
  return { keyType: key.asymmetricKeyType ?? 'unknown', keySize, curve };
}

function aiaIssuers(cert: X509Certificate): string[] {
  // The legacy object has AIA already split by method; the `infoAccess` string would need parsing.
  const info = cert.toLegacyObject().infoAccess;
  return info?.['CA Issuers - URI'] ?? [];
}

function signatureAlgorithm(p: ReturnType<typeof parsed>): string {
  const alg: unknown = p.signatureAlgorithm;
  if (typeof alg !== 'object' || alg === null) return 'unknown';
  const name = 'name' in alg && typeof alg.name === 'string' ? alg.name : 'unknown';
  const hash = 'hash' in alg ? alg.hash : undefined;
  const hashName =
    typeof hash === 'string'
      ? hash
      : typeof hash === 'object' && hash !== null && 'name' in hash && typeof hash.name === 'string'
        ? hash.name
        : null;
  return hashName === null ? name : `${name} ${hashName}`;
}

export function describeCertificate(input: CertificateInput): CertificateDetails {
  const cert = toX509(input);
  const p = parsed(cert);
  return {
    ...summarizeCertificate(cert),
    commonName: basicsOf(cert).commonNames[0] ?? null,
    ipAddresses: altNames(cert).ipAddresses,
    serialNumber: cert.serialNumber,
    ...keyInfo(cert),
    signatureAlgorithm: signatureAlgorithm(p),
    isCA: cert.ca,
    extendedKeyUsage: cert.keyUsage ?? null,
    aiaIssuers: aiaIssuers(cert),
  };
}
