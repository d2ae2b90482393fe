/**
 * The SCP step of a domain-joined client (protocol.md §1.1): search the directory for Autodiscover Service
 * Connection Points, follow pointer SCPs to other directory servers, and return the URLs in the order the client
 * tries them, with one search record per directory server asked (each becomes a `scp` step without `url`).
 *
 * Every name goes through the DNS port, so `--dns` steers the LDAP connection too; for `ldaps://` the connection
 * goes to the resolved address while the certificate is checked against the host name (also sent as SNI).
 * Expected failures (the name does not resolve, nothing listens, the bind is rejected, a pointer loop…) are
 * returned as data, never thrown. The bind password never appears in anything returned.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import { addressFailure, type DnsResolver } from '../dns/resolver.js';
import { SCP_FILTER_SPEC } from '../ldap/scp.js';
import { summarizeCertificate, trustContext, walkPeerChain } from '../tls/index.js';
import type { Step, StepTls } from './report.js';
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
  /** Limit for each network operation (connect, handshake, bind, each search). */
  timeoutMs: number;
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

export interface LdapTarget {
  secure: boolean;
  host: string;
  port: number;
  /** `ldap://host:port`, scheme and host lower-cased: also the loop-detection key. */
  url: string;
}

/** `ldap://host[:port]` or `ldaps://…`, scheme in any case (pointers say `LDAP://`), an optional trailing `/`. */
export function parseLdapUrl(value: string): LdapTarget | undefined {
  const m = /^(ldaps?):\/\/(\[[0-9a-f:.]+\]|[^/:?#\s[\]@]+)(?::(\d{1,5}))?\/?$/i.exec(value.trim());
  if (m === null) return undefined;
  const secure = (m[1] ?? '').toLowerCase() === 'ldaps';
  const rawHost = (m[2] ?? '').toLowerCase();
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost.replace(/\.$/, '');
  const port = m[3] === undefined ? (secure ? 636 : 389) : Number(m[3]);
  if (host === '' || port < 1 || port > 65_535) return undefined;
  if (rawHost.startsWith('[') && isIP(host) !== 6) return undefined;
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  return { secure, host, port, url: `${secure ? 'ldaps' : 'ldap'}://${shown}:${port}` };
}

/** RFC 4517 GeneralizedTime (`20190304050607.0Z`: optional minutes, seconds, fraction; `Z` or an offset required). */
export function parseGeneralizedTime(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$/.exec(value.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi = '00', s = '00', frac, zone = 'Z'] = m;
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000);
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const offset = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5) || '0');
    t -= sign * offset * 60_000;
  }
  const date = new Date(t);
  // Date.UTC rolls over (month 13, hour 25): only dates that survive the round trip are real.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (
    Number.isNaN(t) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s)
  ) {
    return undefined;
  }
  return date;
}

// ---------------------------------------------------------------------------------------------------------------
// Failures

interface Failure {
  result: Exclude<ScpSearchResult, 'redirect-url'>;
  detail: string;
}

const LDAP_RESULT_NAMES: Readonly<Record<number, string>> = {
  1: 'operationsError',
  2: 'protocolError',
  3: 'timeLimitExceeded',
  4: 'sizeLimitExceeded',
  7: 'authMethodNotSupported',
  8: 'strongAuthRequired',
  12: 'unavailableCriticalExtension',
  13: 'confidentialityRequired',
  32: 'noSuchObject',
  34: 'invalidDNSyntax',
  48: 'inappropriateAuthentication',
  49: 'invalidCredentials',
  50: 'insufficientAccessRights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
};

/** Active Directory's `data <hex>` sub-codes of invalidCredentials (the reason Windows gives). */
const AD_BIND_REASONS: Readonly<Record<string, string>> = {
  '525': 'the account does not exist',
  '52e': 'the user name or password is wrong',
  '530': 'the account may not log on at this time',
  '531': 'the account may not log on from this computer',
  '532': 'the password has expired',
  '533': 'the account is disabled',
  '701': 'the account has expired',
  '773': 'the password must be changed first',
  '775': 'the account is locked out',
};

const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused (nothing listens there)',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EADDRNOTAVAIL: 'the address is not available',
  EPIPE: 'the connection was closed',
};

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Server text is quoted in details; a server that echoes the password must not make us repeat it. */
function redact(text: string, secret: string | undefined): string {
  return secret === undefined || secret === '' ? text : text.split(secret).join('[password]');
}

function describeResultCode(err: ResultCodeError, secret: string | undefined): string {
  const name = LDAP_RESULT_NAMES[err.code] ?? 'result code';
  const text = redact(err.message.trim(), secret);
  const adData = /\bdata ([0-9a-f]{3,8})\b/i.exec(text)?.[1]?.toLowerCase();
  const reason = err.code === 49 && adData !== undefined ? AD_BIND_REASONS[adData] : undefined;
  return `${name} (${err.code})${reason === undefined ? '' : `: ${reason}`}${text === '' ? '' : ` [${text}]`}`;
}

