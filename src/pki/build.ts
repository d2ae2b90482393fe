/** Helpers shared by the authority, leaf and CSR builders. */
import { randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { AutodiscoError } from '../errors.js';
import * as x509 from './x509.js';

/** EKU names accepted in place of dotted OIDs. */
const EKU_NAMES: Readonly<Record<string, string>> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
  codeSigning: x509.ExtendedKeyUsage.codeSigning,
  emailProtection: x509.ExtendedKeyUsage.emailProtection,
  timeStamping: x509.ExtendedKeyUsage.timeStamping,
  ocspSigning: x509.ExtendedKeyUsage.ocspSigning,
};

function invalid(message: string): AutodiscoError {
  return new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', message);
}

/**
 * Subject name, encoded O first then CN (the customary order, so the RFC 4514 form reads "CN=…, O=…"). Values
 * are given as explicit UTF8Strings: the library's plain-string path unescapes and unquotes its input, which
 * would mangle a name containing quotes or backslashes.
 */
export function subjectName(commonName: string | null, organization?: string): { name: x509.Name; empty: boolean } {
  const rdns: x509.JsonNameParams = [];
  if (organization !== undefined) rdns.push({ O: [{ utf8String: organization }] });
  if (commonName !== null) rdns.push({ CN: [{ utf8String: commonName }] });
  return { name: new x509.Name(rdns), empty: rdns.length === 0 };
}

/**
 * 16 random bytes: RFC 5280 allows up to 20 octets and CA/B requires 64 bits of entropy. The top bit is cleared
 * (serials must be positive) and the next one set so the DER integer never needs a leading zero byte.
 */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/** PEM with a final newline, so PEMs can be concatenated into bundles as they are. */
export function pemOf(cert: x509.X509Certificate | x509.Pkcs10CertificateRequest): string {
  return `${cert.toString('pem').trimEnd()}\n`;
}

export function nodeCertificate(cert: x509.X509Certificate): X509Certificate {
  return new X509Certificate(Buffer.from(cert.rawData));
}

/**
 * DNS names go into the SAN as given when ASCII (so tests can present odd spellings), and as A-labels when they
 * contain U-labels, because an IA5String cannot carry Unicode.
 */
export function dnsName(name: string): string {
  if (name === '') throw invalid('a DNS name must not be empty');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the ASCII test itself
  if (/^[\x00-\x7f]*$/.test(name)) return name;
  const ascii = domainToASCII(name);
  if (ascii === '') throw invalid(`"${name}" is not a valid domain name`);
  return ascii;
}

export function ipAddress(address: string): string {
  if (isIP(address) === 0) throw invalid(`"${address}" is not an IP address`);
  return address;
}

/** SAN entries: DNS names first, then IP addresses, in the order given. */
export function generalNames(dnsNames: readonly string[], ipAddresses: readonly string[]): x509.JsonGeneralNames {
  return [
    ...dnsNames.map((value) => ({ type: 'dns' as const, value: dnsName(value) })),
    ...ipAddresses.map((value) => ({ type: 'ip' as const, value: ipAddress(value) })),
  ];
}

export function ekuOids(usages: readonly string[]): string[] {
  return usages.map((usage) => {
    const oid = EKU_NAMES[usage] ?? usage;
    if (!/^\d+(\.\d+)+$/.test(oid)) {
      throw invalid(`unknown extended key usage "${usage}" (expected ${Object.keys(EKU_NAMES).join(', ')} or an OID)`);
    }
    return oid;
  });
}
