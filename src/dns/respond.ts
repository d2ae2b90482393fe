/**
 * One DNS message in, one message (or silence) out: decoding, fault injection, EDNS and UDP truncation.
 * Transport-agnostic so UDP and TCP share it; the sockets live in server.ts.
 */
import { type Answer, AUTHORITATIVE_ANSWER, decode, encode, type Packet, TRUNCATED_RESPONSE } from 'dns-packet';
import { RCODES, type Rcode, resolveQuestion } from './answer.js';
import { canonicalName } from './names.js';
import type { ZoneSet } from './zone.js';

export type Transport = 'udp' | 'tcp';

/** What the server did with one question: the evidence the lab and the tests read. */
export interface QueryLogEntry {
  /** Canonical (lower case, no trailing dot); '' for a message that could not be decoded. */
  name: string;
  /** 'A', 'AAAA', … as dns-packet names it ('UNKNOWN_65' for types it does not know). */
  type: string;
  /** null: no answer was sent (a `drop` fault). */
  rcode: Rcode | null;
  /** Answer records in the reply (the CNAME chain included). */
  answers: number;
  transport: Transport;
  /** Present when the UDP reply was too large and the client was told to retry over TCP. */
  truncated?: true;
}

/** `drop`: never answer (the client times out). `servfail`: answer SERVFAIL, as a broken resolver does. */
export type FaultAction = 'drop' | 'servfail';

export interface DnsFault {
  /** Exact name (case-insensitive); wildcards in faults are not patterns. */
  name: string;
  /** Only this query type; all types when absent (drop only AAAA to mimic a broken middlebox). */
  type?: string;
  action: FaultAction;
}

export interface RespondContext {
  zones: ZoneSet;
  fault(name: string, type: string): FaultAction | null;
  transport: Transport;
}

export interface Reply {
  bytes: Buffer | null;
  entry: QueryLogEntry | null;
}

const QR_RESPONSE = 1 << 15;
const RECURSION_DESIRED = 1 << 8;
/** RFC 1035 §4.2.1 without EDNS; with EDNS we honour the client's size up to the DNS Flag Day 2020 value. */
const CLASSIC_UDP_LIMIT = 512;
const EDNS_UDP_LIMIT = 1232;

function ednsOpt(): Answer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: EDNS_UDP_LIMIT,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
}

function opcodeOf(flags: number): number {
  return (flags >> 11) & 0xf;
}

export function respond(message: Buffer, ctx: RespondContext): Reply {
  if (message.length < 12) return { bytes: null, entry: null };
  // Responses aimed at us (QR set) are never answered: answering them could start a loop.
  if ((message.readUInt16BE(2) & QR_RESPONSE) !== 0) return { bytes: null, entry: null };
  const id = message.readUInt16BE(0);
  let query: Packet;
  try {
    query = decode(message);
  } catch {
    const bytes = encode({ id, type: 'response', flags: RCODES.FORMERR });
    return { bytes, entry: { name: '', type: '', rcode: 'FORMERR', answers: 0, transport: ctx.transport } };
  }
  const flags = query.flags ?? 0;
  const questions = query.questions ?? [];
  const question = questions[0];
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT');
  const reply = (rcode: Rcode, answers: Answer[] = [], authorities: Answer[] = []): Packet => ({
    id,
    type: 'response',
    flags: AUTHORITATIVE_ANSWER | (flags & RECURSION_DESIRED) | (opcodeOf(flags) << 11) | RCODES[rcode],
    questions,
    answers,
    authorities,
    additionals: opt === undefined ? [] : [ednsOpt()],
  });
  const log = (entry: Omit<QueryLogEntry, 'transport'>): QueryLogEntry => ({ ...entry, transport: ctx.transport });

  if (question === undefined || questions.length !== 1) {
    // No question is echoed: thousands of compressed names would expand past what a TCP length prefix can carry.
    const formerr = { ...reply('FORMERR'), questions: [] };
    return { bytes: encode(formerr), entry: log({ name: '', type: '', rcode: 'FORMERR', answers: 0 }) };
  }
  const name = canonicalName(question.name);
  const type = question.type;
  if (opcodeOf(flags) !== 0)
    return { bytes: encode(reply('NOTIMP')), entry: log({ name, type, rcode: 'NOTIMP', answers: 0 }) };

  const fault = ctx.fault(name, type);
  if (fault === 'drop') return { bytes: null, entry: log({ name, type, rcode: null, answers: 0 }) };
  if (fault === 'servfail')
    return { bytes: encode(reply('SERVFAIL')), entry: log({ name, type, rcode: 'SERVFAIL', answers: 0 }) };
  if ((question.class ?? 'IN') !== 'IN') {
    return { bytes: encode(reply('REFUSED')), entry: log({ name, type, rcode: 'REFUSED', answers: 0 }) };
  }

  const resolution = resolveQuestion(ctx.zones, name, type);
  const full = reply(resolution.rcode, resolution.answers, resolution.authorities);
  // REFUSED is not an authoritative statement about the name.
  if (resolution.rcode === 'REFUSED') full.flags = (full.flags ?? 0) & ~AUTHORITATIVE_ANSWER;
  const bytes = encode(full);
  const entry = log({ name, type, rcode: resolution.rcode, answers: resolution.answers.length });
  if (ctx.transport === 'udp') {
    const asked = opt !== undefined && 'udpPayloadSize' in opt ? opt.udpPayloadSize : CLASSIC_UDP_LIMIT;
    const limit = Math.max(CLASSIC_UDP_LIMIT, Math.min(asked, EDNS_UDP_LIMIT));
    if (bytes.length > limit) {
      const truncated = reply(resolution.rcode);
      truncated.flags = (truncated.flags ?? 0) | TRUNCATED_RESPONSE;
      return { bytes: encode(truncated), entry: { ...entry, answers: 0, truncated: true } };
    }
  }
  return { bytes, entry };
}
