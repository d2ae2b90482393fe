/**
 * Runs diagnoses for the web: one client or every client (one after another, as `discover --client all`), each
 * step published as the engine records it, the finished reports stored for the permalink.
 *
 * With `serve --workers N` the browser's requests land on any worker: the one that starts a diagnosis runs it, and
 * the events request may reach another. So every event is also written to the admin store as it comes (in order,
 * one after another), and a worker that does not run the diagnosis follows it from there (followStored, a poll).
 * The limits live in the store too (AdminStore.startRun): the global cap on diagnoses running at once and the
 * per-requester rate limit hold for every worker and instance sharing the database, not per process.
 */
import { randomBytes } from 'node:crypto';
import type { AdminStore, StoredDiagnosis } from '../../auth/admin-store.js';
import { secretHash } from '../../auth/secrets.js';
import { diagnose } from '../../diagnose/diagnose.js';
import { checkAddress } from '../../discover/candidates.js';
import type { DiscoverPorts } from '../../discover/context.js';
import { runDiscovery } from '../../discover/engine.js';
import { PROFILE_NAMES, PROFILES } from '../../discover/profiles.js';
import type { DiscoveryReport, ProfileName, Step } from '../../discover/report.js';
import { type DiagnosisRequest, storableRequest } from './request.js';

/**
 * A running diagnosis that has written nothing for this long is dead (its worker was killed): it stops counting
 * against the cap and its followers are told. Each network step has its own deadline (10 s by default), so a
 * live diagnosis is never silent this long.
 */
export const STALE_MS = 60_000;
/** How often a follower in another worker looks for new events. */
const POLL_MS = 200;

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
  /** The events written to the store so far, one after another: the next write waits for this one. */
  persisted: Promise<void>;
}

export interface DiagnosesOptions {
  /** Ports for one diagnosis (DNS servers, TLS, HTTP); the address guard is applied here unless allowPrivate. */
  ports: () => DiscoverPorts;
  ca: readonly string[];
  /** The domain controller of `serve --diagnose-ldap`: Outlook's SCP step searches it (with the request's site). */
  ldap?: { url: string; bindDN?: string; password?: string };
  timeoutMs: number;
  maxConcurrent: number;
  /** Diagnoses each requester may start per window. */
  perRequester: number;
  windowMs: number;
  /** Told when an event cannot be written to the store (followers in other workers then miss it). */
  onStoreError?: (err: unknown) => void;
  /** For tests: how often a follower polls the store (default 200 ms). */
  pollMs?: number;
}

export type StartResult =
  | { ok: true; id: string }
  | { ok: false; reason: 'busy' | 'rate-limited' | 'invalid-address'; message: string; retryAfterS?: number };

export class Diagnoses {
  readonly #running = new Map<string, Running>();
  #active = 0;

  constructor(
    private readonly store: AdminStore,
    private readonly options: DiagnosesOptions,
  ) {}

