/**
 * The ports of an audit run: the same real DNS, TLS probe and HTTP exchange as `discover`, shared by every
 * lookup of the run with three additions:
 * - one DNS cache for the run, honouring TTLs (dns-cache.ts);
 * - TLS evidence reused per (address, port, SNI name, name checked): the outlook and outlook-2013 lookups of an
 *   address, and every domain on the same provider host and name, share one handshake (a bounded memo: the
 *   `tlsMemo` most recently used handshakes, so memory stays flat over 10,000 domains); below it, every
 *   certificate is parsed once per DER for the whole process (src/tls/der-cache.ts), so the intermediate and
 *   root that come with every domain's handshake are not parsed again;
 * - at most `perHost` connections at a time to any one destination address, handshakes and requests alike.
 * Time spent waiting for a per-host slot is not charged to a step's --timeout (the probe and the exchange start
 * their clocks once connected), but it does count against the lookup's --budget.
 */
import { createNodeResolver } from '../adapters/node/dns.js';
import type { DiscoverPorts } from '../discover/context.js';
import { exchange } from '../discover/http.js';
import { lookupScp } from '../discover/scp.js';
import { probeTls, type TlsProbeOptions, type TlsProbeResult } from '../tls/index.js';
import { type CachingResolver, cachingResolver } from './dns-cache.js';
import { KeyedLimiter } from './limiter.js';

export interface AuditPortsOptions {
  dnsServers: readonly string[];
  timeoutMs: number;
  perHost: number;
  /** Handshakes remembered. @default 1000 */
  tlsMemo?: number;
  /** Replaces the real ports underneath (tests). */
  base?: Partial<Pick<DiscoverPorts, 'probeTls' | 'exchange'>>;
}

export interface AuditPorts extends DiscoverPorts {
  dns: CachingResolver;
  /** How many handshakes were reused rather than made. */
  readonly tlsStats: { reused: number; made: number };
}

export function createAuditPorts(options: AuditPortsOptions): AuditPorts {
  const dns = cachingResolver(
    createNodeResolver({
      ...(options.dnsServers.length > 0 ? { servers: [...options.dnsServers] } : {}),
      timeoutMs: options.timeoutMs,
      ttl: true,
    }),
  );
  const perHost = new KeyedLimiter(options.perHost);
  const realProbe = options.base?.probeTls ?? probeTls;
  const realExchange = options.base?.exchange ?? exchange;
  const memoSize = options.tlsMemo ?? 1000;
  const memo = new Map<string, Promise<TlsProbeResult>>();
  const tlsStats = { reused: 0, made: 0 };

  function probe(probeOptions: TlsProbeOptions): Promise<TlsProbeResult> {
    // The extra roots are the run's (--ca), the same for every probe: they need not be part of the key.
    const key = `${probeOptions.address}|${probeOptions.port}|${probeOptions.servername ?? ''}|${probeOptions.host ?? ''}`;
    const hit = memo.get(key);
    if (hit) {
      tlsStats.reused++;
      // Least recently used goes first: a provider host every domain points at stays remembered.
      memo.delete(key);
      memo.set(key, hit);
      return hit;
    }
    tlsStats.made++;
    const made = perHost.run(probeOptions.address, () => realProbe(probeOptions));
    memo.set(key, made);
    if (memo.size > memoSize) {
      const oldest = memo.keys().next().value;
      if (oldest !== undefined) memo.delete(oldest);
    }
    // A probe that threw is not evidence: the next lookup tries again.
    made.catch(() => memo.delete(key));
    return made;
  }

  return {
    dns,
    probeTls: probe,
    exchange: (request) => perHost.run(request.address, () => realExchange(request)),
    lookupScp,
    now: () => performance.now(),
    random: Math.random,
    tlsStats,
  };
}
