/**
 * The SCP step of a domain-joined client (docs/protocol.md §1.1): search the directory for Autodiscover Service
 * Connection Points, follow pointer SCPs to other directory servers, and return the URLs in the order the client
 * tries them, with one search record per directory server asked (each becomes a `scp` step without `url`).
 *
 * Every name goes through the DNS port, so `--dns` steers the LDAP connection too; for `ldaps://` the connection
 * goes to the resolved address while the certificate is checked against the host name (also sent as SNI).
 * Expected failures (the name does not resolve, nothing listens, the bind is rejected, a pointer loop…) are
 * returned as data, never thrown. The bind password never appears in anything returned.
 *
 * The parts: one directory server (scp-directory.ts) over its connection (scp-connect.ts), failures in words
 * (scp-failure.ts), the client's order (scp-order.ts); LDAP URLs and GeneralizedTime are ldap/url.ts, ldap/time.ts.
 */
import type { DnsResolver } from '../dns/resolver.js';
import { type LdapTarget, parseLdapUrl } from '../ldap/url.js';
import type { Step, StepTls } from './report.js';
import { askDirectory } from './scp-directory.js';
import {
  classifyScpEntry,
  type OrderedScpUrl,
  orderScpResults,
  type ScpEntry,
  type ScpOrderContext,
  type ScpPriority,
} from './scp-order.js';

export type { OrderedScpUrl, ScpEntry, ScpPriority } from './scp-order.js';

export interface ScpLookupOptions {
  /** The directory server to start at: `ldap://host[:port]` or `ldaps://host[:port]` (389 / 636). */
  ldapUrl: string;
  /** Simple bind as this DN (or UPN, or DOMAIN\user); anonymous when absent. */
  bindDN?: string;
  password?: string;
  /** The client computer's directory site, for site affinity. */
  site?: string;
  /** The domain of `email`: pointer SCPs with `Domain=<domain>` are followed. */
  domain: string;
  email: string;
  dns: DnsResolver;
  /** Deadline for the conversation with each directory as a whole (connect, handshake, bind, both searches). */
  timeoutMs: number;
  /**
   * How messages name that deadline (default `--timeout N ms`): the engine names the lookup's --budget instead
   * when what was left of it is shorter (docs/discover-contract.md).
   */
  deadline?: string;
  /** Extra trusted roots (PEM) for `ldaps://`, added to Node's bundled ones. */
  ca?: readonly string[];
  /** Most directory searches in one lookup, the first included (EWS Managed API: 10). */
  maxHops?: number;
  /** Clock for `ms` (milliseconds). Default `performance.now`. */
  now?: () => number;
}

/** What one directory search ended in (the step results a search can have). */
export type ScpSearchResult =
  | 'redirect-url'
  | 'not-found'
  | 'dns-error'
  | 'connect-failed'
  | 'timeout'
  | 'refused'
  | 'tls-error';

/** What an entry is to this client (see classifyScpEntry). */
export type ScpRecordRole =
  | 'url'
  | 'duplicate-url'
  | 'domain-pointer'
  | 'fallback-pointer'
  | 'other-pointer'
  | 'unusable';

/** One SCP entry as evidence. */
export interface ScpRecord {
  dn: string;
  /** URL SCPs: serviceBindingInformation[0]. */
  url?: string;
  /** Pointer SCPs: serviceBindingInformation[0] (`LDAP://host[:port]`). */
  pointer?: string;
  keywords: string[];
  /** ISO 8601, null when the entry had none (or an unreadable one). */
  whenCreated: string | null;
  /** URL SCPs only: 1 own site, 2 no site, 3 other sites. */
  priority: ScpPriority | null;
  role: ScpRecordRole;
}

/**
 * One directory server searched, in the shape of a report step (method `scp`, no `url`). `redirectTo` is the first
 * SCP URL when URLs were found, or the `ldap://` URL of the directory server a pointer SCP sent the client to.
 */
export interface ScpSearch {
  method: 'scp';
  email: string;
  host: string;
  /** What `host` resolved to. */
  addresses: string[];
  result: ScpSearchResult;
  status: null;
  tls?: StepTls;
  redirectTo: string | null;
  detail: string;
  records: ScpRecord[];
  ms: number;
  /** Additions: the server as `ldap[s]://host:port`, the address the connection used, the bind name, the base DN. */
  ldapUrl: string;
  port: number;
  address: string | null;
  boundAs: string | null;
  baseDN: string | null;
}

