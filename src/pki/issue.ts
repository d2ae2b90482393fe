/** End-entity (server) certificates, issued by an authority or self-signed. */
import type { X509Certificate } from 'node:crypto';
import type { Authority } from './authority.js';
import { ekuOids, generalNames, nodeCertificate, pemOf, randomSerial, subjectName } from './build.js';
import { crypto, generateKeyPair, type KeyType, privateKeyPem, signingAlgorithm } from './keys.js';
import { type ValidityOptions, validityWindow } from './validity.js';
import * as x509 from './x509.js';

export interface IssueOptions extends ValidityOptions {
  /** The signing authority, or `'self-signed'` for a certificate that signs itself. */
  issuer: Authority | 'self-signed';
  /**
   * dNSName SAN entries, as given (wildcards such as `*.example.test` or `w*.example.test` included). U-labels are
   * converted to A-labels. With no DNS names and no IP addresses the certificate has no SAN extension at all
   * (the "CN-only" certificate).
   */
  dnsNames: readonly string[];
  /** iPAddress SAN entries (IPv4 or IPv6). */
  ipAddresses?: readonly string[];
  /** Subject CN. Default: the first DNS name, else the first IP address. `null`: no CN (subject may be empty). */
  commonName?: string | null;
  organization?: string;
  /** Default `'ecdsa'` (P-256). */
  keyType?: KeyType;
  /**
   * Extended key usages, as names (`serverAuth`, `clientAuth`, …) or dotted OIDs. Default `['serverAuth']`;
   * `null` leaves the extension out (which means "any purpose").
   */
  eku?: readonly string[] | null;
  /** AIA caIssuers URL: where a client could download the issuer (what Windows does for incomplete chains). */
  caIssuersUrl?: string;
}

export interface IssuedCertificate {
  keyType: KeyType;
  /** The leaf alone. */
  certPem: string;
  /** PKCS#8 PEM of the leaf's key. */
  keyPem: string;
  /** Intermediates a server should send after the leaf (leaf and root excluded); empty when issued by a root. */
  chainPem: string;
  /** `certPem + chainPem`: what to give `tls.createServer({ cert })` for a complete chain. */
  fullChainPem: string;
  /** The leaf as node:crypto sees it. */
  x509: X509Certificate;
  /** The leaf as `@peculiar/x509` sees it. */
  certificate: x509.X509Certificate;
}

/** Leaf validity: 90 days, like the ACME certificates most servers run today. */
const LEAF_DAYS = 90;

function leafKeyUsage(keyType: KeyType): x509.KeyUsagesExtension {
  // RSA keys also get keyEncipherment for TLS 1.2 RSA key exchange; ECDSA keys only sign.
  const usages =
    keyType === 'rsa'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;
  return new x509.KeyUsagesExtension(usages, true);
}

/**
 * Issues a server certificate with the extensions a public CA would put in: basicConstraints CA:FALSE, keyUsage,
 * EKU serverAuth, SAN, SKI and (when CA-issued) AKI. Every failure class in docs/tls.md §2.1 that our
 * clients can meet is expressible: wrong or wildcard names, IP SANs, CN-only, expired, not-yet-valid,
 * self-signed, untrusted root (an authority the client does not trust) and a missing intermediate (serve
 * `certPem` without `chainPem`).
 */
export async function issueCertificate(options: IssueOptions): Promise<IssuedCertificate> {
  const keyType = options.keyType ?? 'ecdsa';
  const keys = await generateKeyPair(keyType);
  const ipAddresses = options.ipAddresses ?? [];
  const names = generalNames(options.dnsNames, ipAddresses);
  const firstName = names[0]?.value ?? null;
  const commonName = options.commonName === undefined ? firstName : options.commonName;
  const subject = subjectName(commonName, options.organization);

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    leafKeyUsage(keyType),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
  ];
  const eku = options.eku === undefined ? ['serverAuth'] : options.eku;
  if (eku !== null) extensions.push(new x509.ExtendedKeyUsageExtension(ekuOids(eku)));
  // RFC 5280 §4.2.1.6: the SAN must be critical when the subject is empty.
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, subject.empty));
  if (options.caIssuersUrl !== undefined) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ caIssuers: options.caIssuersUrl }));
  }

  const window = validityWindow(options, LEAF_DAYS);
  const serialNumber = randomSerial();
  let certificate: x509.X509Certificate;
  if (options.issuer === 'self-signed') {
    certificate = await x509.X509CertificateGenerator.createSelfSigned(
      { serialNumber, name: subject.name, keys, signingAlgorithm: signingAlgorithm(keyType), ...window, extensions },
      crypto,
    );
  } else {
    const issuer = options.issuer;
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate, false, crypto));
    certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber,
        subject: subject.name,
        issuer: issuer.certificate.subjectName,
        publicKey: keys.publicKey,
        signingKey: issuer.signingKey,
        signingAlgorithm: signingAlgorithm(issuer.keyType),
        ...window,
        extensions,
      },
      crypto,
    );
  }
  const certPem = pemOf(certificate);
  const chainPem = options.issuer === 'self-signed' ? '' : options.issuer.chainPem;
  return {
    keyType,
    certPem,
    keyPem: privateKeyPem(keys.privateKey),
    chainPem,
    fullChainPem: certPem + chainPem,
    x509: nodeCertificate(certificate),
    certificate,
  };
}
