/**
 * One DNS cache for a whole audit run, shared by every address and client: a provider host that 500 customer
 * domains point at is asked once per TTL, not 1,000 times. Answers are kept as long as their TTL says (A and
 * AAAA over --dns carry it); answers without a TTL (SRV, MX, CNAME, TXT, NXDOMAIN, NODATA, and everything the
 * system resolver answers) are kept for `defaultTtlS`. Failures (timeout, SERVFAIL, refused) are not kept:
 * the next lookup asks again. Lookups in flight are shared. The cache is bounded (`maxEntries`; the oldest go first; an audit sizes it from its concurrency, ports.ts) and expired entries are swept out as the run goes.
 */

import type { LookupFunction } from 'node:net';
import { setNewest } from '../bounded-map.js';
import type { AddressResult, DnsResolver, DnsResult } from '../dns/resolver.js';

export interface DnsCacheOptions {
  /** Seconds to keep an answer that carries no TTL. @default 30 */
  defaultTtlS?: number;
  /** Entries kept at most. @default 20000 */
  maxEntries?: number;
  /** Milliseconds on a monotonic clock (tests move it). */
  now?: () => number;
}

/** Misses between two sweeps of expired entries. */
const SWEEP_EVERY = 1024;

interface Entry {
  expires: number;
  answer: Promise<unknown>;
}

export interface CachingResolver extends DnsResolver {
  readonly stats: { hits: number; misses: number; size: number };
}

export function cachingResolver(inner: DnsResolver, options: DnsCacheOptions = {}): CachingResolver {
  const defaultTtlMs = (options.defaultTtlS ?? 30) * 1000;
  const maxEntries = options.maxEntries ?? 20_000;
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, Entry>();
  const stats = { hits: 0, misses: 0, size: 0 };

  function keepFor(result: { status: string; ttl?: number }): number | null {
    if (result.status === 'error') return null;
    return result.status === 'ok' && result.ttl !== undefined ? result.ttl * 1000 : defaultTtlMs;
  }

  function cached<T extends { status: string; ttl?: number }>(key: string, ask: () => Promise<T>): Promise<T> {
    const hit = entries.get(key);
    if (hit && hit.expires > now()) {
      stats.hits++;
      return hit.answer as Promise<T>;
    }
    stats.misses++;
    // Expired answers are dropped as the run goes, not only when the cache is full: memory follows the TTLs.
    if (stats.misses % SWEEP_EVERY === 0) {
      const t = now();
      for (const [k, e] of entries) if (e.expires <= t) entries.delete(k);
    }
    const answer = ask();
    // While in flight the entry lives "forever"; once answered, for its TTL (or not at all, for a failure).
    const entry: Entry = { expires: Number.POSITIVE_INFINITY, answer };
    setNewest(entries, key, entry, maxEntries);
    stats.size = entries.size;
    answer.then(
      (result) => {
        const ms = keepFor(result);
        if (ms === null || ms <= 0) {
          if (entries.get(key) === entry) entries.delete(key);
        } else entry.expires = now() + ms;
        stats.size = entries.size;
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return answer;
  }

  const lookupAddresses = (host: string): Promise<AddressResult> =>
    cached(`addr:${host.toLowerCase()}`, () => inner.lookupAddresses(host));

  // Connections made by name (SCP's LDAP) resolve through the same cache.
  const connectLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const all = lookupOptions?.all === true;
    const family = lookupOptions?.family === 6 || lookupOptions?.family === 'IPv6' ? 6 : 4;
    void lookupAddresses(hostname).then((result) => {
      if (result.status !== 'ok') {
        inner.connectLookup(hostname, lookupOptions, callback);
        return;
      }
      const usable = lookupOptions?.family ? result.addresses.filter((a) => a.family === family) : result.addresses;
      const [first] = usable;
      if (all) return callback(null, usable);
      return callback(null, first?.address ?? '', first?.family ?? 0);
    });
  };

  const typed =
    <T>(type: string, ask: (name: string) => Promise<DnsResult<T>>) =>
    (name: string): Promise<DnsResult<T>> =>
      cached(`${type}:${name.toLowerCase()}`, () => ask(name));

  return {
    resolve4: typed('A', (n) => inner.resolve4(n)),
    resolve6: typed('AAAA', (n) => inner.resolve6(n)),
    resolveCname: typed('CNAME', (n) => inner.resolveCname(n)),
    resolveSrv: typed('SRV', (n) => inner.resolveSrv(n)),
    resolveMx: typed('MX', (n) => inner.resolveMx(n)),
    resolveTxt: typed('TXT', (n) => inner.resolveTxt(n)),
    lookupAddresses,
    connectLookup,
    stats,
  };
}
