/**
 * The c-ares channels (node:dns Resolver objects) the DNS port (dns.ts) asks its servers on, two ways:
 * - fresh: a new channel per query, which `discover`, `plan` and the lab keep. A channel set up reads the
 *   system's resolver configuration and opens its own UDP socket, about 60 µs of CPU more per query on a
 *   machine where system calls are dear (bench/dns-channels.ts); but nothing of one query can touch another:
 *   the budget timer may cancel() the channel (which stops every query on it), and no answer outlives its query.
 * - shared (an audit's thousands of queries): one long-lived channel per server, so its set-up and its UDP
 *   socket serve many queries. The budget is then raced against the query instead of cancelling the channel:
 *   an expired query is answered ETIMEOUT at once and left to end on c-ares's own timeout (the channel was made
 *   with that query's budget per try), its late answer going nowhere. After `QUERIES_PER_CHANNEL` queries a
 *   fresh channel takes over (a new source port, as resolvers rotate theirs; the old channel goes when its last
 *   query ends, a query in flight keeps its channel alive). Abandoned queries cannot pile up: each ends on its
 *   channel's own timeout (c-ares doubles each try's: about 1.5 budgets with the default two tries, noticed by
 *   Node within a second), so only queries asked in the last one and a half budgets can still be abandoned.
 * c-ares also closes a channel's socket whenever no query is in flight: kept channels save the socket only while
 * queries overlap, as an audit's do (about one socket per seven queries on the fleet; bench/profile-issue-10.md).
 * c-ares 1.31+ caches answers per channel by default, which a kept channel would carry from query to query: Node
 * turns that cache off (`qcache_max_ttl = 0`, nodejs/node#57640; Node 20.20's c-ares 1.34 asks the server every
 * time, test/dns/channels.test.ts), and where it is on, c-ares caches only answers with a TTL (never the lab's
 * TTL 0 ones) and hands them out with the TTL counted down, so the audit's own cache (src/audit/dns-cache.ts)
 * still keeps no answer past its TTL.
 */
import { Resolver } from 'node:dns/promises';

/** Queries one shared channel serves before a fresh one takes over. */
export const QUERIES_PER_CHANNEL = 1024;

export type QueryOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown; expired: boolean };

export interface QueryChannels {
  /**
   * One query to `server` (null: the system's resolvers) on a channel giving each of its tries a share of
   * `budgetMs`, settled within `budgetMs`. `standard`: the budget every query to this server starts with (the
   * first server's share), so a kept channel fits it; a fail-over's budget (what is left) gets a fresh one.
   */
  run<T>(
    server: string | null,
    budgetMs: number,
    standard: boolean,
    query: (resolver: Resolver) => Promise<T>,
  ): Promise<QueryOutcome<T>>;
  /** Channels set up so far (tests, benchmarks). */
  readonly made: number;
}

function channel(server: string | null, budgetMs: number, tries: number): Resolver {
  const resolver = new Resolver({ timeout: Math.max(1, Math.floor(budgetMs / tries)), tries });
  if (server !== null) resolver.setServers([server]);
  return resolver;
}

const EXPIRED = { ok: false, error: null, expired: true } as const;

export function freshChannels(tries: number): QueryChannels {
  const channels = {
    made: 0,
    async run<T>(server: string | null, budgetMs: number, _standard: boolean, query: (r: Resolver) => Promise<T>) {
      const resolver = channel(server, budgetMs, tries);
      channels.made++;
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        resolver.cancel();
      }, budgetMs);
      try {
        return { ok: true as const, value: await query(resolver) };
      } catch (error) {
        return { ok: false as const, error, expired };
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return channels;
}

export function sharedChannels(tries: number): QueryChannels {
  const fresh = freshChannels(tries);
  const kept = new Map<string, { resolver: Resolver; queries: number }>();
  let made = 0;

  function keptFor(server: string | null, budgetMs: number): Resolver {
    const key = server ?? '';
    let entry = kept.get(key);
    if (entry === undefined || entry.queries >= QUERIES_PER_CHANNEL) {
      entry = { resolver: channel(server, budgetMs, tries), queries: 0 };
      kept.set(key, entry);
      made++;
    }
    entry.queries++;
    return entry.resolver;
  }

  return {
    get made() {
      return made + fresh.made;
    },
    async run<T>(server: string | null, budgetMs: number, standard: boolean, query: (r: Resolver) => Promise<T>) {
      if (!standard) return fresh.run(server, budgetMs, standard, query);
      // Settled either way, so a late failure after the budget is nobody's unhandled rejection.
      const answer = query(keptFor(server, budgetMs)).then(
        (value): QueryOutcome<T> => ({ ok: true, value }),
        (error: unknown): QueryOutcome<T> => ({ ok: false, error, expired: false }),
      );
      let timer: NodeJS.Timeout | undefined;
      const expiry = new Promise<QueryOutcome<T>>((resolve) => {
        timer = setTimeout(() => resolve(EXPIRED), budgetMs);
      });
      try {
        return await Promise.race([answer, expiry]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
