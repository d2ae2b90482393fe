/**
 * Runs diagnoses for the web: one client or every client (one after another, as `discover --client all`), each
 * step published as the engine records it, the finished reports stored for the permalink. Limits: a global cap
 * on diagnoses running at once and a per-requester rate limit; the engine's own --timeout and --budget bound each.
 */
import { randomBytes } from 'node:crypto';
import type { AdminStore, StoredDiagnosis } from '../../auth/admin-store.js';
import { RateLimiter } from '../../auth/rate-limit.js';
import { diagnose } from '../../diagnose/diagnose.js';
import { checkAddress } from '../../discover/candidates.js';
import type { DiscoverPorts } from '../../discover/context.js';
import { runDiscovery } from '../../discover/engine.js';
import { PROFILE_NAMES, PROFILES } from '../../discover/profiles.js';
import type { DiscoveryReport, ProfileName, Step } from '../../discover/report.js';
import { type DiagnosisRequest, storableRequest } from './request.js';

export type DiagnosisEvent =
  | { type: 'start'; client: ProfileName }
  | { type: 'step'; client: ProfileName; step: Step }
  | { type: 'report'; client: ProfileName; report: DiscoveryReport }
  | { type: 'done'; id: string }
  | { type: 'error'; message: string };

interface Running {
  events: DiagnosisEvent[];
  listeners: Set<(e: DiagnosisEvent) => void>;
  done: boolean;
}

export interface DiagnosesOptions {
  /** Ports for one diagnosis (DNS servers, TLS, HTTP); the address guard is applied here unless allowPrivate. */
  ports: () => DiscoverPorts;
  ca: readonly string[];
  timeoutMs: number;
  maxConcurrent: number;
  /** Diagnoses each requester may start per window. */
  perRequester: number;
  windowMs: number;
}

export type StartResult =
  | { ok: true; id: string }
  | { ok: false; reason: 'busy' | 'rate-limited' | 'invalid-address'; message: string; retryAfterS?: number };

export class Diagnoses {
  readonly #running = new Map<string, Running>();
  readonly #limiter: RateLimiter;
  #active = 0;

  constructor(
    private readonly store: AdminStore,
    private readonly options: DiagnosesOptions,
  ) {
    this.#limiter = new RateLimiter(options.perRequester, options.windowMs);
  }

  /** Starts a diagnosis; `requester` is the account or, for public ones, the client address. */
  start(request: DiagnosisRequest, requester: string, account: string | null): StartResult {
    const address = checkAddress(request.email);
    if (!address.ok) return { ok: false, reason: 'invalid-address', message: `email: ${address.reason}` };
    if (this.#active >= this.options.maxConcurrent) {
      return {
        ok: false,
        reason: 'busy',
        message: `${this.#active} diagnoses are running, the most this server runs at once; try again in a minute`,
        retryAfterS: 30,
      };
    }
    const wait = this.#limiter.hit(requester);
    if (wait > 0) {
      return {
        ok: false,
        reason: 'rate-limited',
        message: `too many diagnoses from you; try again in ${wait} s`,
        retryAfterS: wait,
      };
    }
    const id = randomBytes(16).toString('base64url');
    const running: Running = { events: [], listeners: new Set(), done: false };
    this.#running.set(id, running);
    this.#active++;
    this.#run(id, request, account, running)
      .catch((err: unknown) => this.#publish(running, { type: 'error', message: (err as Error).message }))
      .finally(() => {
        this.#active--;
        running.done = true;
        running.listeners.clear();
        // Late subscribers read the stored report; the events are kept a minute for those already connecting.
        setTimeout(() => this.#running.delete(id), 60_000).unref();
      });
    return { ok: true, id };
  }

  #publish(running: Running, event: DiagnosisEvent): void {
    running.events.push(event);
    for (const listener of running.listeners) listener(event);
  }

  async #run(id: string, request: DiagnosisRequest, account: string | null, running: Running): Promise<void> {
    const clients = request.client === 'all' ? PROFILE_NAMES : [request.client];
    const reports: DiscoveryReport[] = [];
    for (const client of clients) {
      this.#publish(running, { type: 'start', client });
      const report = await runDiscovery(
        {
          email: request.email,
          profile: PROFILES[client],
          exclude: new Set(request.exclude),
          accept: {
            redirect: request.accept.includes('redirect'),
            certificate: request.accept.includes('certificate'),
          },
          timeoutMs: this.options.timeoutMs,
          ca: this.options.ca,
          ...(request.site ? { site: request.site } : {}),
          ...(request.user && request.password
            ? { credentials: { user: request.user, password: request.password } }
            : {}),
          onStep: (step) => this.#publish(running, { type: 'step', client, step }),
        },
        this.options.ports(),
      );
      report.findings = diagnose(report);
      reports.push(report);
      this.#publish(running, { type: 'report', client, report });
    }
    const stored: StoredDiagnosis = {
      id,
      createdAt: new Date().toISOString(),
      account,
      request: storableRequest(request),
      reports,
    };
    await this.store.saveDiagnosis(stored);
    this.#publish(running, { type: 'done', id });
  }

  /** Replays the events so far to `listener`, then each new one; returns the unsubscribe, or undefined if not running. */
  subscribe(id: string, listener: (e: DiagnosisEvent) => void): { unsubscribe: () => void; done: boolean } | undefined {
    const running = this.#running.get(id);
    if (!running) return undefined;
    for (const e of running.events) listener(e);
    if (running.done) return { unsubscribe: () => undefined, done: true };
    running.listeners.add(listener);
    return { unsubscribe: () => running.listeners.delete(listener), done: false };
  }

  isRunning(id: string): boolean {
    const r = this.#running.get(id);
    return r !== undefined && !r.done;
  }

  find(id: string): Promise<StoredDiagnosis | undefined> {
    return this.store.findDiagnosis(id);
  }

  get active(): number {
    return this.#active;
  }
}
