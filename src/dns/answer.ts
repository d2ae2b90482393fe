/**
 * The query engine: given compiled zones and one question, the answer an authoritative server gives.
 * Pure (no sockets), so the semantics (NXDOMAIN vs NODATA, empty non-terminals, wildcards, CNAME chains)
 * are defined in one place and the server only does framing.
 */
import type { Answer, SoaAnswer } from 'dns-packet';
import { parentName, wildcardOf } from './names.js';
import { type CompiledRecord, type CompiledZone, type ZoneSet, zoneFor } from './zone.js';

export const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = keyof typeof RCODES;

export interface Resolution {
  rcode: Rcode;
  answers: Answer[];
  authorities: Answer[];
}

/** Longer chains are treated as loops; recursive resolvers give up in the same range. */
const MAX_CNAME_CHAIN = 8;

/** dns-packet mutates TXT data while encoding, so every answer is built fresh. */
function toAnswer(record: CompiledRecord, name: string): Answer {
  const base = { name, ttl: record.ttl, class: 'IN' as const };
  switch (record.type) {
    case 'A':
    case 'AAAA':
    case 'CNAME':
      return { ...base, type: record.type, data: record.data };
    case 'SRV':
      return { ...base, type: 'SRV', data: { ...record.data } };
    case 'MX':
      return { ...base, type: 'MX', data: { ...record.data } };
    case 'TXT':
      return { ...base, type: 'TXT', data: [...record.data] };
  }
}

/** SOA for negative answers; TTL and minimum 0 so that no resolver caches an NXDOMAIN the lab later fixes. */
export function soaOf(zone: CompiledZone, serial: number): SoaAnswer {
  const at = (label: string) => (zone.apex === '' ? label : `${label}.${zone.apex}`);
  return {
    name: zone.apex,
    type: 'SOA',
    ttl: 0,
    class: 'IN',
    data: { mname: at('ns'), rname: at('hostmaster'), serial, refresh: 3600, retry: 600, expire: 86_400, minimum: 0 },
  };
}

/**
 * Records at `name` ([] for a name that exists without data), or null when the name does not exist.
 * Wildcards follow RFC 4592 §3.3.1: `*.<closest encloser>` stands in only for names that do not exist.
 */
function lookupNode(zone: CompiledZone, name: string): readonly CompiledRecord[] | null {
  const direct = zone.nodes.get(name);
  if (direct !== undefined) return direct;
  if (zone.existing.has(name)) return [];
  let encloser = parentName(name);
  while (encloser !== zone.apex && !zone.existing.has(encloser)) encloser = parentName(encloser);
  // '*' is valid only as a whole leftmost label (names.ts), so a wildcard never has descendants of its own.
  return zone.nodes.get(wildcardOf(encloser)) ?? null;
}

/** Answers one question; `qname` is canonical (see names.ts), `qtype` is dns-packet's type name. */
export function resolveQuestion(set: ZoneSet, qname: string, qtype: string): Resolution {
  const answers: Answer[] = [];
  const visited = new Set<string>();
  let name = qname;
  for (;;) {
    const zone = zoneFor(set, name);
    // Outside every zone: refuse the question; mid-chain, stop where a recursive resolver would carry on.
    if (zone === null) return { rcode: answers.length > 0 ? 'NOERROR' : 'REFUSED', answers, authorities: [] };
    const records = lookupNode(zone, name);
    if (records === null) return { rcode: 'NXDOMAIN', answers, authorities: [soaOf(zone, set.serial)] };
    if (qtype === 'SOA' && name === zone.apex) {
      return { rcode: 'NOERROR', answers: [...answers, soaOf(zone, set.serial)], authorities: [] };
    }
    const cname = records.find((r) => r.type === 'CNAME');
    if (cname !== undefined && qtype !== 'CNAME' && cname.type === 'CNAME') {
      answers.push(toAnswer(cname, name));
      visited.add(name);
      // A loop cannot be answered; a recursive resolver reports it as SERVFAIL, so the lab does too.
      if (visited.has(cname.data) || visited.size > MAX_CNAME_CHAIN) {
        return { rcode: 'SERVFAIL', answers: [], authorities: [] };
      }
      name = cname.data;
      continue;
    }
    const matching = records.filter((r) => r.type === qtype);
    if (matching.length === 0) return { rcode: 'NOERROR', answers, authorities: [soaOf(zone, set.serial)] };
    for (const r of matching) answers.push(toAnswer(r, name));
    return { rcode: 'NOERROR', answers, authorities: [] };
  }
}
