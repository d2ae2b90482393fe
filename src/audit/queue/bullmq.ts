/**
 * The WorkQueue's second adapter: a job queue on Redis (BullMQ). `audit --queue` enqueues one job per address and
 * waits for each job's return value, the diagnosed reports, which it writes and stores exactly as an in-process
 * run does; `worker --queue` runs the jobs, on any number of machines. The results travel back through the job's
 * return value rather than a shared results store: the audit that enqueued stays the only writer of its outputs
 * and of its --db, which then needs not be reachable from the workers.
 *
 * With a shared results store (PostgreSQL: `audit --db postgres://…` and `worker --db postgres://…` on the same
 * database), each job also names that store's id and the run: a worker whose --db is that store records the
 * results there itself, so they land even if the audit is gone; the audit records them too, and the store keeps
 * one result per run, address and client whoever comes first (a retried job is not stored twice).
 *
 * A job is tried 3 times (exponential backoff from 1 s); one that keeps failing stays in the queue's failed set
 * (the dead-letter list) and the audit names its address. A worker killed outright leaves its jobs locked: once
 * the lock expires, BullMQ's stalled-job check of any other worker puts them back in the queue.
 */
import { createHash } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { DiscoveryReport } from '../../discover/report.js';
import { AutodiscoError } from '../../errors.js';
import type { AuditJob } from '../run.js';
import { DeadLetterError } from './redis-url.js';

export const AUDIT_QUEUE_NAME = 'autodisco-audit';
export const JOB_ATTEMPTS = 3;
/** Completed jobs (with their reports: a few KB per address and client) stay this long, for --queue-run. */
const KEEP_COMPLETED_S = 24 * 3600;

/**
 * A client of its own for each BullMQ object (queues, events and workers block on their connections). BullMQ 6
 * loads no Redis client by itself under native ESM: it is given one, and whoever creates it quits it.
 */
export function redisClient(options: RedisOptions): Redis {
  return new Redis(options);
}

/**
 * Job ids: the run and a digest of the address, so that enqueuing the same address twice in one run adds
 * nothing, and no address appears in Redis key names. (BullMQ forbids ':' in custom ids.)
 */
export function jobIdOf(runKey: string, email: string): string {
  return `${runKey}.${createHash('sha256').update(email).digest('hex').slice(0, 32)}`;
}

/** An audit job as queued: the address and clients, and the shared results store of its run, if any. */
export interface QueuedAuditJob extends AuditJob {
  results?: { store: string; runId: number };
}

export class BullmqAuditQueue {
  readonly #queue: Queue<AuditJob, DiscoveryReport[]>;
  readonly #events: QueueEvents;
  readonly #clients: Redis[];
  #left = 0;
  #stopped = false;
  #stop: () => void = () => undefined;
  #results: QueuedAuditJob['results'];

  constructor(
    connection: RedisOptions,
    readonly runKey: string,
  ) {
    this.#clients = [redisClient(connection), redisClient(connection)];
    this.#queue = new Queue(AUDIT_QUEUE_NAME, { connection: this.#clients[0] as Redis });
    this.#events = new QueueEvents(AUDIT_QUEUE_NAME, { connection: this.#clients[1] as Redis });
    // run() listens with one pair of listeners for all its jobs; BullMQ's own may add a few.
    this.#events.setMaxListeners(0);
    this.#queue.setMaxListeners(0);
  }

  get pending(): number {
    return this.#left;
  }

