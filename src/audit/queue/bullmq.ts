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
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { DiscoveryReport } from '../../discover/report.js';
import { AutodiscoError } from '../../errors.js';
import type { AuditJob } from '../run.js';

export const AUDIT_QUEUE_NAME = 'autodisco-audit';
export const JOB_ATTEMPTS = 3;
/** Completed jobs (with their reports: a few KB per address and client) stay this long, for --queue-run. */
const KEEP_COMPLETED_S = 24 * 3600;

/** redis://[user:password@]HOST:PORT[/DB] or rediss://… (TLS); throws the reason in words. */
export function redisConnection(raw: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('expected redis://HOST:PORT (or rediss:// for TLS)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('expected redis://HOST:PORT');
  if (url.hostname === '') throw new Error('the host is missing: expected redis://HOST:PORT');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new Error(`database "${db}": expected a number such as /0`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(url.username !== '' ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password !== '' ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis: a command must wait for a reconnection rather than fail after N retries.
    maxRetriesPerRequest: null,
  };
}

/**
 * A client of its own for each BullMQ object (queues, events and workers block on their connections). BullMQ 6
 * loads no Redis client by itself under native ESM: it is given one, and whoever creates it quits it.
 */
export function redisClient(options: RedisOptions): Redis {
  return new Redis(options);
}

/** The queue URL as it may be printed: without the password. */
export function printableQueueUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password !== '') url.password = '***';
  return url.toString();
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

/** A job that failed JOB_ATTEMPTS times: it stays in the failed set of the queue. */
export class DeadLetterError extends Error {}

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
    // One pair of listeners per job in flight: many thousands is expected, not a leak.
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

  async run(
    jobs: readonly AuditJob[],
    onResult: (job: AuditJob, reports: DiscoveryReport[]) => void,
    onError: (job: AuditJob, error: unknown) => void,
  ): Promise<void> {
    this.#left = jobs.length;
    const stopped = new Promise<void>((resolve) => {
      this.#stop = resolve;
    });
    await this.#events.waitUntilReady();
    const added: Job<AuditJob, DiscoveryReport[]>[] = [];
    // addBulk in slices: one Redis round trip per slice, not per address.
    for (let i = 0; i < jobs.length && !this.#stopped; i += 500) {
      const slice = jobs.slice(i, i + 500).map((job) => ({
        name: 'address',
        data: (this.#results ? { ...job, results: this.#results } : job) as QueuedAuditJob,
        opts: {
          jobId: jobIdOf(this.runKey, job.target.email),
          attempts: JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { age: KEEP_COMPLETED_S },
          removeOnFail: false,
        },
      }));
      added.push(...(await this.#queue.addBulk(slice)));
    }
    const waits = added.map(async (job, index) => {
      const data = jobs[index] as AuditJob;
      try {
        const reports = (await job.waitUntilFinished(this.#events)) as DiscoveryReport[] | string;
        if (this.#stopped) return;
        onResult(data, typeof reports === 'string' ? JSON.parse(reports) : reports);
      } catch (error) {
        if (this.#stopped) return;
        const reason = error instanceof Error ? error.message : String(error);
        onError(
          data,
          new DeadLetterError(
            `failed ${JOB_ATTEMPTS} times on the workers (${reason}); job ${job.id} stays in the failed set of queue ${AUDIT_QUEUE_NAME}`,
          ),
        );
      } finally {
        this.#left--;
      }
    });
    await Promise.race([Promise.all(waits), stopped]);
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
