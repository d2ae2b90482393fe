/**
 * The in-memory tree a DirectoryServer answers from: entries indexed by normalised DN, naming contexts, the root DSE,
 * scoped search and attribute selection. Knows nothing about sockets.
 */
import { Attribute, type Filter } from 'ldapts';
import { AutodiscoError } from '../errors.js';
import { ResultCode } from './codes.js';
import { dnKey, dnsDomainOf, isWithin, parseDn, type Rdn } from './dn.js';
import { evaluate, type MatchTarget } from './filter.js';
import { toGeneralizedTime } from './time.js';

export type AttributeValues = string | readonly string[];

/** One object, e.g. `{ dn: 'CN=EX1,…', attributes: { objectClass: ['top', 'serviceConnectionPoint'], cn: 'EX1' } }`. */
export interface DirectoryEntry {
  dn: string;
  attributes: Readonly<Record<string, AttributeValues>>;
}

export type SearchScope = 'base' | 'one' | 'sub' | 'children';

/** Paged results (RFC 2696) is the one control a search may carry here; advertised in the root DSE. */
export const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';

/** Object classes of AD naming-context heads (domain, configuration, schema). */
const NC_CLASSES: ReadonlySet<string> = new Set(['domaindns', 'configuration', 'dmd']);

interface StoredAttribute {
  name: string;
  values: readonly string[];
}

export class StoredEntry implements MatchTarget {
  readonly key: string;
  private readonly byName = new Map<string, StoredAttribute>();

  constructor(
    readonly dn: string,
    readonly rdns: readonly Rdn[],
    readonly attributes: readonly StoredAttribute[],
    readonly isRootDse = false,
  ) {
    this.key = dnKey(rdns);
    for (const a of attributes) this.byName.set(a.name.toLowerCase(), a);
  }

  get(attribute: string): readonly string[] | undefined {
    return this.byName.get(attribute.toLowerCase())?.values;
  }

  hasClass(objectClass: string): boolean {
    return (this.get('objectClass') ?? []).some((c) => c.toLowerCase() === objectClass);
  }
}

/** What an add did: success, or the LDAP result code and text to answer with. */
export type AddOutcome =
  | { code: typeof ResultCode.success; entry: StoredEntry }
  | { code: number; message: string; matchedDN?: string };

/** AD's schema CN of a class (its defaultObjectCategory): serviceConnectionPoint → Service-Connection-Point. */
function categoryCn(objectClass: string): string {
  if (objectClass.toLowerCase() === 'user') return 'Person';
  return objectClass
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .split('-')
    .map((part) => (part === '' ? part : `${part[0]?.toUpperCase()}${part.slice(1)}`))
    .join('-');
}

export type SearchOutcome =
  | { code: typeof ResultCode.success; entries: StoredEntry[]; references: string[] }
  | { code: typeof ResultCode.noSuchObject | typeof ResultCode.invalidDNSyntax; message: string; matchedDN: string };

function toAttributes(record: Readonly<Record<string, AttributeValues>>): StoredAttribute[] {
  const out: StoredAttribute[] = [];
  for (const [name, raw] of Object.entries(record)) {
    const values = typeof raw === 'string' ? [raw] : [...raw];
    if (values.length > 0) out.push({ name, values });
  }
  return out;
}

export class Directory {
  readonly rootDse: StoredEntry;
  private readonly entries: StoredEntry[] = [];
  private readonly byKey = new Map<string, StoredEntry>();
  /** Entry key → key of the naming context holding it. */
  private readonly ncOf = new Map<string, string>();
  private readonly ncKeys = new Set<string>();

