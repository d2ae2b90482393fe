/**
 * Declarative DNS zones: the schema (one source for the TypeScript type and the validator) and the compiler
 * that turns zone data into the indexed form the query engine (answer.ts) reads.
 *
 * Name rules, as in a zone file: an owner `name` is relative to `origin` unless it ends with '.', already ends
 * in the origin, or is '@' (the origin itself). Targets (CNAME value, SRV target, MX exchange) are always
 * absolute, because they usually point outside the zone; '@' still means the origin and '.' the root
 * (SRV "no service", RFC 2782; null MX, RFC 7505).
 */
import { z } from 'zod';
import { AutodiscoError, type Problem } from '../errors.js';
import { canonicalName, isAtOrBelow, joinName, nameProblem, parentName } from './names.js';

export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'SRV', 'MX', 'TXT'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

const u16 = z.number().int().min(0).max(65535);
const common = {
  /** Owner name: relative to `origin`, or absolute (trailing '.' or ending in the origin); '@' is the origin. */
  name: z.string().min(1),
  /** Seconds. @default 0: the lab changes records at runtime, so nothing downstream should cache them. */
  ttl: z.number().int().min(0).max(2_147_483_647).optional(),
};
const txtString = z.string().refine((s) => Buffer.byteLength(s) <= 255, {
  message: 'a TXT string holds at most 255 bytes (split longer text into several strings)',
});

export const zoneRecordSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...common, type: z.literal('A'), value: z.ipv4() }),
  z.strictObject({ ...common, type: z.literal('AAAA'), value: z.ipv6() }),
  z.strictObject({ ...common, type: z.literal('CNAME'), value: z.string().min(1) }),
  z.strictObject({
    ...common,
    type: z.literal('SRV'),
    /** @default 0 */
    priority: u16.optional(),
    /** @default 0 */
    weight: u16.optional(),
    port: u16,
    target: z.string().min(1),
  }),
  /** @default preference 10 */
  z.strictObject({ ...common, type: z.literal('MX'), preference: u16.optional(), exchange: z.string().min(1) }),
  /** One string, or the character-strings of one record in order (what `resolveTxt` returns as one entry). */
  z.strictObject({ ...common, type: z.literal('TXT'), value: z.union([txtString, z.array(txtString).min(1)]) }),
]);

export const zoneSchema = z.strictObject({
  /** The zone apex. Absent: the common parent domain of the owner names, cut to its last two labels. */
  origin: z.string().min(1).optional(),
  records: z.array(zoneRecordSchema),
});

export type ZoneRecord = z.input<typeof zoneRecordSchema>;
export type Zone = z.input<typeof zoneSchema>;

/** Record data as the wire encoder needs it, names canonical. */
export type RecordData =
  | { type: 'A' | 'AAAA' | 'CNAME'; data: string }
  | { type: 'SRV'; data: { priority: number; weight: number; port: number; target: string } }
  | { type: 'MX'; data: { preference: number; exchange: string } }
  | { type: 'TXT'; data: string[] };

export type CompiledRecord = RecordData & { owner: string; ttl: number };

export interface CompiledZone {
  apex: string;
  /** Records by canonical owner name. */
  nodes: ReadonlyMap<string, readonly CompiledRecord[]>;
  /** Names that exist: owners, their ancestors up to the apex (empty non-terminals) and the apex itself. */
  existing: ReadonlySet<string>;
}

/** Deepest zone first, so a child zone wins over its parent. */
export interface ZoneSet {
  zones: readonly CompiledZone[];
  serial: number;
}

type ParsedZone = z.output<typeof zoneSchema>;
type ParsedRecord = z.output<typeof zoneRecordSchema>;

function ownerName(raw: string, origin: string | null): string {
  if (raw === '@') return origin ?? '';
  if (raw.endsWith('.') || origin === null) return canonicalName(raw);
  const name = canonicalName(raw);
  return isAtOrBelow(name, origin) ? name : joinName(name, origin);
}

function targetName(raw: string, origin: string): string {
  return raw === '@' ? origin : canonicalName(raw);
}

/** Longest common suffix (whole labels) of the owner names, wildcard labels ignored, cut to two labels. */
function inferOrigin(records: readonly ParsedRecord[]): string | null {
  if (records.length === 0) return null;
  const suffixes = records.map((r) =>
    canonicalName(r.name)
      .replace(/^\*(\.|$)/, '')
      .split('.')
      .reverse(),
  );
  const first = suffixes[0] ?? [];
  let common = 0;
  while (common < first.length && suffixes.every((s) => s[common] === first[common] && first[common] !== '')) common++;
  return first.slice(0, Math.min(common, 2)).reverse().join('.');
}

