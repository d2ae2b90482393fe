/**
 * Search filters: decoding from BER into ldapts' filter classes, and evaluation against multi-valued entries.
 * ldapts' own `matches()` only sees one value per attribute and compares case-sensitively outside objectClass,
 * so evaluation is done here with RFC 4511's three-valued logic (TRUE / FALSE / Undefined).
 */
import {
  AndFilter,
  ApproximateFilter,
  type BerReader,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  FilterParser,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
  SearchFilter,
  SubstringFilter,
} from 'ldapts';
import { LdapDecodeError } from './codes.js';
import { dnKeyOf, parseDn } from './dn.js';

/** What a filter is evaluated against. */
export interface MatchTarget {
  /** Values of an attribute, name compared case-insensitively; undefined when the entry lacks it. */
  get(attribute: string): readonly string[] | undefined;
  /** The root DSE has no objectClass, yet `(objectClass=*)` must select it (RFC 4512 §5.1). */
  readonly isRootDse?: boolean;
}

/** RFC 4511 §4.5.1.7: undefined stands for the third truth value, Undefined. */
export type Truth = boolean | undefined;

const MAX_DEPTH = 32; // deeper nesting is an attack, not a query

const LEAF_TAGS: ReadonlySet<number> = new Set([
  SearchFilter.equalityMatch,
  SearchFilter.substrings,
  SearchFilter.greaterOrEqual,
  SearchFilter.lessOrEqual,
  SearchFilter.approxMatch,
  SearchFilter.extensibleMatch,
]);

/**
 * Reads one Filter. Leaves go through ldapts' FilterParser (which lower-cases attribute names, and objectClass
 * values); `present` and the set operators are read here because ldapts' PresenceFilter parser reads its
 * attribute from the start of the whole message buffer instead of the current offset (ldapts 8.2).
 */
export function readFilter(reader: BerReader, depth = 0): Filter {
  if (depth > MAX_DEPTH) throw new LdapDecodeError('filter nested too deeply');
  const tag = reader.peek();
  if (tag === SearchFilter.present) {
    const attribute = reader.readString(SearchFilter.present);
    if (attribute === null) throw new LdapDecodeError('truncated present filter');
    return new PresenceFilter({ attribute: attribute.toLowerCase() });
  }
  if (tag === SearchFilter.and || tag === SearchFilter.or || tag === SearchFilter.not) {
    const end = readHeader(reader);
    const filters: Filter[] = [];
    while (reader.offset < end) filters.push(readFilter(reader, depth + 1));
    if (reader.offset !== end) throw new LdapDecodeError('filter set overruns its length');
    if (tag === SearchFilter.and) return new AndFilter({ filters });
    if (tag === SearchFilter.or) return new OrFilter({ filters });
    const [only] = filters;
    if (filters.length !== 1 || only === undefined) throw new LdapDecodeError('not filter must hold one filter');
    return new NotFilter({ filter: only });
  }
  if (tag === null || !LEAF_TAGS.has(tag))
    throw new LdapDecodeError(`unknown filter choice 0x${(tag ?? 0).toString(16)}`);
  const start = reader.offset;
  const end = readHeader(reader);
  reader.offset = start; // FilterParser reads the header itself
  let filter: Filter;
  try {
    filter = FilterParser.parse(reader);
  } catch (cause) {
    throw new LdapDecodeError(`bad filter: ${(cause as Error).message}`);
  }
  if (reader.offset !== end) throw new LdapDecodeError('filter item overruns its length');
  return filter;
}

/** Reads a tag and length, checks the content fits in the message, returns where the content ends. */
function readHeader(reader: BerReader): number {
  if (reader.readSequence() === null) throw new LdapDecodeError('truncated filter');
  const end = reader.offset + reader.length;
  if (reader.length < 0 || end > reader.buffer.length) throw new LdapDecodeError('filter longer than the message');
  return end;
}