/** An LDAP operation failed after the connection was up. */
function operationFailure(
  err: unknown,
  what: string,
  where: string,
  timeoutMs: number,
  secret: string | undefined,
): Failure {
  if (err instanceof ResultCodeError) {
    const said = describeResultCode(err, secret);
    if (err.code === 3) return { result: 'timeout', detail: `${what} on ${where} failed: ${said}` };
    if (err.code === 51 || err.code === 52) {
      return { result: 'connect-failed', detail: `${what} on ${where} failed: the server is not available, ${said}` };
    }
    if (err.code === 32) return { result: 'not-found', detail: `${what} on ${where} failed: ${said}` };
    const hint =
      err.code === 1 && /000004DC/i.test(err.message)
        ? ' (the directory does not allow anonymous searches: bind with --ldap-bind-dn and --ldap-password-env)'
        : '';
    return { result: 'refused', detail: `${what} on ${where} was refused: ${said}${hint}` };
  }
  const message = redact(err instanceof Error ? err.message : String(err), secret);
  if (/timed out/i.test(message))
    return { result: 'timeout', detail: `${what} on ${where}: no answer within ${timeoutMs} ms` };
  if (/closed before message response/i.test(message) || /socket error/i.test(message)) {
    return { result: 'connect-failed', detail: `${what} on ${where}: the server closed the connection` };
  }
  return { result: 'connect-failed', detail: `${what} on ${where} failed: ${message.split('\n')[0]}` };
}

// ---------------------------------------------------------------------------------------------------------------
// Connection

type Opened = { ok: true; socket: Socket; tls?: StepTls } | { ok: false; failure: Failure; tls?: StepTls };

/**
 * TCP (and TLS for ldaps) to one address, done here rather than by ldapts so that each phase fails with its own
 * result and the certificate is captured even when it is rejected. The open socket is then handed to ldapts.
 */
