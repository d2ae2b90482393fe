/**
 * The ports of an audit run: the same real DNS, TLS probe and HTTP exchange as `discover`, shared by every
 * lookup of the run with four additions:
 * - one DNS cache for the run, honouring TTLs (dns-cache.ts), over c-ares channels kept across queries
 *   (src/adapters/node/dns-channels.ts);
 * - TLS evidence reused per (address, port, SNI name, name checked): the outlook and outlook-2013 lookups of an
 *   address, and every domain on the same provider host and name, share one handshake (a bounded memo: the
 *   `tlsMemo` most recently used handshakes, sized from the concurrency, so memory stays flat over 10,000
 *   domains; the DNS cache likewise); below it, every certificate is parsed once per DER for the whole process
 *   (src/tls/der-cache.ts), so the intermediate and root that come with every domain's handshake are not parsed
 *   again;
 * - TLS sessions resumed per (address, port, SNI name, trust store) (src/tls/sessions.ts): the request
 *   connections of a step resume the session of the probe's handshake with the same host, as a real client
 *   resumes its session, instead of a full handshake each (the evidence stays the probe's); a request that
 *   follows a probe of its host by less than one round trip waits for the probe's ticket, 250 ms at most;
 * - the probe's own connection carries the requests to its host when the probe vouches for it as a session would
 *   (src/tls/warm-connections.ts), kept alive between them: one handshake per host instead of one per request; a
 *   request that finds it busy resumes the session, and one whose connection was closed under it (before any
 *   answer) is sent again on a fresh one;
 * - at most `perHost` connections at a time to any one destination address, handshakes and requests alike.
 * Time spent waiting for a per-host slot or a ticket is not charged to a step's --timeout (the probe and the
 * exchange start their clocks once connected), but it does count against the lookup's --budget.
 */

import { isIP } from 'node:net';
import { createNodeResolver } from '../adapters/node/dns.js';
import { setNewest } from '../bounded-map.js';
import type { DiscoverPorts } from '../discover/context.js';
import { exchange, type HttpExchangeRequest, type HttpExchangeResult } from '../discover/http.js';
import { lookupScp } from '../discover/scp.js';
import { probeTls, type TlsProbeOptions, type TlsProbeResult } from '../tls/index.js';
import { TlsSessions } from '../tls/sessions.js';
import { WarmConnections } from '../tls/warm-connections.js';
import { type CachingResolver, cachingResolver } from './dns-cache.js';
import { KeyedLimiter } from './limiter.js';

export interface AuditPortsOptions {
  dnsServers: readonly string[];
  timeoutMs: number;
  perHost: number;
  /**
   * Addresses audited at once: the caches below are sized from it (what the lookups in flight use, with room for
   * the provider hosts many domains share), so memory stays flat however many domains the run has. @default 32
   */
  concurrency?: number;
  /** Handshakes remembered. @default max(512, 16 × concurrency) */
  tlsMemo?: number;
  /** TLS sessions kept for resumption (one per address, port, SNI name and trust store). As tlsMemo by default. */
  tlsSessions?: number;
  /** DNS answers kept. @default max(2048, 64 × concurrency) */
  dnsEntries?: number;
  /** Replaces the real ports underneath (tests). */
  base?: Partial<Pick<DiscoverPorts, 'probeTls' | 'exchange'>>;
}

export interface AuditPorts extends DiscoverPorts {
  dns: CachingResolver;
  /** How many handshakes were reused rather than made. */
  readonly tlsStats: { reused: number; made: number };
  /** The sessions kept, and how many request connections offered one and were resumed. */
  readonly sessions: TlsSessions;
  /** Probe connections waiting for their step's request, and how many carried one. */
  readonly warm: WarmConnections;
}

/** The SNI name a connection sends: none for an IP literal (as probe.ts and node:https do). */
function sniOf(name: string | null): string | null {
  return name === null || isIP(name) !== 0 ? null : name;
}