  /** Starts a diagnosis; `requester` is the account or, for public ones, the client address. */
  async start(request: DiagnosisRequest, requester: string, account: string | null): Promise<StartResult> {
    const address = checkAddress(request.email);
    if (!address.ok) return { ok: false, reason: 'invalid-address', message: `email: ${address.reason}` };
    const id = randomBytes(16).toString('base64url');
    const claim = await this.store.startRun(
      { id, requesterHash: secretHash(requester), at: new Date() },
      {
        maxRunning: this.options.maxConcurrent,
        perRequester: this.options.perRequester,
        windowMs: this.options.windowMs,
        staleMs: STALE_MS,
      },
    );
    if (!claim.ok && claim.reason === 'busy') {
      return {
        ok: false,
        reason: 'busy',
        message: `${claim.running} diagnoses are running, the most this server runs at once; try again in a minute`,
        retryAfterS: 30,
      };
    }
    if (!claim.ok) {
      return {
        ok: false,
        reason: 'rate-limited',
        message: `too many diagnoses from you; try again in ${claim.retryAfterS} s`,
        retryAfterS: claim.retryAfterS,
      };
    }
    const running: Running = { events: [], listeners: new Set(), done: false, persisted: Promise.resolve() };
    this.#running.set(id, running);
    this.#active++;
    this.#run(id, request, account, running)
      .catch((err: unknown) => this.#publish(id, running, { type: 'error', message: (err as Error).message }))
      .finally(async () => {
        this.#active--;
        running.done = true;
        running.listeners.clear();
        // After its last event is written: followers elsewhere read every event, then see it finished.
        await running.persisted;
        await this.store.finishRun(id, new Date()).catch((err: unknown) => this.options.onStoreError?.(err));
        // Late subscribers read the stored report; the events are kept a minute for those already connecting.
        setTimeout(() => this.#running.delete(id), 60_000).unref();
      });
    return { ok: true, id };
  }

  #publish(id: string, running: Running, event: DiagnosisEvent): void {
    running.events.push(event);
    const seq = running.events.length;
    running.persisted = running.persisted.then(() =>
      this.store.appendRunEvent(id, seq, event, new Date()).catch((err: unknown) => this.options.onStoreError?.(err)),
    );
    for (const listener of running.listeners) listener(event);
  }

  async #run(id: string, request: DiagnosisRequest, account: string | null, running: Running): Promise<void> {
    const clients = request.client === 'all' ? PROFILE_NAMES : [request.client];
    const reports: DiscoveryReport[] = [];
    for (const client of clients) {
      this.#publish(id, running, { type: 'start', client });
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
          ...(this.options.ldap ? { ldap: this.options.ldap } : {}),
          ...(request.site ? { site: request.site } : {}),
          ...(request.user && request.password
            ? { credentials: { user: request.user, password: request.password } }
            : {}),
          onStep: (step) => this.#publish(id, running, { type: 'step', client, step }),
        },
        this.options.ports(),
      );
      report.findings = diagnose(report);
      reports.push(report);
      this.#publish(id, running, { type: 'report', client, report });
    }
    const stored: StoredDiagnosis = {
      id,
      createdAt: new Date().toISOString(),
      account,
      request: storableRequest(request),
      reports,
    };
    await this.store.saveDiagnosis(stored);
    this.#publish(id, running, { type: 'done', id });
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

  /**
   * Follows a diagnosis another worker (or instance) runs, from the events it writes to the store: replays them,
   * then polls for new ones until it finishes, falls silent for STALE_MS, or `closed()` says the client left.
   * Resolves false (nothing sent) when the store knows no such run.
   */
  async followStored(id: string, listener: (e: DiagnosisEvent) => void, closed: () => boolean): Promise<boolean> {
    let seq = 0;
    let first = true;
    for (;;) {
      const run = await this.store.runEvents(id, seq);
      if (!run) return !first;
      first = false;
      for (const { seq: n, event } of run.events) {
        seq = n;
        listener(event as DiagnosisEvent);
      }
      const last = run.events.at(-1)?.event as DiagnosisEvent | undefined;
      if (last?.type === 'done' || last?.type === 'error') return true;
      if (run.finished) {
        // Finished, its last events possibly not written (the store was away meanwhile): say so, not hang.
        listener({
          type: 'error',
          message: 'the diagnosis ended, but its last events were not recorded; reload the page',
        });
        return true;
      }
      if (Date.now() - Date.parse(run.updatedAt) > STALE_MS) {
        listener({
          type: 'error',
          message: `the server process running this diagnosis stopped (no news for ${STALE_MS / 1000} s); start it again`,
        });
        return true;
      }
      if (closed()) return true;
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? POLL_MS));
      if (closed()) return true;
    }
  }

  /** Whether the diagnosis is running, here or in another worker. */
  async isRunning(id: string): Promise<boolean> {
    const r = this.#running.get(id);
    if (r) return !r.done;
    // After the largest sequence number a store keeps (an int4 in PostgreSQL): the state, no events.
    const run = await this.store.runEvents(id, 2 ** 31 - 1);
    return run !== undefined && !run.finished && Date.now() - Date.parse(run.updatedAt) <= STALE_MS;
  }

  find(id: string): Promise<StoredDiagnosis | undefined> {
    return this.store.findDiagnosis(id);
  }

  get active(): number {
    return this.#active;
  }
}
