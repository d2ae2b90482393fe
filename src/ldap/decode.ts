/**
 * Reading client requests off the wire. ldapts is a client: its MessageParser only knows responses, and its request
 * classes' parsers assume well-formed input (SearchRequest also inherits the PresenceFilter offset bug), so the
 * LDAPMessage envelope, BindRequest and SearchRequest are read here with ldapts' BerReader, with every length
 * checked, because these bytes come from whoever connects.
 */
import { BerReader, type Filter } from 'ldapts';
import { LdapDecodeError } from './codes.js';
import { readFilter } from './filter.js';

/** Request protocolOp tags (RFC 4511 §4.2 onwards, [APPLICATION n]). */
export const RequestTag = {
  bind: 0x60,
  unbind: 0x42,
  search: 0x63,
  modify: 0x66,
  add: 0x68,
  delete: 0x4a,
  modifyDN: 0x6c,
  compare: 0x6e,
  abandon: 0x50,
  extended: 0x77,
} as const;

const CONTROLS_TAG = 0xa0;
const SASL_TAG = 0xa3;
const SIMPLE_TAG = 0x80;
const EXTENDED_NAME_TAG = 0x80;

export interface RequestControl {
  type: string;
  critical: boolean;
  value: Buffer;
}

export type LdapRequest =
  | {
      kind: 'bind';
      version: number;
      dn: string;
      auth: { method: 'simple'; password: string } | { method: 'sasl'; mechanism: string };
    }
  | {
      kind: 'search';
      base: string;
      /** Raw enumeration: 0 base, 1 one, 2 sub, 3 subordinates (validated by the caller). */
      scope: number;
      sizeLimit: number;
      typesOnly: boolean;
      filter: Filter;
      /** As the client wrote them (ldapts would lower-case them). */
      attributes: string[];
    }
  | {
      kind: 'add';
      dn: string;
      /** In the order the client sent them; types as written, values as UTF-8 text. */
      attributes: { type: string; values: string[] }[];
    }
  | { kind: 'unbind' }
  | { kind: 'abandon'; abandonId: number }
  | { kind: 'extended'; oid: string }
  /** Any other request, answered by tag alone. */
  | { kind: 'other'; tag: number };

export interface LdapMessageIn {
  messageId: number;
  request: LdapRequest;
  controls: RequestControl[];
}

/**
 * Cuts one complete LDAPMessage off the front of `buffer`. While bytes are missing, returns how many the buffer must
 * hold before trying again (so a big message arriving in small chunks is not re-joined for every chunk). Throws on
 * bytes that cannot start an LDAPMessage or announce one larger than `maxLength`.
 */
export function takeFrame(buffer: Buffer, maxLength: number): { frame: Buffer; rest: Buffer } | { need: number } {
  if (buffer.length === 0) return { need: 1 };
  if (buffer[0] !== 0x30) throw new LdapDecodeError(`not an LDAPMessage (first byte 0x${buffer[0]?.toString(16)})`);
  const reader = new BerReader(buffer);
  let contentStart: number | null;
  try {
    contentStart = reader.readLength(1);
  } catch (cause) {
    throw new LdapDecodeError(`bad message length: ${(cause as Error).message}`);
  }
  if (contentStart === null) return { need: buffer.length + 1 };
  const length = reader.length;
  if (length < 0 || length > maxLength) throw new LdapDecodeError(`message of ${length} bytes refused`);
  const end = contentStart + length;
  if (buffer.length < end) return { need: end };
  return { frame: buffer.subarray(0, end), rest: buffer.subarray(end) };
}

function need<T>(value: T | null, what: string): T {
  if (value === null) throw new LdapDecodeError(`truncated ${what}`);
  return value;
}

const MAX_NESTING = 64;

/**
 * Checks that every TLV in buf[start, end) fits inside its parent and that constructed ones are tiled exactly by
 * their children. Done once per message before any parsing, because ldapts' parsers loop on `readString() ?? ''`
 * and never advance past a string whose length overruns the buffer: a fuzzed substring filter made one grow an
 * array until the process died.
 */
