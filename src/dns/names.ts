/**
 * Domain-name helpers shared by the zone compiler, the query engine and the fault table.
 * Names are kept in one canonical form: lower case, ASCII (A-labels), no trailing dot; the root is ''.
 */
import { domainToASCII } from 'node:url';

/** Canonical form of a name as it comes off the wire or out of a test: DNS compares names case-insensitively. */
export function canonicalName(name: string): string {
  const trimmed = name.trim().replace(/\.$/, '').toLowerCase();
  // Only non-ASCII names need IDNA; domainToASCII would also reject some names DNS allows.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the ASCII test itself.
  if (/^[\x00-\x7f]*$/.test(trimmed)) return trimmed;
  return domainToASCII(trimmed) || trimmed;
}

/** Labels are letters, digits, '-' and '_' (SRV owners); '*' only as the whole leftmost label. */
export function nameProblem(name: string): string | null {
  if (name === '') return null;
  if (name.length > 253) return `"${name}" is longer than 253 characters`;
  const labels = name.split('.');
  for (const [i, label] of labels.entries()) {
    if (label === '*' && i === 0) continue;
    if (!/^[a-z0-9_-]{1,63}$/.test(label)) {
      return `"${name}" is not a valid domain name (label "${label}"; expected e.g. autodiscover.contoso.test)`;
    }
  }
  return null;
}

/** True when `name` is `apex` or below it. The root apex '' holds every name. */
export function isAtOrBelow(name: string, apex: string): boolean {
  return apex === '' || name === apex || name.endsWith(`.${apex}`);
}

/** `a.b.c` → `b.c`; `c` → `''` (the root). */
export function parentName(name: string): string {
  const dot = name.indexOf('.');
  return dot === -1 ? '' : name.slice(dot + 1);
}

/** `*.` + name, or `*` for the root. */
export function wildcardOf(name: string): string {
  return name === '' ? '*' : `*.${name}`;
}

/** Joins labels the way a zone file does: relative names hang below the origin. */
export function joinName(left: string, right: string): string {
  if (left === '') return right;
  if (right === '') return left;
  return `${left}.${right}`;
}