export function createAuditPorts(options: AuditPortsOptions): AuditPorts {
  // A domain brings about a dozen DNS answers and four handshakes, needed only while its clients run.
  const concurrency = Math.max(1, options.concurrency ?? 32);
  const dns = cachingResolver(
    createNodeResolver({
      ...(options.dnsServers.length > 0 ? { servers: [...options.dnsServers] } : {}),
      timeoutMs: options.timeoutMs,
      ttl: true,
      // Thousands of queries, behind the cache above: a c-ares channel per server for many of them, not one each.
      reuseChannels: true,
    }),
    { maxEntries: options.dnsEntries ?? Math.max(2048, 64 * concurrency) },
  );
  const perHost = new KeyedLimiter(options.perHost);
  const realProbe = options.base?.probeTls ?? probeTls;
  const realExchange = options.base?.exchange ?? exchange;
  const memoSize = options.tlsMemo ?? Math.max(512, 16 * concurrency);
  const memo = new Map<string, Promise<TlsProbeResult>>();
  const tlsStats = { reused: 0, made: 0 };
  const sessions = new TlsSessions(options.tlsSessions ?? memoSize);
  // A step's request follows its probe within milliseconds: a few per address in flight is plenty.
  const warm = new WarmConnections(4 * concurrency);

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
    const sessionKey = TlsSessions.key(
      probeOptions.address,
      probeOptions.port,
      sniOf(probeOptions.servername),
      probeOptions.ca,
    );
    // A session is kept with what its full handshake was worth: the probe's verdict on it (sessions.ts).
    const arrived = sessions.expect(sessionKey);
    const made: Promise<TlsProbeResult> = perHost.run(probeOptions.address, () =>
      realProbe({
        ...probeOptions,
        onOpen: (connection) => {
          void made.then(
            (result) =>
              warm.park(sessionKey, connection, {
                verifiedFor: result.code === null ? result.host.toLowerCase() : null,
                sha256: result.certificate?.sha256 ?? null,
              }),
            () => warm.park(sessionKey, connection, { verifiedFor: null, sha256: null }),
          );
        },
        onSession: (ticket) => {
          if (ticket === null) return arrived();
          void made.then((result) => {
            sessions.set(sessionKey, {
              ticket,
              verifiedFor: result.code === null ? result.host.toLowerCase() : null,
              sha256: result.certificate?.sha256 ?? null,
            });
            arrived();
          });
        },
      }),
    );
    made.then(
      (result) => {
        if (!result.handshake) arrived();
      },
      () => arrived(),
    );
    setNewest(memo, key, made, memoSize);
    // A probe that threw is not evidence: the next lookup tries again.
    made.catch(() => memo.delete(key));
    return made;
  }

  /**
   * An HTTPS request offers the session of the last handshake with its host when that handshake was worth what
   * this request requires (sessions.ts), and keeps the sessions its own connection is given, with their origin.
   */
  async function withSession(request: HttpExchangeRequest): Promise<HttpExchangeRequest> {
    if (request.url.protocol !== 'https:') return request;
    const name = host(request);
    const key = keyOf(request);
    // A probe of this host just finished: its ticket follows the handshake by one round trip.
    await sessions.arrival(key);
    const pin = pinOf(request);
    const offered = sessions.forRequest(key, name, pin);
    if (offered !== undefined) sessions.stats.offered++;
    const onSession = (ticket: Buffer, resumed: boolean) => {
      const same = resumed ? offered : undefined;
      // Accepted by Node's own checks (verify), or showing the pinned certificate: that is this session's origin.
      sessions.set(
        key,
        pin === undefined
          ? { ticket, verifiedFor: name, sha256: same?.sha256 ?? null }
          : { ticket, verifiedFor: same?.verifiedFor ?? null, sha256: pin },
      );
    };
    return { ...request, ...(offered !== undefined ? { session: offered.ticket } : {}), onSession };
  }

  const host = (request: HttpExchangeRequest) => request.url.hostname.toLowerCase();
  const pinOf = (request: HttpExchangeRequest) =>
    request.tls?.mode === 'pinned' ? request.tls.fingerprint256 : undefined;
  /** The sessions' and the waiting connections' key of an HTTPS request. */
  const keyOf = (request: HttpExchangeRequest) =>
    TlsSessions.key(request.address, request.url.port || 443, sniOf(host(request)), request.ca);

  return {
    dns,
    probeTls: probe,
    exchange: (request) =>
      perHost.run(request.address, async () => {
        const warmKey = request.url.protocol === 'https:' ? keyOf(request) : undefined;
        const taken = warmKey === undefined ? undefined : warm.take(warmKey, host(request), pinOf(request));
        if (warmKey !== undefined && taken !== undefined) {
          const result = await realExchange({
            ...request,
            connection: taken.socket,
            // Kept open by the server: back to wait for the next request, with the bond of its handshake.
            onReusable: (socket) => warm.park(warmKey, socket, taken.vouched),
          });
          if (!closedUnder(result)) return result;
        }
        const result = await realExchange(await withSession(request));
        if (result.ok && result.resumed === true) sessions.stats.resumed++;
        return result;
      }),
    lookupScp,
    now: () => performance.now(),
    random: Math.random,
    tlsStats,
    sessions,
    warm,
  };
}

/**
 * A request on a waiting connection that the server had closed (idle) before the request reached it: nothing was
 * answered, so it is sent again on a fresh connection, as browsers do with a kept-alive connection.
 */
function closedUnder(result: HttpExchangeResult): boolean {
  return (
    !result.ok && result.stage === 'headers' && ['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED'].includes(result.code)
  );
}
