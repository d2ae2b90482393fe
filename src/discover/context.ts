/**
 * What the engine and its steps share: the ports (DNS, TLS probe, HTTP, SCP, clock, randomness), the options
 * of the run, and the state of one lookup. Steps get everything through here, never from node:* directly, so
 * tests and the lab can swap any port.
 */
import type { AddressResult, DnsResolver } from '../dns/resolver.js';
import type { TlsProbeOptions, TlsProbeResult } from '../tls/index.js';
import type { AddressParts } from './candidates.js';
import type { HttpExchangeRequest, HttpExchangeResult } from './http.js';
import type { Profile } from './profiles.js';
import type { DiscoveredSettings, Prompt, Step, StepMethod } from './report.js';
import type { ScpLookup, ScpLookupOptions } from './scp.js';

export interface DiscoverPorts {
  dns: DnsResolver;
  probeTls(options: TlsProbeOptions): Promise<TlsProbeResult>;
  exchange(request: HttpExchangeRequest): Promise<HttpExchangeResult>;
  lookupScp(options: ScpLookupOptions): Promise<ScpLookup>;
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** [0, 1): SRV weighted selection. */
  random(): number;
}

export interface DiscoverOptions {
  email: string;
  profile: Profile;
  ldap?: { url: string; bindDN?: string; password?: string };
  site?: string;
  exclude: ReadonlySet<StepMethod>;
  credentials?: { user: string; password: string };
  accept: { redirect: boolean; certificate: boolean };
  timeoutMs: number;
  /** Extra trusted roots (PEM), added to the bundled ones. */
  ca: readonly string[];
}

/** What a step tells the engine to do next. */
export type Next =
  | { kind: 'continue' }
  | { kind: 'settings'; settings: DiscoveredSettings }
  | { kind: 'prompt'; prompt: Prompt }
  /** The lookup ends without settings (an Autodiscover error the client takes as final). */
  | { kind: 'fail' }
  | { kind: 'redirect-url'; url: URL }
  | { kind: 'redirect-addr'; address: string };

export interface StepRun {
  step: Step;
  next: Next;
}

/** One lookup: the steps so far, the redirects used, and what the prefetch started for the walk to take. */
export class Lookup {
  readonly steps: Step[] = [];
  redirects = 0;
  readonly addressesSeen = new Set<string>();
  readonly urlsSeen = new Set<string>();
  readonly #memo = new Map<string, Promise<unknown>>();
  /** Requests sent ahead by the prefetch, by exchangeKey(), until a step takes the answer. */
  readonly #early = new Map<string, Promise<HttpExchangeResult>>();
  /** Memo keys whose time a step has already been charged with: a cached answer costs the next step nothing. */
  readonly #charged = new Set<string>();

  constructor(
    readonly ports: DiscoverPorts,
    readonly options: DiscoverOptions,
  ) {}

  get profile(): Profile {
    return this.options.profile;
  }

  /** Runs `make` once per key: prefetches and the sequential walk share the same DNS answers and handshakes. */
  once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.#memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.#memo.set(key, p);
    }
    return p;
  }

  /** Like once(), for timed work: the first step to use the result is charged its time, later ones nothing. */
  async #timedOnce<T>(key: string, make: () => Promise<T>, charge: boolean): Promise<Timed<T>> {
    const result = await this.once(key, () => timed(this.ports, make));
    if (!charge || this.#charged.has(key)) return { value: result.value, ms: charge ? 0 : result.ms };
    this.#charged.add(key);
    return result;
  }

  /** `charge`: false for a prefetch, so that the step which uses the answer is charged its time. */
  resolve(host: string, charge = true): Promise<Timed<AddressResult>> {
    return this.#timedOnce(`dns:${host}`, () => this.ports.dns.lookupAddresses(host), charge);
  }

  probe(address: string, port: number, host: string, charge = true): Promise<Timed<TlsProbeResult>> {
    return this.#timedOnce(
      `tls:${address}:${port}:${host}`,
      () =>
        this.ports.probeTls({
          address,
          port,
          servername: host,
          host,
          ca: this.options.ca,
          timeoutMs: this.options.timeoutMs,
        }),
      charge,
    );
  }

  /**
   * One HTTP exchange, sent now, unless the prefetch (EngineOptions.prefetchRequests) already sent this very
   * request: then its answer is taken, once. A second identical step sends again, as the real client would.
   */
  exchange(request: HttpExchangeRequest): Promise<HttpExchangeResult> {
    const key = exchangeKey(request);
    const early = key === undefined ? undefined : this.#early.get(key);
    if (early === undefined || key === undefined) return this.ports.exchange(request);
    this.#early.delete(key);
    return early;
  }

  /** Sends an unauthenticated request ahead of the walk (prefetchRequests only); exchange() takes its answer. */
  sendEarly(request: HttpExchangeRequest): void {
    const key = exchangeKey(request);
    if (key === undefined || this.#early.has(key)) return;
    const sent = this.ports.exchange(request);
    sent.catch(() => undefined);
    this.#early.set(key, sent);
  }

  record(step: Step): void {
    this.steps.push(step);
  }
}

/** What makes two requests the same; undefined for one with credentials, which is never sent early. */
function exchangeKey(request: HttpExchangeRequest): string | undefined {
  if (request.headers?.['authorization'] !== undefined) return undefined;
  const tlsMode =
    request.tls?.mode === 'pinned' ? `pinned:${request.tls.fingerprint256}` : (request.tls?.mode ?? 'plain');
  return `${request.method} ${request.url.href} @${request.address} ${tlsMode} ${request.body ?? ''}`;
}

export interface Timed<T> {
  value: T;
  ms: number;
}

export async function timed<T>(ports: Pick<DiscoverPorts, 'now'>, run: () => Promise<T>): Promise<Timed<T>> {
  const start = ports.now();
  const value = await run();
  return { value, ms: Math.round((ports.now() - start) * 10) / 10 };
}

export type { AddressParts };