export function checkBerStructure(buf: Buffer, start: number, end: number, depth = 0): void {
  if (depth > MAX_NESTING) throw new LdapDecodeError('BER nested too deeply');
  let pos = start;
  while (pos < end) {
    const tag = buf[pos] as number;
    if ((tag & 0x1f) === 0x1f) throw new LdapDecodeError('multi-byte BER tags are not used by LDAP');
    let lengthByte = buf[pos + 1];
    if (lengthByte === undefined || pos + 1 >= end) throw new LdapDecodeError('BER element without length');
    let contentStart = pos + 2;
    let length = lengthByte;
    if (lengthByte & 0x80) {
      const count = lengthByte & 0x7f;
      if (count === 0 || count > 4) throw new LdapDecodeError('unsupported BER length form');
      if (contentStart + count > end) throw new LdapDecodeError('BER length overruns its parent');
      length = 0;
      for (let k = 0; k < count; k++) {
        lengthByte = buf[contentStart + k] as number;
        length = length * 256 + lengthByte;
      }
      contentStart += count;
    }
    const contentEnd = contentStart + length;
    if (contentEnd > end) throw new LdapDecodeError('BER element overruns its parent');
    if (tag & 0x20) checkBerStructure(buf, contentStart, contentEnd, depth + 1);
    pos = contentEnd;
  }
}

/** Decodes one frame from takeFrame. Throws LdapDecodeError for anything malformed. */
export function decodeMessage(frame: Buffer): LdapMessageIn {
  checkBerStructure(frame, 0, frame.length);
  // Copy so that offsets start at 0 and the reader cannot see past the frame.
  const reader = new BerReader(Buffer.from(frame));
  try {
    need(reader.readSequence(0x30), 'LDAPMessage');
    const messageId = need(reader.readInt(), 'messageID');
    if (messageId < 0) throw new LdapDecodeError('negative messageID');
    const tag = need(reader.readSequence(), 'protocolOp');
    const opEnd = reader.offset + reader.length;
    if (reader.length < 0 || opEnd > reader.buffer.length) throw new LdapDecodeError('protocolOp longer than message');
    const request = readRequest(reader, tag, opEnd);
    if (reader.offset > opEnd) throw new LdapDecodeError('request overruns its length');
    reader.offset = opEnd; // skips what is not read (bodies of refused operations)
    const controls = reader.peek() === CONTROLS_TAG ? readControls(reader) : [];
    return { messageId, request, controls };
  } catch (cause) {
    if (cause instanceof LdapDecodeError) throw cause;
    throw new LdapDecodeError((cause as Error).message); // ldapts' InvalidAsn1Error and friends
  }
}

function readRequest(reader: BerReader, tag: number, end: number): LdapRequest {
  switch (tag) {
    case RequestTag.bind:
      return readBind(reader);
    case RequestTag.search:
      return readSearch(reader, end);
    case RequestTag.unbind:
      return { kind: 'unbind' };
    case RequestTag.abandon:
      return { kind: 'abandon', abandonId: readRawInteger(reader, end) };
    case RequestTag.extended:
      return { kind: 'extended', oid: need(reader.readString(EXTENDED_NAME_TAG), 'requestName') };
    case RequestTag.add:
      return readAdd(reader, end);
    case RequestTag.modify:
    case RequestTag.delete:
    case RequestTag.modifyDN:
    case RequestTag.compare:
      return { kind: 'other', tag };
    default:
      throw new LdapDecodeError(`protocolOp 0x${tag.toString(16)} is not a request`);
  }
}

function readBind(reader: BerReader): LdapRequest {
  const version = need(reader.readInt(), 'bind version');
  const dn = need(reader.readString(), 'bind name');
  const authTag = reader.peek();
  if (authTag === SIMPLE_TAG) {
    return {
      kind: 'bind',
      version,
      dn,
      auth: { method: 'simple', password: need(reader.readString(SIMPLE_TAG), 'password') },
    };
  }
  if (authTag === SASL_TAG) {
    need(reader.readSequence(SASL_TAG), 'SASL credentials');
    return {
      kind: 'bind',
      version,
      dn,
      auth: { method: 'sasl', mechanism: need(reader.readString(), 'SASL mechanism') },
    };
  }
  throw new LdapDecodeError(`unknown authentication choice 0x${(authTag ?? 0).toString(16)}`);
}