/** Evaluates a filter; only TRUE selects an entry. */
export function evaluate(filter: Filter, target: MatchTarget): Truth {
  if (filter instanceof AndFilter) {
    let result: Truth = true; // (&) is absolute true (RFC 4526)
    for (const f of filter.filters) {
      const r = evaluate(f, target);
      if (r === false) return false;
      if (r === undefined) result = undefined;
    }
    return result;
  }
  if (filter instanceof OrFilter) {
    let result: Truth = false; // (|) is absolute false
    for (const f of filter.filters) {
      const r = evaluate(f, target);
      if (r === true) return true;
      if (r === undefined) result = undefined;
    }
    return result;
  }
  if (filter instanceof NotFilter) {
    const r = evaluate(filter.filter, target);
    return r === undefined ? undefined : !r;
  }
  if (filter instanceof PresenceFilter) {
    if (target.isRootDse && filter.attribute === 'objectclass') return true;
    return (target.get(filter.attribute)?.length ?? 0) > 0;
  }
  if (filter instanceof EqualityFilter || filter instanceof ApproximateFilter) {
    // approxMatch has no defined algorithm; AD-like servers fall back to equality.
    const assertion = Buffer.isBuffer(filter.value) ? filter.value.toString('utf8') : filter.value;
    return anyValue(target, filter.attribute, (v) => valuesEqual(filter.attribute, v, assertion));
  }
  if (filter instanceof GreaterThanEqualsFilter) {
    return anyValue(target, filter.attribute, (v) => compareOrdered(v, filter.value) >= 0);
  }
  if (filter instanceof LessThanEqualsFilter) {
    return anyValue(target, filter.attribute, (v) => compareOrdered(v, filter.value) <= 0);
  }
  if (filter instanceof SubstringFilter) {
    return anyValue(target, filter.attribute, (v) => substringMatch(v, filter.initial, filter.any, filter.final));
  }
  if (filter instanceof ExtensibleFilter) return undefined; // matching rules are not implemented
  return undefined;
}

function anyValue(target: MatchTarget, attribute: string, test: (value: string) => boolean): boolean {
  return (target.get(attribute) ?? []).some(test);
}

/** Attributes with DN syntax compare as names (spacing and escapes ignored), not as strings. */
const DN_ATTRIBUTES: ReadonlySet<string> = new Set([
  'distinguishedname',
  'objectcategory',
  'member',
  'memberof',
  'manager',
  'namingcontexts',
  'defaultnamingcontext',
  'configurationnamingcontext',
  'schemanamingcontext',
  'rootdomainnamingcontext',
  'serverreference',
]);

/**
 * AD maps a bare class name in an objectCategory filter (looked up case-insensitively) to that class's
 * defaultObjectCategory, whose CN is the class name spelt with hyphens: serviceConnectionPoint →
 * CN=Service-Connection-Point,CN=Schema,… . So compare the two with case and hyphens folded away. `user` is the
 * well-known exception: its default category is Person.
 */
const CATEGORY_EXCEPTIONS: Readonly<Record<string, string>> = { user: 'person' };

const foldClassName = (name: string): string => name.toLowerCase().replaceAll('-', '');

function valuesEqual(attribute: string, stored: string, assertion: string): boolean {
  const attr = attribute.toLowerCase();
  if (attr === 'objectcategory' && !assertion.includes('=')) {
    const firstRdn = parseDn(stored)?.[0]?.[0];
    const wanted = foldClassName(assertion);
    return firstRdn !== undefined && foldClassName(firstRdn.value) === (CATEGORY_EXCEPTIONS[wanted] ?? wanted);
  }
  if (DN_ATTRIBUTES.has(attr)) {
    const a = dnKeyOf(stored);
    const b = dnKeyOf(assertion);
    if (a !== undefined && b !== undefined) return a === b;
  }
  return stored.toLowerCase() === assertion.toLowerCase();
}

const INTEGER = /^-?\d+$/;

/** Orders integers numerically and everything else as case-folded strings (right for generalized time). */
function compareOrdered(stored: string, assertion: string): number {
  if (INTEGER.test(stored) && INTEGER.test(assertion)) {
    const d = BigInt(stored) - BigInt(assertion);
    return d === 0n ? 0 : d < 0n ? -1 : 1;
  }
  const a = stored.toLowerCase();
  const b = assertion.toLowerCase();
  return a === b ? 0 : a < b ? -1 : 1;
}

function substringMatch(stored: string, initial: string, any: readonly string[], final: string): boolean {
  const value = stored.toLowerCase();
  const head = initial.toLowerCase();
  const tail = final.toLowerCase();
  if (!value.startsWith(head)) return false;
  let pos = head.length;
  for (const part of any) {
    const lower = part.toLowerCase();
    const found = value.indexOf(lower, pos);
    if (found < 0) return false;
    pos = found + lower.length;
  }
  return value.length - tail.length >= pos && value.endsWith(tail);
}