  constructor(entries: readonly DirectoryEntry[], rootDse: Readonly<Record<string, AttributeValues>> = {}) {
    entries.forEach((entry, index) => {
      const rdns = parseDn(entry.dn);
      if (rdns === undefined || rdns.length === 0) {
        throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `entries[${index}].dn "${entry.dn}" is not a valid DN`);
      }
      const stored = new StoredEntry(entry.dn, rdns, toAttributes(entry.attributes));
      if (this.byKey.has(stored.key)) {
        throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `entries[${index}].dn "${entry.dn}" appears twice`);
      }
      this.entries.push(stored);
      this.byKey.set(stored.key, stored);
    });
    // A naming context is an AD NC head, or any entry with no ancestor in the tree (so plain trees work too).
    for (const e of this.entries) {
      const isTop = this.nearestAbove(e.rdns, (k) => this.byKey.has(k)) === undefined;
      if (isTop || [...NC_CLASSES].some((c) => e.hasClass(c))) this.ncKeys.add(e.key);
    }
    for (const e of this.entries) {
      this.ncOf.set(
        e.key,
        this.ncKeys.has(e.key) ? e.key : (this.nearestAbove(e.rdns, (k) => this.ncKeys.has(k)) ?? ''),
      );
    }
    this.rootDse = new StoredEntry('', [], this.rootDseAttributes(rootDse), true);
  }

  /**
   * Adds one entry below an existing one, as a DC does: the RDN's attribute is filled in when absent (and must
   * agree when present), and like AD the directory sets `whenCreated` and, for a class with a schema entry under
   * the configuration naming context, `objectCategory`, unless the client gave them. Adds go at the end, so
   * earlier entries keep their search order (and paged-results offsets stay valid).
   */
  add(dn: string, attributes: readonly { type: string; values: readonly string[] }[], now = new Date()): AddOutcome {
    const rdns = parseDn(dn);
    if (rdns === undefined || rdns.length === 0) {
      return { code: ResultCode.invalidDNSyntax, message: `invalid DN syntax: ${dn}` };
    }
    const key = dnKey(rdns);
    if (this.byKey.has(key)) return { code: ResultCode.entryAlreadyExists, message: `the entry already exists: ${dn}` };
    const parentKey = rdns.length > 1 ? dnKey(rdns.slice(1)) : undefined;
    if (parentKey === undefined || !this.byKey.has(parentKey)) {
      const matched = this.nearestAbove(rdns, (k) => this.byKey.has(k));
      const matchedDN = matched === undefined ? '' : (this.byKey.get(matched)?.dn ?? '');
      return { code: ResultCode.noSuchObject, message: `the parent of ${dn} does not exist`, matchedDN };
    }
    const seen = new Set<string>();
    const stored: StoredAttribute[] = [];
    for (const a of attributes) {
      const name = a.type.toLowerCase();
      if (seen.has(name)) {
        return { code: ResultCode.attributeOrValueExists, message: `attribute ${a.type} is given twice` };
      }
      seen.add(name);
      if (a.values.length === 0) return { code: ResultCode.protocolError, message: `attribute ${a.type} has no value` };
      stored.push({ name: a.type, values: [...a.values] });
    }
    const classes = stored.find((a) => a.name.toLowerCase() === 'objectclass')?.values ?? [];
    if (classes.length === 0) return { code: ResultCode.objectClassViolation, message: 'the entry has no objectClass' };
    for (const ava of rdns[0] ?? []) {
      const existing = stored.find((a) => a.name.toLowerCase() === ava.type.toLowerCase());
      if (existing === undefined) stored.push({ name: ava.type.toLowerCase(), values: [ava.value] });
      else if (!existing.values.some((v) => v.toLowerCase() === ava.value.toLowerCase())) {
        return { code: ResultCode.namingViolation, message: `${ava.type} does not hold the RDN value "${ava.value}"` };
      }
    }
    if (!seen.has('whencreated')) stored.push({ name: 'whenCreated', values: [toGeneralizedTime(now)] });
    const config = this.rootDse.get('configurationNamingContext')?.[0];
    const structural = classes[classes.length - 1];
    if (!seen.has('objectcategory') && config !== undefined && structural !== undefined) {
      stored.push({ name: 'objectCategory', values: [`CN=${categoryCn(structural)},CN=Schema,${config}`] });
    }
    const entry = new StoredEntry(dn, rdns, stored);
    this.entries.push(entry);
    this.byKey.set(key, entry);
    this.ncOf.set(key, this.ncOf.get(parentKey) ?? '');
    return { code: ResultCode.success, entry };
  }

  /** Key of the closest strict ancestor DN satisfying `test`. */
  private nearestAbove(rdns: readonly Rdn[], test: (key: string) => boolean): string | undefined {
    for (let k = 1; k < rdns.length; k++) {
      const key = dnKey(rdns.slice(k));
      if (test(key)) return key;
    }
    return undefined;
  }

  private rootDseAttributes(overrides: Readonly<Record<string, AttributeValues>>): StoredAttribute[] {
    const ncs = this.entries.filter((e) => this.ncKeys.has(e.key));
    const domain =
      ncs.find((e) => e.hasClass('domaindns')) ?? ncs.find((e) => !e.hasClass('configuration') && !e.hasClass('dmd'));
    const derived: Record<string, AttributeValues> = {
      namingContexts: ncs.map((e) => e.dn),
      defaultNamingContext: domain ? [domain.dn] : [],
      rootDomainNamingContext: domain ? [domain.dn] : [],
      configurationNamingContext: ncs
        .filter((e) => e.hasClass('configuration'))
        .map((e) => e.dn)
        .slice(0, 1),
      schemaNamingContext: ncs
        .filter((e) => e.hasClass('dmd'))
        .map((e) => e.dn)
        .slice(0, 1),
      supportedLDAPVersion: ['3'],
      supportedControl: [PAGED_RESULTS_OID],
    };
    // Overrides replace a derived attribute of the same name (any case); an empty array removes it.
    for (const [name, value] of Object.entries(overrides)) {
      const existing = Object.keys(derived).find((k) => k.toLowerCase() === name.toLowerCase());
      if (existing !== undefined) delete derived[existing];
      derived[name] = value;
    }
    return toAttributes(derived);
  }

  /**
   * Runs a search. Like AD, a subtree search stays inside the base's naming context and returns a continuation
   * reference (`ldap://contoso.test/CN=Configuration,DC=contoso,DC=test`) for each naming context directly below.
   */
  search(base: string, scope: SearchScope, filter: Filter): SearchOutcome {
    const baseRdns = parseDn(base);
    if (baseRdns === undefined) {
      return { code: ResultCode.invalidDNSyntax, message: `invalid DN syntax: ${base}`, matchedDN: '' };
    }
    if (baseRdns.length === 0) {
      if (scope !== 'base')
        return { code: ResultCode.noSuchObject, message: 'the root DSE has no subordinates here', matchedDN: '' };
      return {
        code: ResultCode.success,
        entries: evaluate(filter, this.rootDse) === true ? [this.rootDse] : [],
        references: [],
      };
    }
    const baseEntry = this.byKey.get(dnKey(baseRdns));
    if (baseEntry === undefined) {
      const matched = this.nearestAbove(baseRdns, (k) => this.byKey.has(k));
      const matchedDN = matched === undefined ? '' : (this.byKey.get(matched)?.dn ?? '');
      return { code: ResultCode.noSuchObject, message: `no such object: ${base}`, matchedDN };
    }
    const baseNc = this.ncOf.get(baseEntry.key);
    const depth = baseEntry.rdns.length;
    const inScope = (e: StoredEntry): boolean => {
      if (!isWithin(e.rdns, baseEntry.rdns)) return false;
      const below = e.rdns.length - depth;
      return scope === 'base' ? below === 0 : scope === 'one' ? below === 1 : scope === 'sub' ? true : below > 0;
    };
    const entries: StoredEntry[] = [];
    const references: string[] = [];
    for (const e of this.entries) {
      if (!inScope(e)) continue;
      if (this.ncOf.get(e.key) === baseNc) {
        if (evaluate(filter, e) === true) entries.push(e);
      } else if (this.ncKeys.has(e.key) && this.nearestAbove(e.rdns, (k) => this.ncKeys.has(k)) === baseNc) {
        references.push(`ldap://${dnsDomainOf(e.rdns)}/${e.dn}`);
      }
    }
    return { code: ResultCode.success, entries, references };
  }
}

/**
 * Attribute selection (RFC 4511 §4.5.1.8): no names or `*` → every attribute; `1.1` alone → none; `+` asks for
 * operational attributes, of which this directory has none. Names match case-insensitively; the stored spelling
 * is returned, as AD returns the schema's spelling.
 */
export function selectAttributes(entry: StoredEntry, requested: readonly string[], typesOnly: boolean): Attribute[] {
  const lower = requested.map((r) => r.toLowerCase());
  const all = lower.length === 0 || lower.includes('*');
  const names = new Set(lower);
  return entry.attributes
    .filter((a) => all || names.has(a.name.toLowerCase()))
    .map((a) => new Attribute({ type: a.name, values: typesOnly ? [] : [...a.values] }));
}