function readSearch(reader: BerReader, end: number): LdapRequest {
  const base = need(reader.readString(), 'baseObject');
  const scope = need(reader.readEnumeration(), 'scope');
  need(reader.readEnumeration(), 'derefAliases'); // there are no aliases here
  const sizeLimit = need(reader.readInt(), 'sizeLimit');
  need(reader.readInt(), 'timeLimit'); // every search finishes at once
  const typesOnly = need(reader.readBoolean(), 'typesOnly');
  const filter = readFilter(reader);
  need(reader.readSequence(0x30), 'attributes');
  const attrsEnd = reader.offset + reader.length;
  if (reader.length < 0 || attrsEnd > end) throw new LdapDecodeError('attribute list longer than request');
  const attributes: string[] = [];
  while (reader.offset < attrsEnd) attributes.push(need(reader.readString(), 'attribute'));
  return { kind: 'search', base, scope, sizeLimit: Math.max(0, sizeLimit), typesOnly, filter, attributes };
}

/** AddRequest (RFC 4511 §4.7): entry LDAPDN, attributes SEQUENCE OF SEQUENCE { type, vals SET OF value }. */
function readAdd(reader: BerReader, end: number): LdapRequest {
  const dn = need(reader.readString(), 'entry');
  need(reader.readSequence(0x30), 'attributes');
  const listEnd = reader.offset + reader.length;
  if (reader.length < 0 || listEnd > end) throw new LdapDecodeError('attribute list longer than request');
  const attributes: { type: string; values: string[] }[] = [];
  while (reader.offset < listEnd) {
    need(reader.readSequence(0x30), 'attribute');
    const attributeEnd = reader.offset + reader.length;
    if (reader.length < 0 || attributeEnd > listEnd) throw new LdapDecodeError('attribute longer than list');
    const type = need(reader.readString(), 'attribute type');
    need(reader.readSequence(0x31), 'attribute values');
    const valuesEnd = reader.offset + reader.length;
    if (reader.length < 0 || valuesEnd !== attributeEnd) throw new LdapDecodeError('attribute values overrun');
    const values: string[] = [];
    while (reader.offset < valuesEnd) values.push(need(reader.readString(), 'attribute value'));
    attributes.push({ type, values });
  }
  return { kind: 'add', dn, attributes };
}

/** AbandonRequest is a bare INTEGER under an application tag, which BerReader.readInt cannot read. */
function readRawInteger(reader: BerReader, end: number): number {
  const bytes = reader.buffer.subarray(reader.offset, end);
  if (bytes.length === 0 || bytes.length > 4) throw new LdapDecodeError('bad abandon messageID');
  return bytes.readIntBE(0, bytes.length);
}

function readControls(reader: BerReader): RequestControl[] {
  need(reader.readSequence(CONTROLS_TAG), 'controls');
  const end = reader.offset + reader.length;
  if (reader.length < 0 || end > reader.buffer.length) throw new LdapDecodeError('controls longer than message');
  const controls: RequestControl[] = [];
  while (reader.offset < end) {
    need(reader.readSequence(0x30), 'control');
    const controlEnd = reader.offset + reader.length;
    if (reader.length < 0 || controlEnd > end) throw new LdapDecodeError('control longer than controls');
    const type = need(reader.readString(), 'controlType');
    let critical = false;
    let value: Buffer = Buffer.alloc(0);
    if (reader.offset < controlEnd && reader.peek() === 0x01) critical = need(reader.readBoolean(), 'criticality');
    if (reader.offset < controlEnd) value = need(reader.readString(0x04, true), 'controlValue');
    if (reader.offset !== controlEnd) throw new LdapDecodeError('control overruns its length');
    controls.push({ type, critical, value });
  }
  return controls;
}
