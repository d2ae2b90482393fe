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

/** Why a lookup's early requests are abandoned: the lookup is over (see Lookup.end). */
const LOOKUP_OVER = Object.freeze({ name: 'AbortError', message: 'the lookup is over' });

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
  /** The deadline of each network step as a whole (DNS has its own, of the same length). */
  timeoutMs: number;
  /** The whole lookup's budget (default: defaultBudgetMs()): once spent, no further step starts. */
  budgetMs?: number;
  /** Extra trusted roots (PEM), added to the bundled ones. */
  ca: readonly string[];
  /** Observer: called with each step as it is recorded (live views such as the web UI's timeline). */
  onStep?: (step: Step) => void;
}

/** What a step tells the engine to do next. */
export type Next =
  | { kind: 'continue' }
  | { kind: 'settings'; settings: DiscoveredSettings }
  | { kind: 'prompt'; prompt: Prompt }
  /** The lookup ends without settings (an Autodiscover error the client takes as final). */
  | { kind: 'fail' }
  | { kind: 'redirect-url'; url: URL }
  | { kind: 'redirect-addr'; address: string }
  /**
   * The client gives up on the SOAP part of its lookup (an EWS application, profiles.ts): the remaining SOAP steps
   * are not taken; its POX lookup follows.
   */
  | { kind: 'soap-fallback' };

export interface StepRun {
  step: Step;
  next: Next;
}

/**
 * The default --budget: every step of the profile's plan may use its whole --timeout once, plus two more for the
 * redirects or SRV targets a lookup follows. A lookup where every candidate hangs still reports each of them,
 * while 1,000 hanging SRV targets or a chain of slow redirects cannot keep it running for hours.
 */
export function defaultBudgetMs(profile: Profile, timeoutMs: number): number {
  return (profile.plan.length + 2) * timeoutMs;
}

/** What limits a network step that starts now: its own --timeout, or what is left of the lookup's --budget. */
export interface StepLimit {
  ms: number;
  by: 'timeout' | 'budget';
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

  readonly started: number;
  readonly budgetMs: number;

  constructor(
    readonly ports: DiscoverPorts,
    readonly options: DiscoverOptions,
  ) {
    this.started = ports.now();
    this.budgetMs = options.budgetMs ?? defaultBudgetMs(options.profile, options.timeoutMs);
  }

  /** Set once a step was cut short by the budget, so that the stop is explained by a step already. */
  budgetReported = false;

  /** A step's wait was ended by the budget's deadline (see budgetCut). */
  #cutByBudget = false;

  /**
   * Says that a wait bounded by the budget ran out: the budget is spent from here on, even if the clock says a
   * millisecond is left (a timer fires by the event loop's cached time and limits are whole milliseconds, so the
   * clock can lag the timer; a step started in that millisecond would run after the budget's stop was reported).
   */
  budgetCut(): void {
    this.#cutByBudget = true;
    // The step cut short says why the lookup stops: no separate "not tried" step is needed for it.
    this.budgetReported = true;
  }

  /** Milliseconds left of the lookup's budget (0 or less: spent). */
  budgetLeft(): number {
    if (this.#cutByBudget) return 0;
    return this.budgetMs - (this.ports.now() - this.started);
  }

  /** The limit of a step that started at `since` (ports.now()): its --timeout, cut short by the budget. */
  limit(since: number): StepLimit {
    const own = this.options.timeoutMs - (this.ports.now() - since);
    const left = this.budgetLeft();
    return left < own
      ? { ms: Math.max(0, Math.floor(left)), by: 'budget' }
      : { ms: Math.max(0, Math.floor(own)), by: 'timeout' };
  }

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
    return this.#timedOnce(`dns:${host}`, () => this.#withinBudget(host, this.ports.dns.lookupAddresses(host)), charge);
  }

  /** After the lookup (service checks): the resolver's own --timeout only, not the lookup's budget. */
  resolveAfter(host: string): Promise<Timed<AddressResult>> {
    return this.#timedOnce(`dns:${host}`, () => this.ports.dns.lookupAddresses(host), true);
  }

  /** A DNS answer, or a timeout once the budget is spent (the resolver keeps its own --timeout). */
  async #withinBudget(name: string, answer: Promise<AddressResult>): Promise<AddressResult> {
    let timer: NodeJS.Timeout | undefined;
    const left = Math.max(0, this.budgetLeft());
    const spent = new Promise<AddressResult>((resolve) => {
      timer = setTimeout(() => {
        this.budgetCut();
        resolve({
          name,
          status: 'error',
          code: 'ETIMEOUT',
          message: `${name}: no address before the lookup's --budget of ${this.budgetMs} ms ran out`,
        });
      }, left);
    });
    try {
      return await Promise.race([answer, spent]);
    } finally {
      clearTimeout(timer);
    }
  }

  probe(
    address: string,
    port: number,
    host: string,
    charge = true,
    timeoutMs = this.options.timeoutMs,
  ): Promise<Timed<TlsProbeResult>> {
    return this.#timedOnce(
      `tls:${address}:${port}:${host}`,
      () =>
        this.ports.probeTls({
          address,
          port,
          servername: host,
          host,
          ca: this.options.ca,
          timeoutMs: Math.max(1, timeoutMs),
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
    if (key === undefined || this.#early.has(key) || this.#over.signal.aborted) return;
    const sent = this.ports.exchange({ ...request, signal: this.#over.signal });
    sent.catch(() => undefined);
    this.#early.set(key, sent);
  }

  /** Aborted when the lookup is over: requests sent early that no step took are abandoned then. */
  readonly #over = new AbortController();

  /** The lookup is over: early requests still running are closed now, not at their deadline. */
  end(): void {
    this.#early.clear();
    // A reason made once: abort() without one builds a DOMException with its stack for every lookup (1.3% of an
    // audit's CPU), and nothing reads it (http.ts answers ECANCELED).
    this.#over.abort(LOOKUP_OVER);
  }

  record(step: Step): void {
    this.steps.push(step);
    this.options.onStep?.(step);
  }

  /**
   * Whether the lookup's --budget is spent: then no further step starts. When no step was cut short by it (the
   * last one ended just in time), a `timeout` step for `method` says why the lookup stops here.
   */
  budgetSpent(
    method: StepMethod,
    email: string,
    host: string,
    round: number,
    record = (s: Step) => this.record(s),
  ): boolean {
    if (this.budgetLeft() > 0) return false;
    if (!this.budgetReported) {
      this.budgetReported = true;
      record({
        method,
        email,
        host,
        addresses: [],
        result: 'timeout',
        status: null,
        redirectTo: null,
        detail: `Not tried: the lookup's --budget of ${this.budgetMs} ms is spent.`,
        ms: 0,
        round,
      });
    }
    return true;
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
