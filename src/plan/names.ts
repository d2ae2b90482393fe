/**
 * Will a public CA put this name on a certificate? CA/B Forum Baseline Requirements forbid Internal Names (names
 * not under an ICANN top-level domain, NetBIOS names included) and Reserved IP addresses (docs/tls.md §1.1),
 * and a name that is itself a public suffix cannot be validated. Pure.
 */
import { BlockList, isIP } from 'node:net';
import { parse as parseDomain } from 'tldts';

export type NameKind =
  /** A public DNS name under an ICANN top-level domain. */
  | 'public'
  /** One label: a NetBIOS / short host name (CASServer). */
  | 'single-label'
  /** Under a top-level domain that is not delegated in the public DNS (.local, .lan, .corp, .internal, home.arpa, …). */
  | 'internal'
  /** Reserved for testing and documentation (RFC 6761 / RFC 2606): .test, .example, .invalid, .localhost. */
  | 'reserved'
  /** The name is itself a public suffix (com, co.uk). */
  | 'public-suffix'
  /** An IP literal: private / reserved ranges never, public ones only by a few CAs. */
  | 'private-ip'
  | 'public-ip';

export interface NameClass {
  kind: NameKind;
  publicCaWillIssue: boolean;
  /** Why not, in a few words, e.g. "ends in .local, which is not a public top-level domain". */
  reason?: string;
}

/** RFC 6761 / RFC 2606 special-use names: fine in a lab with its own CA, never on a public certificate. */
const RESERVED_TLDS: ReadonlySet<string> = new Set(['test', 'example', 'invalid', 'localhost']);
/** In the PSL's ICANN section but not certifiable for a server: reverse-DNS / home.arpa, and Tor. */
const NOT_ISSUABLE_TLDS: ReadonlySet<string> = new Set(['arpa', 'onion']);

const PRIVATE_RANGES = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE_RANGES.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['2001:db8::', 32],
  ['ff00::', 8],
] as const) {
  PRIVATE_RANGES.addSubnet(net, bits, 'ipv6');
}

/** `name` is a lower-case A-label host name or an IP literal. */
export function classifyName(name: string): NameClass {
  const family = isIP(name);
  if (family !== 0) {
    const reserved = PRIVATE_RANGES.check(name, family === 4 ? 'ipv4' : 'ipv6');
    return reserved
      ? { kind: 'private-ip', publicCaWillIssue: false, reason: 'is a private or reserved IP address' }
      : { kind: 'public-ip', publicCaWillIssue: true };
  }
  const labels = name.split('.');
  if (labels.length === 1) {
    return { kind: 'single-label', publicCaWillIssue: false, reason: 'is a single-label (NetBIOS) name' };
  }
  const tld = labels[labels.length - 1] ?? '';
  if (RESERVED_TLDS.has(tld)) {
    return {
      kind: 'reserved',
      publicCaWillIssue: false,
      reason: `ends in .${tld}, reserved for testing (RFC 6761): fine in a lab with your own CA, but not a public name`,
    };
  }
  const psl = parseDomain(name);
  if (!psl.isIcann || NOT_ISSUABLE_TLDS.has(tld)) {
    const suffix = psl.publicSuffix ?? tld;
    return {
      kind: 'internal',
      publicCaWillIssue: false,
      reason: `ends in .${suffix}, which is not a public top-level domain`,
    };
  }
  if (psl.domain === null) {
    return { kind: 'public-suffix', publicCaWillIssue: false, reason: 'is a public suffix, not a domain anyone owns' };
  }
  return { kind: 'public', publicCaWillIssue: true };
}

/** The parent of a host name (`webmail.domain.com` → `domain.com`), or null for a single label. */
export function parentOf(name: string): string | null {
  const dot = name.indexOf('.');
  return dot < 0 ? null : name.slice(dot + 1);
}

/** Could `*.parent` be issued? Not when `parent` is a public suffix or not a public name at all. */
export function wildcardIssuable(parent: string): boolean {
  if (!parent.includes('.')) return false;
  const psl = parseDomain(parent);
  return psl.isIcann === true && psl.domain !== null && classifyName(parent).publicCaWillIssue;
}
