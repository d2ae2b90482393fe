/**
 * Low-level readers shared by the summary, name-matching and chain modules: parse whatever form a certificate
 * arrives in, read its names the way node:tls reads them, and link certificates to their issuers the way
 * OpenSSL does.
 */
import { X509Certificate } from 'node:crypto';
import { setNewest } from '../bounded-map.js';
import { AutodiscoError } from '../errors.js';
import * as x509 from '../pki/x509.js';
import { factsOf } from './der-cache.js';
import { readDerFields, readSimpleName } from './der-fields.js';

/** A certificate as node:crypto object, DER bytes, or PEM text. */
export type CertificateInput = X509Certificate | Uint8Array | string;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function toX509(input: CertificateInput): X509Certificate {
  if (input instanceof X509Certificate) return input;
  try {
    return new X509Certificate(typeof input === 'string' ? input : Buffer.from(input));
  } catch (cause) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', 'not a certificate (expected PEM or DER X.509)', { cause });
  }
}

/** Every certificate in a PEM bundle (a CA file usually holds many; `new X509Certificate` reads only the first). */
export function parsePemBundle(pem: string): X509Certificate[] {
  return (pem.match(PEM_BLOCK) ?? []).map((block) => toX509(block));
}

/** Flattens a mixed list in which a PEM string may hold several certificates. */
export function toX509List(inputs: readonly CertificateInput[]): X509Certificate[] {
  return inputs.flatMap((input) => (typeof input === 'string' ? parsePemBundle(input) : [toX509(input)]));
}

/** The same certificate (same DER), whatever object holds it. */
export function sameCertificate(a: X509Certificate, b: X509Certificate): boolean {
  return a.fingerprint256 === b.fingerprint256;
}

// JSON string literal as node:crypto writes SAN values that contain separators (CVE-2021-44532 escaping).
// biome-ignore lint/suspicious/noControlCharactersInRegex: excluding control characters is the JSON grammar itself
const JSON_STRING = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/;

/**
 * Splits node:crypto's `subjectAltName` string ("DNS:a, IP Address:b", values JSON-quoted when they hold a comma
 * or quote). Mirrors the splitter inside `tls.checkServerIdentity`, so we see exactly the names Node sees.
 */
export function splitAltNames(altNames: string): string[] {
  const result: string[] = [];
  let token = '';
  let offset = 0;
  while (offset < altNames.length) {
    const nextSep = altNames.indexOf(',', offset);
    const nextQuote = altNames.indexOf('"', offset);
    if (nextQuote !== -1 && (nextSep === -1 || nextQuote < nextSep)) {
      token += altNames.slice(offset, nextQuote);
      const match = JSON_STRING.exec(altNames.slice(nextQuote));
      if (!match) return result; // malformed: keep what was read, as a diagnostic must not throw on odd input
      token += JSON.parse(match[0]) as string;
      offset = nextQuote + match[0].length;
    } else if (nextSep !== -1) {
      token += altNames.slice(offset, nextSep);
      result.push(token);
      token = '';
      offset = nextSep + 2; // ", "
    } else {
      token += altNames.slice(offset);
      offset = altNames.length;
    }
  }
  result.push(token);
  return result;
}

/** IPv6 in its canonical compressed lower-case form; IPv4 unchanged. node:crypto prints IPv6 SANs expanded. */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

export interface AltNames {
  dnsNames: string[];
  ipAddresses: string[];
}

export function altNames(cert: X509Certificate): AltNames {
  const result: AltNames = { dnsNames: [], ipAddresses: [] };
  if (cert.subjectAltName === undefined) return result;
  for (const entry of splitAltNames(cert.subjectAltName)) {
    if (entry.startsWith('DNS:')) result.dnsNames.push(entry.slice(4));
    else if (entry.startsWith('IP Address:')) result.ipAddresses.push(canonicalIp(entry.slice(11)));
  }
  return result;
}

/** Short names for the attribute types RFC 4514 lists that the library does not name itself. */
const EXTRA_ATTRIBUTE_NAMES = { SERIALNUMBER: '2.5.4.5', STREET: '2.5.4.9', UID: '0.9.2342.19200300.100.1.1' };

