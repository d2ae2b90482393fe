/**
 * The DNS port (src/dns/resolver.ts) over node:dns. With `servers` every lookup, including the addresses
 * that connections use (`connectLookup`), goes to those servers only, which is what `--dns` promises;
 * without them, the system resolver answers (and `lookupAddresses`/`connectLookup` use getaddrinfo, so
 * /etc/hosts applies as it does for any program).
 */
import dns from 'node:dns';
import type { Resolver } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import net from 'node:net';
import type {
  AddressResult,
  DnsFailure,
  DnsQueryType,
  DnsResolver,
  DnsResult,
  ResolvedAddress,
} from '../../dns/resolver.js';
import { AutodiscoError } from '../../errors.js';
import { freshChannels, sharedChannels } from './dns-channels.js';

export { type RecordingOptions, type RecordingResolver, recordingResolver } from '../../dns/recording.js';
export type {
  AddressResult,
  DnsFailure,
  DnsQueryType,
  DnsResolver,
  DnsResult,
  MxRecord,
  ResolvedAddress,
  SrvRecord,
} from '../../dns/resolver.js';

export interface NodeResolverOptions {
  /** `ip`, `ip:port` or `[v6]:port`, tried in order. Absent or empty: the system resolver. */
  servers?: readonly string[];
  /** Budget for one lookup, every try and server included. @default 5000 (5 s) */
  timeoutMs?: number;
  /** Attempts per server, as c-ares counts them. @default 2 */
  tries?: number;
  /** Report A/AAAA TTLs (`ttl` on ok results) over `servers`, for a cache that honours them (audit). @default false */
  ttl?: boolean;
  /**
   * Keep one c-ares channel per server across queries instead of a fresh one per query (dns-channels.ts): for a
   * resolver that asks thousands of questions behind a cache of its own (audit). Answers are the same.
   * @default false
   */
  reuseChannels?: boolean;
}

/** Checks one `--dns` value and returns it in the form Resolver#setServers takes. */
export function parseDnsServer(spec: string): string {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  const hostAndPort = /^([^:]+):(\d+)$/.exec(spec);
  const [host, port] = bracketed
    ? [bracketed[1], bracketed[2]]
    : hostAndPort
      ? [hostAndPort[1], hostAndPort[2]]
      : [spec];
  const family = net.isIP(host ?? '');
  const portOk = port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  if (family === 0 || !portOk || (hostAndPort !== null && family !== 4)) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `DNS server "${spec}" is not an IP address with an optional port (expected 127.0.0.1, 127.0.0.1:5353 or [::1]:5353)`,
    );
  }
  if (port === undefined) return host ?? spec;
  return family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

const EXPLAIN: Record<string, string> = {
  ECONNREFUSED: 'the DNS server refused the connection (nothing listens there)',
  ESERVFAIL: 'the DNS server answered SERVFAIL (it failed to find the answer)',
  EREFUSED: 'the DNS server refused the query (REFUSED: it does not serve this name)',
  EBADRESP: 'the DNS server sent a malformed reply',
};

function errnoCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

/** IPv6 hosts come out of URLs bracketed (`[::1]`). */
function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** NXDOMAIN wins (the name does not exist at all), then a failure (an answer may be missing), then NODATA. */
function combine(name: string, results: readonly DnsResult<string>[]): AddressResult {
  const addresses: ResolvedAddress[] = [];
  let ttl: number | undefined;
  for (const r of results) {
    if (r.status !== 'ok') continue;
    for (const address of r.records) addresses.push({ address, family: r.type === 'A' ? 4 : 6 });
    if (r.ttl !== undefined) ttl = Math.min(ttl ?? r.ttl, r.ttl);
  }
  if (addresses.length > 0)
    return { name, status: 'ok', addresses, fromLiteral: false, ...(ttl !== undefined ? { ttl } : {}) };
  if (results.some((r) => r.status === 'nxdomain')) return { name, status: 'nxdomain' };
  const failure = results.find((r): r is DnsResult<string> & DnsFailure => r.status === 'error');
  if (failure !== undefined) return { name, status: 'error', code: failure.code, message: failure.message };
  return { name, status: 'nodata' };
}

