/**
 * The DNS port of the discovery client. Expected DNS outcomes (the name does not exist, has no such
 * record, the server timed out) are data, never exceptions, so each step can report them as evidence.
 * The Node implementation is src/adapters/node/dns.ts; recording.ts decorates any implementation.
 */
import type { LookupFunction } from 'node:net';

export type DnsQueryType = 'A' | 'AAAA' | 'CNAME' | 'SRV' | 'MX' | 'TXT';

/** As node:dns returns it: `name` is the target host; '' (the root) means "no service here" (RFC 2782). */
export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  name: string;
}

export interface MxRecord {
  priority: number;
  exchange: string;
}

/**
 * Codes are node:dns's: ETIMEOUT (no answer in time), ECONNREFUSED (nothing listens), ESERVFAIL, EREFUSED
 * (the server will not answer for this name), EBADRESP, EFORMERR… and ECANCELLED.
 */
export interface DnsFailure {
  status: 'error';
  code: string;
  /** Plain language, naming the query and the servers asked. */
  message: string;
}

export type DnsResult<T> = {
  name: string;
  type: DnsQueryType;
} /** `ttl`: the smallest TTL of the records in seconds, when the resolver reports it (A and AAAA over --dns). */ & (
  | { status: 'ok'; records: T[]; ttl?: number }
  /** The name does not exist (NXDOMAIN). */
  | { status: 'nxdomain' }
  /** The name exists but has no record of this type (NOERROR, no answer). */
  | { status: 'nodata' }
  | DnsFailure
);

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type AddressResult = {
  name: string;
} /** A addresses first, then AAAA. `fromLiteral`: the name was an IP address; nothing was asked. */ & (
  | { status: 'ok'; addresses: ResolvedAddress[]; fromLiteral: boolean; ttl?: number }
  | { status: 'nxdomain' }
  | { status: 'nodata' }
  | DnsFailure
);

export interface DnsResolver {
  resolve4(name: string): Promise<DnsResult<string>>;
  resolve6(name: string): Promise<DnsResult<string>>;
  resolveCname(name: string): Promise<DnsResult<string>>;
  resolveSrv(name: string): Promise<DnsResult<SrvRecord>>;
  resolveMx(name: string): Promise<DnsResult<MxRecord>>;
  resolveTxt(name: string): Promise<DnsResult<string[]>>;
  /** Every address a connection to `host` could use: A then AAAA. IP literals come back as they are. */
  lookupAddresses(host: string): Promise<AddressResult>;
  /**
   * For the `lookup` option of net.connect, tls.connect and http(s).request, so that connections use the
   * same servers as the lookups. A plain property: pass it without binding. Honours `all` and `family`.
   * Errors carry `code` (ENOTFOUND for NXDOMAIN, ENODATA for NODATA, else the DNS failure code) and `hostname`.
   */
  readonly connectLookup: LookupFunction;
}

/**
 * Why a name gave no address, as the end of a sentence about it ("autodiscover.contoso.test does not exist in DNS
 * (NXDOMAIN)"), and the step result that goes with it: `not-found` only for what DNS answered (NXDOMAIN, NODATA);
 * `dns-error` when DNS could not be asked or gave no answer (timeout, SERVFAIL, REFUSED, no network): then
 * nobody knows whether the name exists.
 */
export function addressFailure(result: Exclude<AddressResult, { status: 'ok' }>): {
  result: 'not-found' | 'dns-error';
  reason: string;
} {
  switch (result.status) {
    case 'nxdomain':
      return { result: 'not-found', reason: 'does not exist in DNS (NXDOMAIN)' };
    case 'nodata':
      return { result: 'not-found', reason: 'has no A or AAAA record' };
    case 'error':
      return {
        result: 'dns-error',
        reason: `could not be looked up, so whether it exists is unknown: ${result.message}`,
      };
  }
}