function toData(r: ParsedRecord, origin: string): RecordData {
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return { type: r.type, data: r.value.toLowerCase() };
    case 'CNAME':
      return { type: 'CNAME', data: targetName(r.value, origin) };
    case 'SRV':
      return {
        type: 'SRV',
        data: { priority: r.priority ?? 0, weight: r.weight ?? 0, port: r.port, target: targetName(r.target, origin) },
      };
    case 'MX':
      return { type: 'MX', data: { preference: r.preference ?? 10, exchange: targetName(r.exchange, origin) } };
    case 'TXT':
      return { type: 'TXT', data: typeof r.value === 'string' ? [r.value] : [...r.value] };
  }
}

/** The name a record points to, with the input field that holds it. */
function targetOf(data: RecordData): [field: string, target: string | null] {
  if (data.type === 'CNAME') return ['value', data.data];
  if (data.type === 'SRV') return ['target', data.data.target];
  if (data.type === 'MX') return ['exchange', data.data.exchange];
  return ['value', null];
}

function compileZone(zone: ParsedZone, path: string, problems: Problem[]): CompiledZone | null {
  const declared = zone.origin === undefined ? null : canonicalName(zone.origin);
  const apex = declared ?? inferOrigin(zone.records);
  if (apex === null) {
    problems.push({ path: `${path}.origin`, message: 'a zone without records needs an origin' });
    return null;
  }
  const apexProblem = nameProblem(apex);
  if (apexProblem !== null) problems.push({ path: `${path}.origin`, message: apexProblem });

  const nodes = new Map<string, CompiledRecord[]>();
  const existing = new Set<string>([apex]);
  for (const [i, r] of zone.records.entries()) {
    const at = `${path}.records[${i}]`;
    const owner = ownerName(r.name, declared);
    const problem =
      nameProblem(owner) ?? (isAtOrBelow(owner, apex) ? null : `"${owner}" is outside the zone "${apex}"`);
    if (problem !== null) {
      problems.push({ path: `${at}.name`, message: problem });
      continue;
    }
    const data = toData(r, apex);
    const [field, target] = targetOf(data);
    const targetProblem = target === null ? null : nameProblem(target);
    if (targetProblem !== null) problems.push({ path: `${at}.${field}`, message: targetProblem });
    const list = nodes.get(owner) ?? [];
    // A CNAME owns its name alone (RFC 1034 §3.6.2): a resolver could not tell which data to believe.
    if (list.length > 0 && (data.type === 'CNAME' || list.some((x) => x.type === 'CNAME'))) {
      problems.push({ path: `${at}.type`, message: `"${owner}" has a CNAME, so it can have no other record` });
    }
    list.push({ ...data, owner, ttl: r.ttl ?? 0 });
    nodes.set(owner, list);
    for (let n = owner; n !== apex && n !== ''; n = parentName(n)) existing.add(n);
  }
  return { apex, nodes, existing };
}

/**
 * Validates and indexes zones. Throws ADK_ERR_CONFIG_INVALID listing every problem with its path
 * (`zones[0].records[2].value`); nothing is half-applied.
 */
export function compileZones(zones: readonly unknown[], serial = 1): ZoneSet {
  const problems: Problem[] = [];
  const compiled: CompiledZone[] = [];
  const apexAt = new Map<string, number>();
  zones.forEach((input, i) => {
    const parsed = zoneSchema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const sub = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
        problems.push({ path: `zones[${i}]${sub}`, message: issue.message });
      }
      return;
    }
    const zone = compileZone(parsed.data, `zones[${i}]`, problems);
    if (zone === null) return;
    const twin = apexAt.get(zone.apex);
    if (twin !== undefined)
      problems.push({ path: `zones[${i}].origin`, message: `zone "${zone.apex}" is also zones[${twin}]` });
    apexAt.set(zone.apex, i);
    compiled.push(zone);
  });
  if (problems.length > 0) {
    throw new AutodiscoError('ADK_ERR_CONFIG_INVALID', 'The DNS zones have problems', { problems });
  }
  compiled.sort((a, b) => depth(b.apex) - depth(a.apex));
  return { zones: compiled, serial };
}

function depth(name: string): number {
  return name === '' ? 0 : name.split('.').length;
}

/** The zone that serves `name` (deepest apex at or above it), or null: the server refuses such names. */
export function zoneFor(set: ZoneSet, name: string): CompiledZone | null {
  return set.zones.find((z) => isAtOrBelow(name, z.apex)) ?? null;
}
