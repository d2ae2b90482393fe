/**
 * A DnsResolver decorator that keeps a transcript of every query, its result and its timing: the DNS
 * evidence the diagnosis explains (H3). It changes no answer.
 */

import type { LookupFunction } from 'node:net';
import net from 'node:net';
import type { AddressResult, DnsResolver, DnsResult, MxRecord, SrvRecord } from './resolver.js';

export type RecordedMethod =
  | 'resolve4'
  | 'resolve6'
  | 'resolveCname'
  | 'resolveSrv'
  | 'resolveMx'
  | 'resolveTxt'
  | 'lookupAddresses'
  | 'connectLookup';

export interface DnsQueryRecord {
  method: RecordedMethod;
  name: string;
  /** Clock reading (epoch ms by default) when the query started. */
  startedAt: number;
  ms: number;
  result: DnsResult<string | SrvRecord | MxRecord | string[]> | AddressResult;
}

export interface RecordingOptions {
  /** @default Date.now */
  now?: () => number;
  /** Called as each query completes (a live view); the transcript is kept either way. */
  onRecord?: (record: DnsQueryRecord) => void;
}

export interface RecordingResolver extends DnsResolver {
  /** Completed queries, in completion order. */
  readonly queries: DnsQueryRecord[];
}

/** What a `lookup` callback said, as an AddressResult (ENOTFOUND → nxdomain, ENODATA → nodata). */
function fromCallback(
  name: string,
  err: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family: number | undefined,
): AddressResult {
  if (err !== null) {
    if (err.code === 'ENOTFOUND') return { name, status: 'nxdomain' };
    if (err.code === 'ENODATA') return { name, status: 'nodata' };
    return { name, status: 'error', code: err.code ?? 'EUNKNOWN', message: err.message };
  }
  const list = typeof address === 'string' ? [{ address, family: family ?? 0 }] : address;
  const addresses = list.map((a) => ({ address: a.address, family: a.family === 6 ? (6 as const) : (4 as const) }));
  return { name, status: 'ok', addresses, fromLiteral: net.isIP(name) !== 0 };
}

export function recordingResolver(inner: DnsResolver, options: RecordingOptions = {}): RecordingResolver {
  const now = options.now ?? Date.now;
  const queries: DnsQueryRecord[] = [];
  const record = (entry: DnsQueryRecord): void => {
    queries.push(entry);
    options.onRecord?.(entry);
  };

  function timed<R extends DnsQueryRecord['result']>(
    method: RecordedMethod,
    name: string,
    run: () => Promise<R>,
  ): Promise<R> {
    const startedAt = now();
    return run().then((result) => {
      record({ method, name, startedAt, ms: now() - startedAt, result });
      return result;
    });
  }

  const connectLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const startedAt = now();
    inner.connectLookup(hostname, lookupOptions, (err, address, family) => {
      const result = fromCallback(hostname, err, address, family);
      record({ method: 'connectLookup', name: hostname, startedAt, ms: now() - startedAt, result });
      callback(err, address, family);
    });
  };

  return {
    queries,
    resolve4: (name) => timed('resolve4', name, () => inner.resolve4(name)),
    resolve6: (name) => timed('resolve6', name, () => inner.resolve6(name)),
    resolveCname: (name) => timed('resolveCname', name, () => inner.resolveCname(name)),
    resolveSrv: (name) => timed('resolveSrv', name, () => inner.resolveSrv(name)),
    resolveMx: (name) => timed('resolveMx', name, () => inner.resolveMx(name)),
    resolveTxt: (name) => timed('resolveTxt', name, () => inner.resolveTxt(name)),
    lookupAddresses: (host) => timed('lookupAddresses', host, () => inner.lookupAddresses(host)),
    connectLookup,
  };
}
