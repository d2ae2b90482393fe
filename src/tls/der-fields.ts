/**
 * The issuer, validity and subject of a certificate, read straight from its DER (RFC 5280 §4.1) without parsing
 * the rest. `@peculiar/x509` parses the whole certificate, extensions and all, into objects: about 0.25 ms per
 * certificate here, paid for every new leaf an audit meets (two per domain), where the reports only need these
 * three fields (bench/profile-issue-10.md, third round). Names of the common shape are read here too
 * (readSimpleName); the others are decoded by the library from their DER slices, so their text is exactly what a
 * full parse gives.
 *
 * Only certificates node:crypto has already accepted come here, so the DER is well formed; anything unexpected
 * still returns null and the caller falls back to the full parse.
 */

interface Tlv {
  tag: number;
  /** Where the element starts (its tag byte). */
  start: number;
  /** Where its contents start. */
  body: number;
  /** One past its last byte. */
  end: number;
}

/** One DER element at `at` (definite lengths only, as DER requires), or null past the buffer's end. */
function readTlv(der: Uint8Array, at: number, limit: number): Tlv | null {
  if (at + 2 > limit) return null;
  const tag = der[at] as number;
  const first = der[at + 1] as number;
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    // Zero (indefinite, BER only) or more than four length bytes is not a certificate node:crypto accepted.
    if (bytes === 0 || bytes > 4 || at + 2 + bytes > limit) return null;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[at + 2 + i] as number);
    header = 2 + bytes;
  }
  const end = at + header + length;
  return end > limit ? null : { tag, start: at, body: at + header, end };
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
/** `[0] EXPLICIT Version` at the start of a v2/v3 TBSCertificate. */
const VERSION = 0xa0;

/** UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ), RFC 5280 §4.1.2.5. */
function readTime(der: Uint8Array, tlv: Tlv): Date | null {
  const text = Buffer.from(der.buffer, der.byteOffset + tlv.body, tlv.end - tlv.body).toString('latin1');
  const m =
    tlv.tag === UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : tlv.tag === GENERALIZED_TIME
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (m === null) return null;
  let year = Number(m[1]);
  if (tlv.tag === UTC_TIME) year += year >= 50 ? 1900 : 2000;
  const date = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return Number.isNaN(date.getTime()) ? null : date;
}

export interface DerFields {
  /** The issuer Name's DER (a SEQUENCE of RDNs). */
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}

/** Issuer, subject and validity of a certificate's DER; null when the DER does not have the expected shape. */
export function readDerFields(der: Uint8Array): DerFields | null {
  const certificate = readTlv(der, 0, der.length);
  if (certificate?.tag !== SEQUENCE) return null;
  const tbs = readTlv(der, certificate.body, certificate.end);
  if (tbs?.tag !== SEQUENCE) return null;
  const next = (after: Tlv | null) => (after === null ? null : readTlv(der, after.end, tbs.end));
  let field = readTlv(der, tbs.body, tbs.end);
  if (field?.tag === VERSION) field = next(field);
  if (field?.tag !== INTEGER) return null; // serialNumber
  const signature = next(field);
  if (signature?.tag !== SEQUENCE) return null;
  const issuer = next(signature);
  if (issuer?.tag !== SEQUENCE) return null;
  const validity = next(issuer);
  if (validity?.tag !== SEQUENCE) return null;
  const subject = next(validity);
  if (subject?.tag !== SEQUENCE) return null;
  const notBeforeTlv = readTlv(der, validity.body, validity.end);
  const notAfterTlv = notBeforeTlv === null ? null : readTlv(der, notBeforeTlv.end, validity.end);
  if (notBeforeTlv === null || notAfterTlv === null) return null;
  const notBefore = readTime(der, notBeforeTlv);
  const notAfter = readTime(der, notAfterTlv);
  if (notBefore === null || notAfter === null) return null;
  return {
    issuer: der.subarray(issuer.start, issuer.end),
    subject: der.subarray(subject.start, subject.end),
    notBefore,
    notAfter,
  };
}

/** Attribute types by the DER of their OID, with the short names formatName prints (the library's and ours). */
const KNOWN_TYPES = new Map<string, string>([
  ['550403', 'CN'],
  ['550407', 'L'],
  ['550408', 'ST'],
  ['55040a', 'O'],
  ['55040b', 'OU'],
  ['550406', 'C'],
  ['550404', 'SN'],
  ['55042a', 'G'],
  ['55042b', 'I'],
  ['55040c', 'T'],
  ['550405', 'SERIALNUMBER'],
  ['550409', 'STREET'],
  ['0992268993f22c640119', 'DC'],
  ['0992268993f22c640101', 'UID'],
  ['2a864886f70d010901', 'E'],
]);

const SET = 0x31;
const OID = 0x06;
/** UTF8String, PrintableString, IA5String: the string types of nearly every certificate name. */
const STRING_TAGS = new Set([0x0c, 0x13, 0x16]);

/**
 * The common shape of a Name, read without the library: every RDN one attribute of a type in KNOWN_TYPES, its
 * value a UTF8String, PrintableString or IA5String of ASCII characters. Returns the attributes in encoding order,
 * or null for anything else (several attributes in one RDN, another type or string type, a byte above 0x7F),
 * which the caller then decodes with the library: the two give the same text for what this reads (tested).
 */
export function readSimpleName(der: Uint8Array): { type: string; value: string }[] | null {
  const name = readTlv(der, 0, der.length);
  if (name?.tag !== SEQUENCE || name.end !== der.length) return null;
  const attributes: { type: string; value: string }[] = [];
  for (let at = name.body; at < name.end; ) {
    const rdn = readTlv(der, at, name.end);
    if (rdn?.tag !== SET) return null;
    const pair = readTlv(der, rdn.body, rdn.end);
    if (pair?.tag !== SEQUENCE || pair.end !== rdn.end) return null;
    const oid = readTlv(der, pair.body, pair.end);
    if (oid?.tag !== OID) return null;
    const value = readTlv(der, oid.end, pair.end);
    if (value === null || value.end !== pair.end || !STRING_TAGS.has(value.tag)) return null;
    const type = KNOWN_TYPES.get(
      Buffer.from(der.buffer, der.byteOffset + oid.body, oid.end - oid.body).toString('hex'),
    );
    if (type === undefined) return null;
    const bytes = der.subarray(value.body, value.end);
    if (bytes.some((b) => b > 0x7f)) return null;
    attributes.push({ type, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1') });
    at = rdn.end;
  }
  return attributes;
}