  /** Fails with one line when Redis does not answer within `timeoutMs` (ioredis would retry forever). */
  async connect(where: string, timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AutodiscoError(
              'ADK_ERR_QUEUE_UNREACHABLE',
              `--queue ${where}: Redis did not answer within ${timeoutMs / 1000} s`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.#queue.waitUntilReady().then(() => this.#queue.getJobCounts('wait')), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  storeResultsIn(store: { id: string; runId: number }): void {
    this.#results = { store: store.id, runId: store.runId };
  }

  /** The audit stops waiting; its jobs stay queued (the workers go on; --queue-run picks their results up). */
  stop(): void {
    this.#stopped = true;
    this.#stop();
  }

  /**
   * Enqueues the jobs and reports each one's result as it finishes. The process keeps no BullMQ Job per address:
   * the jobs in flight are a map from job id to the audit's own job, settled by one pair of listeners on the
   * queue's events (a Job object and two listeners per address made memory grow with the run).
   */
  async run(
    jobs: readonly AuditJob[],
    onResult: (job: AuditJob, reports: DiscoveryReport[]) => void,
    onError: (job: AuditJob, error: unknown) => void,
  ): Promise<void> {
    this.#left = jobs.length;
    const stopped = new Promise<void>((resolve) => {
      this.#stop = resolve;
    });
    // Job id → the audit's jobs waiting for it (one address listed twice is one job, reported twice).
    const waiting = new Map<string, AuditJob[]>();
    let enqueued = false;
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const finish = (jobId: string, outcome: { reports: unknown } | { reason: string }) => {
      const mine = waiting.get(jobId);
      if (mine === undefined) return; // another run's job, or settled already (an event and the state check)
      waiting.delete(jobId);
      for (const data of mine) {
        this.#left--;
        if (this.#stopped) continue;
        if ('reports' in outcome) {
          const reports = outcome.reports;
          onResult(data, (typeof reports === 'string' ? JSON.parse(reports) : reports) as DiscoveryReport[]);
        } else {
          onError(
            data,
            new DeadLetterError(
              `failed ${JOB_ATTEMPTS} times on the workers (${outcome.reason}); job ${jobId} stays in the failed set of queue ${AUDIT_QUEUE_NAME}`,
            ),
          );
        }
      }
      if (enqueued && waiting.size === 0) settle();
    };
    // 'failed' comes once a job has used all its attempts (a retry is another event).
    const onCompleted = (args: { jobId: string; returnvalue: unknown }) =>
      finish(args.jobId, { reports: args.returnvalue });
    const onFailed = (args: { jobId: string; failedReason: string }) =>
      finish(args.jobId, { reason: args.failedReason });
    this.#events.on('completed', onCompleted);
    this.#events.on('failed', onFailed);
    try {
      // Listening before anything is added: no event of these jobs can be missed.
      await this.#events.waitUntilReady();
      // addBulk in slices: one Redis round trip per slice, not per address.
      for (let i = 0; i < jobs.length && !this.#stopped; i += 500) {
        const slice = jobs.slice(i, i + 500);
        const ids = slice.map((job) => jobIdOf(this.runKey, job.target.email));
        slice.forEach((job, k) => {
          const id = ids[k] as string;
          const list = waiting.get(id);
          if (list) list.push(job);
          else waiting.set(id, [job]);
        });
        await this.#queue.addBulk(
          slice.map((job, k) => ({
            name: 'address',
            data: (this.#results ? { ...job, results: this.#results } : job) as QueuedAuditJob,
            opts: {
              jobId: ids[k] as string,
              attempts: JOB_ATTEMPTS,
              backoff: { type: 'exponential', delay: 1000 },
              removeOnComplete: { age: KEEP_COMPLETED_S },
              removeOnFail: false,
            },
          })),
        );
        // A job of the same run may have finished before (--queue-run, or a run started again): BullMQ keeps it
        // rather than adding it again, and no event will come for it.
        await Promise.all([...new Set(ids)].map((id) => this.#settleIfFinished(id, finish)));
      }
      enqueued = true;
      if (waiting.size === 0) settle();
      await Promise.race([settled, stopped]);
    } finally {
      this.#events.off('completed', onCompleted);
      this.#events.off('failed', onFailed);
    }
  }

  /** Settles a job that is already completed or failed (its events are in the past). */
  async #settleIfFinished(
    id: string,
    finish: (jobId: string, outcome: { reports: unknown } | { reason: string }) => void,
  ): Promise<void> {
    const state = await this.#queue.getJobState(id);
    if (state !== 'completed' && state !== 'failed') return;
    const job = await this.#queue.getJob(id);
    if (!job) return;
    if (state === 'completed') finish(id, { reports: job.returnvalue });
    else finish(id, { reason: job.failedReason });
  }

  /** `unreachable`: Redis never answered; drop our connections rather than wait for them. */
  async close(unreachable = false): Promise<void> {
    if (unreachable) {
      for (const client of this.#clients) client.disconnect();
      return;
    }
    await this.#events.close();
    await this.#queue.close();
    await Promise.allSettled(this.#clients.map((client) => client.quit()));
  }
}

export interface AuditWorkerOptions {
  concurrency: number;
  /** How long a worker's lock on a job lasts without renewal (a killed worker's jobs come back after it). */
  lockDurationMs: number;
  /** How often workers look for jobs whose lock expired. */
  stalledIntervalMs: number;
}

/** A BullMQ worker running `run` for each job; its return value is the job's result. Quit `client` after close(). */
export function startAuditWorker(
  client: Redis,
  run: (job: QueuedAuditJob) => Promise<DiscoveryReport[]>,
  options: AuditWorkerOptions,
): Worker<QueuedAuditJob, DiscoveryReport[]> {
  return new Worker<QueuedAuditJob, DiscoveryReport[]>(AUDIT_QUEUE_NAME, (job) => run(job.data), {
    connection: client,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    // A job whose worker vanished is retried; one that stalls twice more is failed (it may be what kills workers).
    maxStalledCount: 2,
  });
}
