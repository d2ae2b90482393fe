/**
 * `serve --workers N`: N processes (node:cluster) share the listeners; the primary serves no request itself.
 * It starts the workers (the first alone, so a listener that cannot start fails once, not N times), replaces one
 * that dies (after a delay that doubles while replacements keep dying young, logged), passes SIGHUP on to every
 * worker (each reloads its certificate), and on SIGTERM or SIGINT asks every worker to drain (answer what is in
 * flight, then exit 0) before it exits 0 itself. Prometheus counters are summed over the workers on the
 * primary's --metrics listener.
 */
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import { AggregatorRegistry } from 'prom-client';
import type { RunningServer } from './listen.js';
import type { ServerMetrics } from './metrics.js';

type Urls = RunningServer['urls'];
/** Messages between the primary and its workers (prom-client's own ride on the same channel). */
type ToPrimary = { autodisco: 'listening'; urls: Urls };
type ToWorker = { autodisco: 'reload' } | { autodisco: 'shutdown' };

const isOurs = (m: unknown): m is { autodisco: string } =>
  typeof m === 'object' && m !== null && typeof (m as { autodisco?: unknown }).autodisco === 'string';

export interface SupervisorOptions {
  workers: number;
  logger: FastifyBaseLogger;
  /** First delay before a dead worker is replaced; it doubles for each worker that died young, up to maxMs. */
  restartDelay?: { firstMs: number; maxMs: number };
  /** A worker that ran this long died of something new: the delay starts again from firstMs. */
  healthyAfterMs?: number;
  /** How long a drain may take before the workers still running are killed. */
  drainTimeoutMs?: number;
}

export class ClusterSupervisor {
  readonly #options: Required<SupervisorOptions>;
  readonly #started = new Map<Worker, number>();
  #stopping = false;
  #youngDeaths = 0;
  #replacements = new Set<NodeJS.Timeout>();

  constructor(options: SupervisorOptions) {
    this.#options = {
      restartDelay: { firstMs: 100, maxMs: 10_000 },
      healthyAfterMs: 10_000,
      drainTimeoutMs: 30_000,
      ...options,
    };
  }

  /** Starts the workers; resolves with the listeners' URLs once every worker listens. */
  async start(): Promise<Urls> {
    cluster.on('exit', (worker, code, signal) => this.#exited(worker, code, signal));
    const urls = await this.#fork();
    await Promise.all(Array.from({ length: this.#options.workers - 1 }, () => this.#fork()));
    return urls;
  }

  /** A new worker; resolves when it listens, rejects (with its exit status) when it exits first. */
  #fork(): Promise<Urls> {
    const worker = cluster.fork();
    this.#started.set(worker, Date.now());
    return new Promise((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if (!isOurs(message) || message.autodisco !== 'listening') return;
        worker.off('exit', onExit);
        worker.off('message', onMessage);
        resolve((message as ToPrimary).urls);
      };
      const onExit = (code: number | null, signal: string | null) => {
        worker.off('message', onMessage);
        this.#started.delete(worker);
        reject(new WorkerStartFailed(code ?? 1, signal));
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
  }

  #exited(worker: Worker, code: number | null, signal: string | null): void {
    const startedAt = this.#started.get(worker);
    if (startedAt === undefined) return; // died while starting: #fork's caller handles it
    this.#started.delete(worker);
    if (this.#stopping) return;
    const lived = Date.now() - startedAt;
    this.#youngDeaths = lived < this.#options.healthyAfterMs ? this.#youngDeaths + 1 : 0;
    const { firstMs, maxMs } = this.#options.restartDelay;
    const delay = Math.min(maxMs, firstMs * 2 ** Math.max(0, this.#youngDeaths - 1));
    this.#options.logger.warn(
      { pid: worker.process.pid, code, signal, livedMs: lived, restartInMs: delay },
      `worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting a replacement in ${delay} ms`,
    );
    const timer = setTimeout(() => {
      this.#replacements.delete(timer);
      if (this.#stopping) return;
      this.#fork().then(
        () => this.#options.logger.info({ workers: this.#started.size }, 'replacement worker listening'),
        (err: unknown) => this.#exitedWhileStarting(err),
      );
    }, delay);
    this.#replacements.add(timer);
  }

  #exitedWhileStarting(err: unknown): void {
    if (this.#stopping) return;
    // Counted as a young death, and tried again later: the cause (a full disk, a store being replaced) may pass.
    this.#options.logger.error({ err }, 'a replacement worker exited before it listened');
    this.#youngDeaths++;
    const delay = Math.min(
      this.#options.restartDelay.maxMs,
      this.#options.restartDelay.firstMs * 2 ** this.#youngDeaths,
    );
    const timer = setTimeout(() => {
      this.#replacements.delete(timer);
      if (!this.#stopping) this.#fork().catch((e: unknown) => this.#exitedWhileStarting(e));
    }, delay);
    this.#replacements.add(timer);
  }

  /** SIGHUP: every worker re-reads the certificate and key (each logs the outcome). */
  reload(): void {
    for (const worker of this.#started.keys()) send(worker, { autodisco: 'reload' });
  }

  /** SIGTERM: every worker drains and exits; workers still running after the drain timeout are killed. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#replacements) clearTimeout(timer);
    const workers = [...this.#started.keys()].filter((w) => !w.isDead());
    const exits = workers.map((w) => once(w, 'exit'));
    for (const worker of workers) send(worker, { autodisco: 'shutdown' });
    const timer = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, this.#options.drainTimeoutMs);
    await Promise.all(exits);
    clearTimeout(timer);
  }
}

export class WorkerStartFailed extends Error {
  constructor(
    readonly code: number,
    readonly signal: string | null,
  ) {
    super(`a worker exited before it listened (${signal ?? `code ${code}`})`);
  }
}

function send(worker: Worker, message: ToWorker): void {
  try {
    worker.send(message);
  } catch {
    // The worker is already gone: its exit is handled by the exit listener.
  }
}

/** The primary's /metrics: every worker's counters, summed (prom-client asks each worker over the IPC channel). */
export function clusterMetricsSource(): { contentType: string; metrics(): Promise<string> } {
  const registry = new AggregatorRegistry();
  return { contentType: registry.contentType, metrics: () => registry.clusterMetrics() };
}

/**
 * In a worker: tell the primary where it listens, answer its metrics requests from this worker's registry, and
 * obey its reload and shutdown messages. Ctrl-C reaches every process of the terminal's group: a worker leaves
 * SIGINT to the primary, which drains them all. SIGTERM sent to a worker itself drains that worker.
 */
export function serveAsWorker(
  running: RunningServer,
  metrics: ServerMetrics,
  logger: FastifyBaseLogger,
  shutdown: () => Promise<void>,
): void {
  new AggregatorRegistry(); // installs prom-client's worker side of the metrics request
  AggregatorRegistry.setRegistries([metrics.registry]);
  process.on('message', (message: unknown) => {
    if (!isOurs(message)) return;
    if (message.autodisco === 'reload') {
      running.reloadCertificate().catch((err: unknown) => {
        logger.error({ err }, 'TLS certificate reload failed; the previous certificate stays in use');
      });
    } else if (message.autodisco === 'shutdown') {
      void shutdown();
    }
  });
  process.on('SIGINT', () => {});
  process.once('SIGTERM', () => void shutdown());
  process.send?.({ autodisco: 'listening', urls: running.urls } satisfies ToPrimary);
}

export const isClusterWorker = () => cluster.isWorker;