export interface ScpLookup {
  /** Every directory server asked, in order. */
  searches: ScpSearch[];
  /** The SCP URLs the client tries, in order (empty when the lookup ended without URLs). */
  urls: OrderedScpUrl[];
}

/** A search record is a report step. */
export const scpSearchStep = (search: ScpSearch): Step => search;

export const DEFAULT_MAX_SCP_HOPS = 10;

// ---------------------------------------------------------------------------------------------------------------
// Records and words

function recordsOf(entries: readonly ScpEntry[], context: ScpOrderContext): ScpRecord[] {
  const order = orderScpResults(entries, context);
  const byDn = new Map(entries.map((e) => [e.dn, e]));
  const base = (e: ScpEntry) => ({
    dn: e.dn,
    keywords: [...e.keywords],
    whenCreated: e.whenCreated === undefined ? null : e.whenCreated.toISOString(),
  });
  const records: ScpRecord[] = [];
  for (const [list, role] of [
    [order.urls, 'url'],
    [order.duplicates, 'duplicate-url'],
  ] as const) {
    for (const u of list) {
      const e = byDn.get(u.dn);
      if (e !== undefined) records.push({ ...base(e), url: u.url, priority: u.priority, role });
    }
  }
  let fallbackSeen = false;
  for (const e of entries) {
    const c = classifyScpEntry(e, context);
    if (c.kind === 'url') continue;
    if (c.kind === 'unusable') {
      const binding = e.serviceBindingInformation[0];
      records.push({ ...base(e), ...(binding ? { url: binding } : {}), priority: null, role: 'unusable' });
      continue;
    }
    const role: ScpRecordRole =
      c.kind === 'domain-pointer'
        ? 'domain-pointer'
        : c.kind === 'unscoped-pointer' && !fallbackSeen
          ? 'fallback-pointer'
          : 'other-pointer';
    if (c.kind === 'unscoped-pointer') fallbackSeen = true;
    records.push({ ...base(e), pointer: c.pointer, priority: null, role });
  }
  return records;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function describeUrls(urls: readonly OrderedScpUrl[], duplicates: number, site: string | undefined): string {
  const p1 = urls.filter((u) => u.priority === 1).length;
  const p2 = urls.filter((u) => u.priority === 2).length;
  const p3 = urls.filter((u) => u.priority === 3).length;
  const groups: string[] = [];
  if (p1 > 0) groups.push(`${p1} in site ${site}`);
  if (p2 > 0) groups.push(`${p2} without a site`);
  if (p3 > 0) {
    const sites = [...new Set(urls.filter((u) => u.priority === 3).flatMap((u) => u.site))];
    groups.push(`${p3} for other sites only (${sites.join(', ')})`);
  }
  const siteNote = site === undefined ? '; no client site given, so site-scoped URLs come last' : '';
  const dup = duplicates > 0 ? `; ${plural(duplicates, 'duplicate URL')} dropped` : '';
  return `${groups.join(', ')} (oldest first in each group${siteNote})${dup}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The lookup

/**
 * The whole SCP step. A pointer restart discards what the pointing server returned; the same bind (DN and
 * password, or anonymous) is used at every server, as a Windows client uses its one logon everywhere. Loop
 * detection compares `ldap[s]://host:port` (host ignoring case); `maxHops` bounds the number of servers searched.
 */
export async function lookupScp(options: ScpLookupOptions): Promise<ScpLookup> {
  const now = options.now ?? (() => performance.now());
  const maxHops = options.maxHops ?? DEFAULT_MAX_SCP_HOPS;
  const site = options.site === undefined || options.site === '' ? undefined : options.site;
  const context: ScpOrderContext = { domain: options.domain, ...(site !== undefined ? { site } : {}) };
  const searches: ScpSearch[] = [];
  const visited = new Set<string>();

  const done = (urls: OrderedScpUrl[]): ScpLookup => ({ searches, urls });

  let target: LdapTarget | undefined = parseLdapUrl(options.ldapUrl);
  if (target === undefined) {
    searches.push({
      method: 'scp',
      email: options.email,
      host: options.ldapUrl,
      addresses: [],
      result: 'refused',
      status: null,
      redirectTo: null,
      detail: `"${options.ldapUrl}" is not an LDAP URL of the form ldap://host[:port] or ldaps://host[:port]`,
      records: [],
      ms: 0,
      ldapUrl: options.ldapUrl,
      port: 0,
      address: null,
      boundAs: null,
      baseDN: null,
    });
    return done([]);
  }

  for (;;) {
    visited.add(target.url);
    const started = now();
    const answer = await askDirectory(target, options);
    const ms = Math.round((now() - started) * 10) / 10;
    const search: ScpSearch = {
      method: 'scp',
      email: options.email,
      host: target.host,
      addresses: answer.addresses,
      result: 'not-found',
      status: null,
      ...(answer.tls !== undefined ? { tls: answer.tls } : {}),
      redirectTo: null,
      detail: '',
      records: [],
      ms,
      ldapUrl: target.url,
      port: target.port,
      address: answer.address,
      boundAs: answer.boundAs,
      baseDN: answer.baseDN,
    };
    searches.push(search);
    if (answer.failure !== undefined || answer.entries === undefined) {
      search.result = answer.failure?.result ?? 'connect-failed';
      search.detail = answer.failure?.detail ?? `no answer from ${target.url}`;
      return done([]);
    }

    const entries = answer.entries;
    const order = orderScpResults(entries, context);
    search.records = recordsOf(entries, context);
    const where: string = `${answer.baseDN} on ${target.host}`;

    // A Domain= pointer wins over everything; else the URLs; else the unscoped fallback pointer.
    const domainPointer = order.pointersForDomain
      .map((p) => ({ raw: p, parsed: parseLdapUrl(p) }))
      .find((p) => p.parsed !== undefined);
    const unreadable = order.pointersForDomain.filter((p) => parseLdapUrl(p) === undefined);
    const unreadableNote =
      unreadable.length > 0 ? `; ignored pointer SCPs that are not LDAP://host[:port]: ${unreadable.join(', ')}` : '';
    let next: { raw: string; parsed: LdapTarget; why: string } | undefined;
    if (domainPointer?.parsed !== undefined) {
      const n = order.urls.length;
      const discarded =
        n === 0
          ? ''
          : n === 1
            ? '; the SCP URL found here is discarded'
            : `; the ${n} SCP URLs found here are discarded`;
      next = {
        raw: domainPointer.raw,
        parsed: domainPointer.parsed,
        why: `pointer SCP for Domain=${options.domain} in ${where}: ${domainPointer.raw}${discarded}${unreadableNote}`,
      };
    } else if (order.urls.length > 0) {
      const first = order.urls[0];
      search.result = 'redirect-url';
      search.redirectTo = first?.url ?? null;
      search.detail = `${plural(order.urls.length, 'SCP URL')} in ${where}: ${describeUrls(order.urls, order.duplicates.length, site)}; first: ${first?.url}${unreadableNote}`;
      return done(order.urls);
    } else if (order.fallbackPointer !== undefined) {
      const parsed = parseLdapUrl(order.fallbackPointer);
      if (parsed !== undefined) {
        next = {
          raw: order.fallbackPointer,
          parsed,
          why: `no SCP URL in ${where}; unscoped pointer SCP: ${order.fallbackPointer}${unreadableNote}`,
        };
      } else {
        search.result = 'not-found';
        search.detail = `no SCP URL in ${where}; the unscoped pointer SCP "${order.fallbackPointer}" is not LDAP://host[:port]${unreadableNote}`;
        return done([]);
      }
    }

    if (next === undefined) {
      search.result = 'not-found';
      const others = search.records.filter((r) => r.role === 'other-pointer').length;
      const unusable = search.records.filter((r) => r.role === 'unusable').length;
      const extras = [
        others > 0 ? `${plural(others, 'pointer SCP')} for other domains` : '',
        unusable > 0 ? `${plural(unusable, 'unusable entry', 'unusable entries')}` : '',
      ].filter((s) => s !== '');
      search.detail =
        entries.length === 0
          ? `no SCP entry in ${where}`
          : `no SCP URL in ${where} (only ${extras.join(' and ')})${unreadableNote}`;
      return done([]);
    }

    if (visited.has(next.parsed.url)) {
      search.result = 'refused';
      search.redirectTo = next.parsed.url;
      search.detail = `${next.why}; not followed: ${next.parsed.url} was already searched (a pointer loop)`;
      return done([]);
    }
    if (searches.length >= maxHops) {
      search.result = 'refused';
      search.redirectTo = next.parsed.url;
      search.detail = `${next.why}; not followed: the limit of ${plural(maxHops, 'directory search', 'directory searches')} is reached`;
      return done([]);
    }
    search.result = 'redirect-url';
    search.redirectTo = next.parsed.url;
    search.detail = `${next.why}; the search restarts at ${next.parsed.url}`;
    target = next.parsed;
  }
}