function openSocket(target: LdapTarget, address: string, timeoutMs: number, ca: readonly string[]): Promise<Opened> {
  const at = `${target.host} (${isIP(address) === 6 ? `[${address}]` : address}:${target.port})`;
  const servername = isIP(target.host) === 0 ? target.host : undefined;
  return new Promise((resolve) => {
    let tcpUp = false;
    let done = false;
    const secure: TLSSocket | undefined = target.secure
      ? tlsConnect({
          host: address,
          port: target.port,
          ...(servername !== undefined ? { servername } : {}),
          secureContext: trustContext(ca),
          rejectUnauthorized: false, // checked below, after capturing the certificate
        })
      : undefined;
    const socket: Socket = secure ?? netConnect({ host: address, port: target.port });
    const evidence = (error: string | null): { tls?: StepTls } => {
      if (secure === undefined || !tcpUp) return {};
      const peer = secure.getPeerCertificate(true);
      const chain = peer?.raw !== undefined ? walkPeerChain(peer).map((c) => summarizeCertificate(c)) : [];
      const tls: StepTls = {
        protocol: secure.getProtocol() ?? null,
        error,
        certificate: chain[0] ?? null,
        chain,
        servername: servername ?? null,
      };
      return { tls };
    };
    const finish = (value: Opened): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('connect');
      socket.removeAllListeners('secureConnect');
      socket.removeAllListeners('error');
      if (!value.ok) {
        socket.on('error', () => {});
        socket.destroy();
      }
      resolve(value);
    };
    const timer = setTimeout(() => {
      const phase = tcpUp ? 'the TLS handshake with' : 'connecting to';
      finish({
        ok: false,
        failure: { result: 'timeout', detail: `${phase} ${at}: no answer within ${timeoutMs} ms` },
        ...evidence('ETIMEDOUT'),
      });
    }, timeoutMs);
    socket.once('connect', () => {
      tcpUp = true;
      if (secure === undefined) finish({ ok: true, socket });
    });
    socket.once('error', (err: Error) => {
      const code = errnoCode(err) ?? 'ERR_UNKNOWN';
      if (!tcpUp) {
        const why = NETWORK_REASONS[code] ?? err.message;
        finish({
          ok: false,
          failure: { result: 'connect-failed', detail: `could not connect to ${at}: ${code}, ${why}` },
        });
        return;
      }
      finish({
        ok: false,
        failure: { result: 'tls-error', detail: `the TLS handshake with ${at} failed: ${code} (${err.message})` },
        ...evidence(code),
      });
    });
    secure?.once('secureConnect', () => {
      let code: string | null = null;
      let why = '';
      if (!secure.authorized) {
        code = String(secure.authorizationError ?? 'CERT_UNTRUSTED');
        why = `the certificate chain is not trusted (${code})`;
      } else {
        const identity = checkServerIdentity(servername ?? address, secure.getPeerCertificate(true));
        if (identity !== undefined) {
          code = errnoCode(identity) ?? 'ERR_TLS_CERT_ALTNAME_INVALID';
          why = identity.message;
        }
      }
      if (code === null) finish({ ok: true, socket, ...evidence(null) });
      else {
        finish({
          ok: false,
          failure: { result: 'tls-error', detail: `${at} presented a certificate the client rejects: ${why}` },
          ...evidence(code),
        });
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// One directory server

interface DirectoryAnswer {
  addresses: string[];
  address: string | null;
  boundAs: string | null;
  baseDN: string | null;
  tls?: StepTls;
  entries?: ScpEntry[];
  failure?: Failure;
}

function values(entry: Record<string, unknown>, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

function toScpEntry(entry: Record<string, unknown> & { dn: string }): ScpEntry {
  const created = values(entry, 'whenCreated')[0];
  const whenCreated = created === undefined ? undefined : parseGeneralizedTime(created);
  return {
    dn: entry.dn,
    serviceBindingInformation: values(entry, 'serviceBindingInformation'),
    keywords: values(entry, 'keywords'),
    ...(whenCreated !== undefined ? { whenCreated } : {}),
  };
}

async function askDirectory(target: LdapTarget, options: ScpLookupOptions): Promise<DirectoryAnswer> {
  const { timeoutMs } = options;
  const resolved = await options.dns.lookupAddresses(target.host);
  const none = { addresses: [], address: null, boundAs: null, baseDN: null };
  if (resolved.status !== 'ok') {
    const { result, reason } = addressFailure(resolved);
    return { ...none, failure: { result, detail: `${target.host} ${reason}` } };
  }

  const addresses = resolved.addresses.map((a) => a.address);
  const boundAs = options.bindDN !== undefined && options.bindDN !== '' ? options.bindDN : null;

  // Like a Windows client, try each address until one accepts a connection.
  let last: Opened | undefined;
  let attempts = 0;
  for (const address of addresses) {
    const opened = await openSocket(target, address, timeoutMs, options.ca ?? []);
    last = opened;
    attempts++;
    if (!opened.ok) {
      if (opened.failure.result === 'tls-error') break; // the server is there: another address would not help
      continue;
    }
    const where = `${target.host} (${isIP(address) === 6 ? `[${address}]` : address}:${target.port})`;
    const base = { addresses, address, boundAs, baseDN: null, ...(opened.tls ? { tls: opened.tls } : {}) };
    const socket = opened.socket;
    const client = new Client({
      url: `${target.secure ? 'ldaps' : 'ldap'}://${isIP(address) === 6 ? `[${address}]` : address}:${target.port}`,
      timeout: timeoutMs,
      ...(target.secure ? { createSecureConnection: () => socket as TLSSocket } : {}),
      ...(!target.secure ? { createConnection: () => socket } : {}),
    });
    try {
      try {
        await client.bind(boundAs ?? '', boundAs === null ? '' : (options.password ?? ''));
      } catch (err) {
        const who = boundAs === null ? 'the anonymous bind' : `the bind as ${boundAs}`;
        return { ...base, failure: operationFailure(err, who, where, timeoutMs, options.password) };
      }
      let baseDN: string | undefined;
      try {
        const dse = await client.search('', {
          scope: 'base',
          filter: '(objectClass=*)',
          attributes: ['configurationNamingContext'],
        });
        const first = dse.searchEntries[0];
        baseDN = first === undefined ? undefined : values(first, 'configurationNamingContext')[0];
      } catch (err) {
        return { ...base, failure: operationFailure(err, 'reading the root DSE', where, timeoutMs, options.password) };
      }
      if (baseDN === undefined || baseDN === '') {
        return {
          ...base,
          failure: {
            result: 'not-found',
            detail: `the root DSE of ${where} has no configurationNamingContext: not an Active Directory domain controller`,
          },
        };
      }
      try {
        const found = await client.search(baseDN, {
          scope: 'sub',
          filter: SCP_FILTER_SPEC,
          attributes: ['serviceBindingInformation', 'keywords', 'whenCreated'],
          paged: { pageSize: 500 },
        });
        return { ...base, baseDN, entries: found.searchEntries.map(toScpEntry) };
      } catch (err) {
        return {
          ...base,
          baseDN,
          failure: operationFailure(err, `the SCP search of ${baseDN}`, where, timeoutMs, options.password),
        };
      }
    } finally {
      await client.unbind().catch(() => {});
      socket.destroy();
    }
  }
  const failure =
    last !== undefined && !last.ok
      ? last.failure
      : { result: 'not-found' as const, detail: `${target.host} has no address` };
  const tls = last !== undefined && last.tls !== undefined ? { tls: last.tls } : {};
  const tried = attempts > 1 ? ` (${attempts} addresses tried, this was the last)` : '';
  return {
    addresses,
    address: null,
    boundAs,
    baseDN: null,
    ...tls,
    failure: { ...failure, detail: failure.detail + tried },
  };
}

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
