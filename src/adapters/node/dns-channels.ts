/**
 * The c-ares channels (node:dns Resolver objects) the DNS port (dns.ts) asks its servers on, two ways:
 * - fresh: a new channel per query, which `discover`, `plan` and the lab keep. A channel set up reads the
 *   system's resolver configuration and opens its own UDP socket, about 60 µs of CPU more per query on a
 *   machine where system calls are dear (bench/dns-channels.ts); but nothing of one query can touch another:
 *   the budget timer may cancel() the channel (which stops every query on it), and no answer outlives its query.
 * - shared (an audit's thousands of queries): long-lived channels per server (and budget), so their set-up and
 *   UDP sockets serve many queries, at most IN_FLIGHT_PER_CHANNEL at a time each (more channels when more are in
 *   flight). The budget is then raced against the query instead of cancelling the
 *   channel: an expired query is answered ETIMEOUT at once, its late answer going nowhere, and its channel is
 *   retired: new queries get a fresh channel, the others in flight on it go on, and once none of them is left
 *   waiting, cancel() ends the abandoned ones (so one lasts at most a budget past its own, if c-ares has not
 *   given up on it first, and a finished run leaves nothing open). After `QUERIES_PER_CHANNEL` queries a channel is retired too (a new
 *   source port now and then, as resolvers rotate theirs; a query in flight keeps its old channel alive).
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

/**
 * Queries in flight on one shared channel at most; past it, another channel of the same server and budget takes
 * the next query. A channel has one UDP socket, whose receive buffer (net.core.rmem_default, 208 KiB on Debian)
 * holds a few hundred answers while the process is busy: with every query of an audit of 256 addresses at a time
 * on one socket, a burst of answers could outgrow it (and their loss cost a query its budget). 32 answers fit
 * many times over, and the sockets stay few (bench/profile-issue-10.md, third round).
 */
export const IN_FLIGHT_PER_CHANNEL = 32;

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

/** A kept channel and what runs on it. */
interface Kept {
  key: string;
  resolver: Resolver;
  /** Queries it was given. */
  queries: number;
  /** Queries in flight whose caller still waits. */
  live: number;
  /** Queries in flight whose caller was answered ETIMEOUT. */
  abandoned: number;
  /** No new query goes to it. */
  retired: boolean;
}

export function sharedChannels(tries: number): QueryChannels {
  const fresh = freshChannels(tries);
  /** The channels taking new queries, per server and budget: a channel is added when all are full. */
  const kept = new Map<string, Kept[]>();
  let made = 0;

  function keptFor(server: string | null, budgetMs: number): Kept {
    // The per-try timeout is part of the key: a channel only serves the budget it was made for.
    const key = `${server ?? ''}|${budgetMs}`;
    let pool = kept.get(key);
    if (pool === undefined) {
      pool = [];
      kept.set(key, pool);
    }
    let entry = pool.find((e) => e.live < IN_FLIGHT_PER_CHANNEL);
    if (entry === undefined) {
      entry = { key, resolver: channel(server, budgetMs, tries), queries: 0, live: 0, abandoned: 0, retired: false };
      pool.push(entry);
      made++;
    }
    entry.queries++;
    entry.live++;
    // Its share given, it takes no more: a fresh channel (a new source port) takes over.
    if (entry.queries >= QUERIES_PER_CHANNEL) retire(entry);
    return entry;
  }

  /** New queries go to another channel; this one ends when the queries on it are done. */
  function retire(entry: Kept): void {
    const pool = kept.get(entry.key);
    const at = pool?.indexOf(entry) ?? -1;
    if (pool !== undefined && at >= 0) pool.splice(at, 1);
    entry.retired = true;
    endAbandoned(entry);
  }

  /** Once no caller waits on a retired channel, cancel() ends its abandoned queries (and with them its socket). */
  function endAbandoned(entry: Kept): void {
    if (entry.retired && entry.live === 0 && entry.abandoned > 0) entry.resolver.cancel();
  }

  return {
    get made() {
      return made + fresh.made;
    },
    async run<T>(server: string | null, budgetMs: number, standard: boolean, query: (r: Resolver) => Promise<T>) {
      if (!standard) return fresh.run(server, budgetMs, standard, query);
      const entry = keptFor(server, budgetMs);
      let expired = false;
      // Settled either way, so a late failure after the budget is nobody's unhandled rejection; a query that throws
      // at once fails like one that rejects, as with a fresh channel.
      let asked: Promise<T>;
      try {
        asked = query(entry.resolver);
      } catch (error) {
        asked = Promise.reject(error);
      }
      const answer = asked.then(
        (value): QueryOutcome<T> => ({ ok: true, value }),
        (error: unknown): QueryOutcome<T> => ({ ok: false, error, expired: false }),
      );
      void answer.then(() => {
        if (expired) entry.abandoned--;
        else entry.live--;
        endAbandoned(entry);
      });
      let timer: NodeJS.Timeout | undefined;
      const expiry = new Promise<QueryOutcome<T>>((resolve) => {
        timer = setTimeout(() => {
          expired = true;
          entry.live--;
          entry.abandoned++;
          // The other queries on this channel go on; once they are done, cancel() ends this one.
          retire(entry);
          resolve(EXPIRED);
        }, budgetMs);
      });
      try {
        return await Promise.race([answer, expiry]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