function escapeValue(value: string): string {
  // The library writes non-string values as "#<hex>" (RFC 4514 §2.4): leave those as they are.
  if (/^#[0-9A-Fa-f]+$/.test(value)) return value;
  return value
    .replace(/["+,;<>\\]/g, '\\$&')
    .replaceAll('\0', '\\00')
    .replace(/^[ #]/, '\\$&')
    .replace(/ $/, '\\ ');
}

/**
 * RFC 4514 string of a DER Name: most specific RDN first ("CN=Contoso Test Root CA, O=Contoso"), which is the
 * reverse of the encoding order that node:crypto's `subject` uses. Multi-valued RDNs are joined with "+".
 * Attribute types the library knows print as short names (CN, O, OU, C, L, ST, DC, E, …), others as dotted OIDs.
 * An empty name is "".
 */
export function formatName(name: x509.Name): string {
  return formatRdns(new x509.Name(name.toArrayBuffer(), EXTRA_ATTRIBUTE_NAMES));
}

/** formatName of a Name read by readSimpleName (one attribute per RDN, in encoding order). */
function formatSimple(attributes: readonly { type: string; value: string }[]): string {
  return attributes
    .map(({ type, value }) => `${type}=${escapeValue(value)}`)
    .reverse()
    .join(', ');
}

/** formatName of a Name already decoded with EXTRA_ATTRIBUTE_NAMES. */
function formatRdns(name: x509.Name): string {
  return name
    .toJSON()
    .map((rdn) =>
      Object.entries(rdn)
        .flatMap(([type, values]) => values.map((value) => `${type}=${escapeValue(value)}`))
        .join('+'),
    )
    .reverse()
    .join(', ');
}

/** The subject's CN values, most specific (last encoded) first. */
export function commonNames(cert: x509.X509Certificate): string[] {
  return cert.subjectName.getField('CN').reverse();
}

/**
 * Self-signed as OpenSSL means it for DEPTH_ZERO_SELF_SIGNED_CERT / SELF_SIGNED_CERT_IN_CHAIN: subject equals
 * issuer and the certificate's own key verifies its signature. Deliberately not `checkIssued(self)`, which also
 * demands keyCertSign and so says "no" for a self-signed server certificate whose key usage is digitalSignature.
 */
export function isSelfSigned(cert: X509Certificate): boolean {
  const facts = factsOf(cert);
  if (facts.selfSigned !== undefined) return facts.selfSigned;
  let selfSigned = false;
  if (cert.subject === cert.issuer) {
    try {
      selfSigned = cert.verify(cert.publicKey);
    } catch {
      selfSigned = false;
    }
  }
  facts.selfSigned = selfSigned;
  return selfSigned;
}

/**
 * `parent` issued `child`, by OpenSSL's own test (X509_check_issued: names, AKI/SKI, parent allowed to sign
 * certificates) plus the signature itself. This is how OpenSSL links a chain, so our paths match Node's.
 */
export function isIssuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  // X509_check_issued starts by comparing the names; where both are of the simple shape we compare them the same
  // way first, without the native call: a chain is built by trying every root of the store (about 150) at each
  // step, and nearly all of them differ by name.
  if (!namesMayMatch(child, parent)) return false;
  // Only a positive name check is worth remembering: the signature verification behind it is the cost.
  try {
    if (!child.checkIssued(parent)) return false;
  } catch {
    return false;
  }
  const facts = factsOf(child);
  facts.issuedBy ??= new Map();
  const known = facts.issuedBy.get(parent.fingerprint256);
  if (known !== undefined) return known;
  let issued: boolean;
  try {
    issued = child.verify(parent.publicKey);
  } catch {
    issued = false;
  }
  facts.issuedBy.set(parent.fingerprint256, issued);
  return issued;
}

/** The same certificate parsed by `@peculiar/x509`, for what node:crypto 20 does not expose (dates, names). */
export function parsed(cert: X509Certificate): x509.X509Certificate {
  const facts = factsOf(cert);
  facts.parsed ??= new x509.X509Certificate(new Uint8Array(cert.raw));
  return facts.parsed as x509.X509Certificate;
}

/** What reports and name checks read from every certificate beyond node:crypto's own fields. */
export interface CertificateBasics {
  /** RFC 4514, as formatName writes it. */
  subject: string;
  issuer: string;
  /** As commonNames() gives them. */
  commonNames: string[];
  notBefore: Date;
  notAfter: Date;
}

/** What one Name gives: its RFC 4514 text, its CNs, and OpenSSL's canonical form where simple (else null). */
interface NameFacts {
  text: string;
  commonNames: string[];
  canonical: string | null;
}

/** The basics, and beside them the canonical names isIssuedBy compares (not part of what callers read). */
interface KnownBasics {
  basics: CertificateBasics;
  canonical: { issuer: string | null; subject: string | null };
}

/**
 * The subject, issuer, CNs and validity of a certificate, computed once per DER. They are read from the DER's
 * issuer, validity and subject fields alone (der-fields.ts), which costs a fifth of the full parse an audit
 * otherwise made for every new leaf; the full parse stays the fallback for a DER of unexpected shape.
 */
export function basicsOf(cert: X509Certificate): CertificateBasics {
  return knownBasicsOf(cert).basics;
}

function knownBasicsOf(cert: X509Certificate): KnownBasics {
  const facts = factsOf(cert);
  facts.basics ??= readBasics(cert);
  return facts.basics as KnownBasics;
}

/** ASCII whitespace as C's isspace() in the C locale (OpenSSL's ossl_isspace). */
const SPACE = /[ \t\n\v\f\r]+/g;

/**
 * One Name's facts. Names of the simple shape (readSimpleName: one attribute per RDN, known types, ASCII) are read
 * without the library, and their canonical form is the one OpenSSL compares names in (X509_NAME_cmp on the
 * canonical encoding, x509_name_canon and asn1_string_canon in crypto/x509/x_name.c): each value with leading and
 * trailing whitespace dropped, inner runs of it one space, ASCII letters in lower case; the string type does not
 * count. Two simple names are equal for OpenSSL exactly when their canonical strings are. Other names are decoded
 * by the library, without a canonical form.
 */
function readName(der: Uint8Array): NameFacts {
  const simple = readSimpleName(der);
  if (simple === null) {
    const name = new x509.Name(der, EXTRA_ATTRIBUTE_NAMES);
    return { text: formatRdns(name), commonNames: name.getField('CN').reverse(), canonical: null };
  }
  return {
    text: formatSimple(simple),
    commonNames: simple
      .filter((a) => a.type === 'CN')
      .map((a) => a.value)
      .reverse(),
    canonical: simple.map((a) => `${a.type}=${a.value.replace(SPACE, ' ').trim().toLowerCase()}`).join('\u0000'),
  };
}

/** Issuer names seen, by their DER: the same few CAs issue every leaf of an audit. */
const issuerNames = new Map<string, NameFacts>();

function issuerName(der: Uint8Array): NameFacts {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  const known = issuerNames.get(key);
  if (known !== undefined) return known;
  const facts = readName(der);
  setNewest(issuerNames, key, facts, 256);
  return facts;
}

function readBasics(cert: X509Certificate): KnownBasics {
  const fields = readDerFields(new Uint8Array(cert.raw));
  if (fields === null) {
    const p = parsed(cert);
    return {
      basics: {
        subject: formatName(p.subjectName),
        issuer: formatName(p.issuerName),
        commonNames: commonNames(p),
        notBefore: p.notBefore,
        notAfter: p.notAfter,
      },
      canonical: { issuer: null, subject: null },
    };
  }
  const subject = readName(fields.subject);
  const issuer = issuerName(fields.issuer);
  return {
    basics: {
      subject: subject.text,
      issuer: issuer.text,
      commonNames: subject.commonNames,
      notBefore: fields.notBefore,
      notAfter: fields.notAfter,
    },
    canonical: { issuer: issuer.canonical, subject: subject.canonical },
  };
}

/**
 * False when `parent` certainly did not issue `child` by name: both names are of the simple shape and differ as
 * OpenSSL compares them. True otherwise (then only `child.checkIssued(parent)` can tell): the test to make before
 * that native call when trying many candidates (a trust store of about 150 roots).
 */
export function namesMayMatch(child: X509Certificate, parent: X509Certificate): boolean {
  const issuer = knownBasicsOf(child).canonical.issuer;
  const subject = knownBasicsOf(parent).canonical.subject;
  return issuer === null || subject === null || issuer === subject;
}