function lookupError(hostname: string, result: Exclude<AddressResult, { status: 'ok' }>): NodeJS.ErrnoException {
  const code = result.status === 'nxdomain' ? 'ENOTFOUND' : result.status === 'nodata' ? 'ENODATA' : result.code;
  const why =
    result.status === 'nxdomain'
      ? 'the name does not exist'
      : result.status === 'nodata'
        ? 'the name has no address'
        : result.message;
  return Object.assign(new Error(`lookup ${code} ${hostname}: ${why}`), { code, syscall: 'lookup', hostname });
}

function familyOf(option: dns.LookupOptions['family']): 0 | 4 | 6 {
  return option === 4 || option === 'IPv4' ? 4 : option === 6 || option === 'IPv6' ? 6 : 0;
}

export function createNodeResolver(options: NodeResolverOptions = {}): DnsResolver {
  const servers =
    options.servers === undefined || options.servers.length === 0 ? null : options.servers.map(parseDnsServer);
  const timeoutMs = options.timeoutMs ?? 5000;
  const tries = options.tries ?? 2;
  if (!(timeoutMs > 0) || !Number.isInteger(tries) || tries < 1) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `DNS timeout ${timeoutMs} ms and tries ${tries} must be positive (tries a whole number)`,
    );
  }
  const asked = servers === null ? 'the system resolver' : servers.join(', ');

  const channels = options.reuseChannels === true ? sharedChannels(tries) : freshChannels(tries);

  /** One server (null: the system's), within `budgetMs`; `standard`: see QueryChannels#run. */
  async function askOne<T>(
    type: DnsQueryType,
    name: string,
    server: string | null,
    budgetMs: number,
    standard: boolean,
    run: (r: Resolver) => Promise<T[]>,
  ): Promise<DnsResult<T>> {
    const outcome = await channels.run(server, budgetMs, standard, run);
    if (outcome.ok) {
      const records = outcome.value;
      // A CNAME that leads out of the server's data comes back as success with no records: that is NODATA.
      return records.length === 0 ? { name, type, status: 'nodata' } : { name, type, status: 'ok', records };
    }
    const code = outcome.expired ? 'ETIMEOUT' : errnoCode(outcome.error);
    if (code === 'ENOTFOUND') return { name, type, status: 'nxdomain' };
    if (code === 'ENODATA') return { name, type, status: 'nodata' };
    const why =
      code === 'ETIMEOUT'
        ? `no answer within ${Math.round(budgetMs)} ms`
        : (EXPLAIN[code] ?? (outcome.error as Error).message);
    return { name, type, status: 'error', code, message: why };
  }

  /**
   * Servers are tried in order here rather than by c-ares: Node checks c-ares timeouts on a coarse timer,
   * so c-ares's own fail-over sometimes came after the budget; here each server gets a fair share of what
   * is left. Like c-ares and glibc, a failure (timeout, refused, SERVFAIL, REFUSED) moves on to the next.
   */
  /** A and AAAA with their TTLs (an audit's shared cache honours them); the records stay plain addresses. */
  async function askAddresses(type: 'A' | 'AAAA', name: string): Promise<DnsResult<string>> {
    let ttl: number | undefined;
    const result = await ask(type, name, async (r) => {
      const records = type === 'A' ? await r.resolve4(name, { ttl: true }) : await r.resolve6(name, { ttl: true });
      for (const record of records) ttl = Math.min(ttl ?? record.ttl, record.ttl);
      return records.map((record) => record.address);
    });
    return options.ttl === true && result.status === 'ok' && ttl !== undefined ? { ...result, ttl } : result;
  }

  async function ask<T>(type: DnsQueryType, name: string, run: (r: Resolver) => Promise<T[]>): Promise<DnsResult<T>> {
    const list = servers ?? [null];
    const deadline = performance.now() + timeoutMs;
    const failures: string[] = [];
    let code = 'EUNKNOWN';
    for (const [i, server] of list.entries()) {
      const share = i === 0 ? timeoutMs / list.length : (deadline - performance.now()) / (list.length - i);
      const result = await askOne(type, name, server, Math.max(1, share), i === 0, run);
      if (result.status !== 'error') return result;
      code = result.code;
      failures.push(list.length === 1 ? `${result.message} (asked ${asked})` : `${server}: ${result.message}`);
    }
    const message = list.length === 1 ? failures.join('') : `no server answered (${failures.join('; ')})`;
    return { name, type, status: 'error', code, message: `${type} ${name}: ${message}` };
  }

  /** getaddrinfo cannot be cancelled; the budget still bounds how long the caller waits. */
  async function systemLookup(name: string, family: 0 | 4 | 6): Promise<AddressResult> {
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs);
    });
    try {
      const found = await Promise.race([dns.promises.lookup(name, { all: true, family }), expiry]);
      if (found === 'expired') {
        return {
          name,
          status: 'error',
          code: 'ETIMEOUT',
          message: `${name}: no address within ${timeoutMs} ms (asked ${asked})`,
        };
      }
      const seen = new Set<string>();
      const addresses = found
        .filter((a) => (a.family === 4 || a.family === 6) && !seen.has(a.address) && seen.add(a.address))
        .map((a) => ({ address: a.address, family: a.family as 4 | 6 }))
        .sort((a, b) => a.family - b.family);
      return { name, status: 'ok', addresses, fromLiteral: false };
    } catch (err) {
      const code = errnoCode(err);
      // getaddrinfo says ENOTFOUND both for a missing name and a name without addresses; the first is likelier.
      if (code === 'ENOTFOUND') return { name, status: 'nxdomain' };
      if (code === 'ENODATA') return { name, status: 'nodata' };
      return { name, status: 'error', code, message: `${name}: ${(err as Error).message} (asked ${asked})` };
    } finally {
      clearTimeout(timer);
    }
  }

  async function addresses(host: string, family: 0 | 4 | 6): Promise<AddressResult> {
    const name = stripBrackets(host);
    const literal = net.isIP(name);
    if (literal !== 0)
      return { name, status: 'ok', addresses: [{ address: name, family: literal as 4 | 6 }], fromLiteral: true };
    if (servers === null) return systemLookup(name, family);
    const results = await Promise.all([
      family === 6 ? null : resolver.resolve4(name),
      family === 4 ? null : resolver.resolve6(name),
    ]);
    return combine(
      name,
      results.filter((r) => r !== null),
    );
  }

  const connectLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const all = lookupOptions?.all === true;
    void addresses(hostname, familyOf(lookupOptions?.family)).then((result) => {
      if (result.status !== 'ok') return callback(lookupError(hostname, result), all ? [] : '');
      const [first] = result.addresses;
      if (all) return callback(null, result.addresses);
      return callback(null, first?.address ?? '', first?.family ?? 0);
    });
  };

  const resolver: DnsResolver = {
    resolve4: (name) => askAddresses('A', name),
    resolve6: (name) => askAddresses('AAAA', name),
    resolveCname: (name) => ask('CNAME', name, (r) => r.resolveCname(name)),
    resolveSrv: (name) => ask('SRV', name, (r) => r.resolveSrv(name)),
    resolveMx: (name) => ask('MX', name, (r) => r.resolveMx(name)),
    resolveTxt: (name) => ask('TXT', name, (r) => r.resolveTxt(name)),
    lookupAddresses: (host) => addresses(host, 0),
    connectLookup,
  };
  return resolver;
}
