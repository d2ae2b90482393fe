/**
 * Does a certificate name the host a client asked for? Three verdicts, because clients disagree
 * (docs/tls.md §1): `strict` (RFC 9525 + CA/B public-suffix rule), `node` (what `tls.checkServerIdentity`
 * decides, i.e. every Node-based client) and `outlook` (SChannel's rules, KB 258858). A diagnostic shows when
 * they differ: a partial wildcard that works in Outlook but breaks strict clients, a CN-only certificate that
 * Node and Windows accept but browsers do not.
 */
import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { domainToASCII } from 'node:url';
import { parse as parseDomain } from 'tldts';
import { type AltNames, altNames, basicsOf, type CertificateInput, canonicalIp, toX509 } from './certificate.js';

export interface NameMatch {
  /** The reference host as compared: A-labels, lower case, no trailing dot, IPv6 compressed without brackets. */
  host: string;
  kind: 'dns' | 'ip' | 'invalid';
  /** RFC 9525: DNS SANs only (never the CN); `*` only as the whole left-most label; no wildcard over a public suffix. */
  strict: { ok: boolean; matched?: string };
  /** `tls.checkServerIdentity`; `reason` is Node's text when it refuses. */
  node: { ok: boolean; reason?: string };
  /** SChannel: wildcard in the left-most label as `*` or prefix `w*`; CN used when there is no DNS SAN. */
  outlook: { ok: boolean; matched?: string; via?: 'san' | 'cn' };
}

/** Reference host → comparable form. Returns the kind too: IP literals are matched against IP SANs only. */
export function normalizeHost(host: string): { host: string; kind: NameMatch['kind'] } {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (isIP(h) !== 0) return { host: canonicalIp(h), kind: 'ip' };
  if (h.endsWith('.')) h = h.slice(0, -1);
  const ascii = h.includes('*') ? '' : domainToASCII(h);
  return ascii === '' ? { host: h.toLowerCase(), kind: 'invalid' } : { host: ascii.toLowerCase(), kind: 'dns' };
}

function labelsOf(name: string): string[] | null {
  const labels = name.toLowerCase().split('.');
  return labels.some((l) => l === '') ? null : labels; // empty label: leading/trailing/double dot
}

/** RFC 9525 §6.3 plus CA/B BR §3.2.2.6 (no wildcard directly over an ICANN public suffix). */
function matchStrict(host: string, dnsNames: readonly string[]): string | undefined {
  const hostLabels = host.split('.');
  for (const san of dnsNames) {
    const labels = labelsOf(san);
    if (labels === null) continue;
    const pattern = labels.join('.');
    const stars = pattern.split('*').length - 1;
    if (stars === 0) {
      if (pattern === host) return san;
      continue;
    }
    if (stars > 1 || labels[0] !== '*') continue; // partial (w*, *w) and inner wildcards are invalid identifiers
    const base = labels.slice(1).join('.');
    const psl = parseDomain(base);
    if (psl.domain === null || psl.publicSuffix === base) continue; // *.com, *.co.uk, *.test
    if (labels.length === hostLabels.length && base === hostLabels.slice(1).join('.')) return san;
  }
  return undefined;
}

/**
 * KB 258858: accepted `*.example.com`, `w*.example.com`; refused `*w.example.com`, `w*w.…`, `www.*.com`, `*.com`,
 * `*.*`. So: at most one `*`, only at the end of the left-most label, at least two labels after it, and exactly one
 * host label matched. Whether SChannel consults the public-suffix list is undocumented: we do not (`*.co.uk` passes).
 */
function matchOutlookPattern(host: string, pattern: string): boolean {
  const labels = labelsOf(pattern);
  if (labels === null) return false;
  const hostLabels = host.split('.');
  const stars = labels.join('.').split('*').length - 1;
  if (stars === 0) return labels.join('.') === host;
  const first = labels[0] ?? '';
  if (stars > 1 || !first.endsWith('*') || labels.length < 3) return false;
  if (labels.length !== hostLabels.length) return false;
  if (labels.slice(1).join('.') !== hostLabels.slice(1).join('.')) return false;
  const prefix = first.slice(0, -1);
  // A wildcard inside an A-label would match a different Unicode name than it appears to (RFC 6125 §6.4.3).
  if (prefix.startsWith('xn--')) return false;
  return (hostLabels[0] ?? '').startsWith(prefix);
}

function matchOutlook(host: string, dnsNames: readonly string[], cns: readonly string[]): NameMatch['outlook'] {
  // Like Node, SChannel falls back to the CN only when the certificate carries no DNS SAN at all.
  const via = dnsNames.length > 0 ? 'san' : 'cn';
  for (const name of via === 'san' ? dnsNames : cns) {
    if (matchOutlookPattern(host, name)) return { ok: true, matched: name, via };
  }
  return { ok: false };
}

function matchNode(host: string, cert: X509Certificate, names: AltNames): NameMatch['node'] {
  // checkServerIdentity reads the subject's CN only for a DNS name and a certificate without any DNS SAN; otherwise
  // the SAN string alone decides, and the legacy object (every field of the certificate converted) is not built.
  const legacy =
    names.dnsNames.length > 0 || isIP(host) !== 0
      ? ({ subject: {}, subjectaltname: cert.subjectAltName } as unknown as PeerCertificate)
      : cert.toLegacyObject();
  const error = checkServerIdentity(host, legacy);
  if (error === undefined) return { ok: true };
  const reason: unknown = 'reason' in error ? error.reason : undefined;
  return { ok: false, reason: typeof reason === 'string' ? reason : error.message };
}

/** Matches `host` (a DNS name, U-labels allowed, or an IP literal) against the certificate by all three rule sets. */
export function matchName(host: string, input: CertificateInput): NameMatch {
  const cert = toX509(input);
  const ref = normalizeHost(host);
  if (ref.kind === 'invalid') {
    const reason = `"${host}" is not a valid host name`;
    return { ...ref, strict: { ok: false }, node: { ok: false, reason }, outlook: { ok: false } };
  }
  const names = altNames(cert);
  if (ref.kind === 'ip') {
    // RFC 9525 §6.4 / KB: IP literals are compared octet for octet with iPAddress SANs, never with DNS names.
    const matched = names.ipAddresses.find((ip) => ip === ref.host);
    const hit = matched === undefined ? {} : { matched };
    return {
      ...ref,
      strict: { ok: matched !== undefined, ...hit },
      node: matchNode(ref.host, cert, names),
      outlook: matched === undefined ? { ok: false } : { ok: true, matched, via: 'san' },
    };
  }
  const matched = matchStrict(ref.host, names.dnsNames);
  return {
    ...ref,
    strict: matched === undefined ? { ok: false } : { ok: true, matched },
    node: matchNode(ref.host, cert, names),
    outlook: matchOutlook(ref.host, names.dnsNames, basicsOf(cert).commonNames),
  };
}
