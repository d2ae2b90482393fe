/** PKCS#10 certificate signing requests, for the CSR planner: what to hand a public CA. */
import { generalNames, pemOf, subjectName } from './build.js';
import { crypto, generateKeyPair, type KeyType, privateKeyPem, signingAlgorithm } from './keys.js';
import * as x509 from './x509.js';

export interface CsrOptions {
  /** Names requested in the SAN extension (U-labels are converted to A-labels). At least one name is usual. */
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  /** Subject CN. Default: the first DNS name (CAs copy a SAN into the CN anyway). `null`: empty subject. */
  commonName?: string | null;
  organization?: string;
  /** Default `'ecdsa'` (P-256). */
  keyType?: KeyType;
}

export interface CertificateSigningRequest {
  keyType: KeyType;
  /** `-----BEGIN CERTIFICATE REQUEST-----` */
  csrPem: string;
  /** PKCS#8 PEM of the key the request is signed with; keep it to install the issued certificate. */
  keyPem: string;
  /** The request as `@peculiar/x509` sees it. */
  request: x509.Pkcs10CertificateRequest;
}

/**
 * Creates a key and a PKCS#10 request for it. The names travel as a SAN extension inside the extensionRequest
 * attribute (PKCS#9), which is where CAs read them; the CN alone is ignored by current CAs.
 */
export async function createCsr(options: CsrOptions): Promise<CertificateSigningRequest> {
  const keyType = options.keyType ?? 'ecdsa';
  const keys = await generateKeyPair(keyType);
  const names = generalNames(options.dnsNames, options.ipAddresses ?? []);
  const commonName = options.commonName === undefined ? (names[0]?.value ?? null) : options.commonName;
  const subject = subjectName(commonName, options.organization);
  const extensions: x509.Extension[] = [];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, subject.empty));
  const request = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: subject.name, keys, signingAlgorithm: signingAlgorithm(keyType), extensions },
    crypto,
  );
  return { keyType, csrPem: pemOf(request), keyPem: privateKeyPem(keys.privateKey), request };
}
