/**
 * Where an audit's jobs wait and who runs them. The in-process queue below is the default (nothing to install);
 * a job queue on Redis (BullMQ, queue/bullmq.ts) is the remote kind: its `run` enqueues the jobs and hands back
 * each job's result while workers on other machines execute them.
 */

export interface WorkQueue<J> {
  /**
   * Runs `handler` for every job, at most the queue's concurrency at a time. Resolves when every job has been
   * handled, or, after stop(), when the jobs already started have finished. A handler that throws fails that
   * job only: the error goes to `onError` and the others go on.
   */
  run(handler: (job: J) => Promise<void>, onError: (job: J, error: unknown) => void): Promise<void>;
  /** No further job starts; jobs in flight finish. */
  stop(): void;
  /** Jobs not yet started. */
  readonly pending: number;
}

/** Jobs from an array (or any iterable, taken lazily), run by `concurrency` loops in this process. */
export class InProcessQueue<J> implements WorkQueue<J> {
  readonly #jobs: Iterator<J>;
  #stopped = false;
  #left: number;

  constructor(
    jobs: Iterable<J>,
    readonly concurrency: number,
    total = Array.isArray(jobs) ? jobs.length : 0,
  ) {
    this.#jobs = jobs[Symbol.iterator]();
    this.#left = total;
  }

  get pending(): number {
    return this.#left;
  }

  stop(): void {
    this.#stopped = true;
  }

  async run(handler: (job: J) => Promise<void>, onError: (job: J, error: unknown) => void): Promise<void> {
    const loop = async (): Promise<void> => {
      while (!this.#stopped) {
        const next = this.#jobs.next();
        if (next.done) return;
        this.#left = Math.max(0, this.#left - 1);
        try {
          await handler(next.value);
        } catch (error) {
          onError(next.value, error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.concurrency) }, loop));
  }
}

/** Jobs run elsewhere (workers): each job's result, or its final failure, comes back. */
export interface RemoteQueue<J, R> {
  /** Resolves when every job has a result or has failed for good, or at once after stop(). */
  run(
    jobs: readonly J[],
    onResult: (job: J, result: R) => void,
    onError: (job: J, error: unknown) => void,
  ): Promise<void>;
  /** Stop waiting: the jobs stay queued. */
  stop(): void;
  /** Jobs without a result yet. */
  readonly pending: number;
  /**
   * The results store the workers may write themselves (a shared database: its id and the run), carried by each
   * job; set before run(). Workers whose own --db is that store record the results there.
   */
  storeResultsIn?(store: { id: string; runId: number }): void;
}
