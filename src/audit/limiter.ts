/**
 * Concurrency limits for an audit: one slot pool for the whole run (--concurrency) and one per destination
 * address (--per-host), because hundreds of customer domains often point at the same provider host.
 */

/** A counting semaphore; waiters are served first come, first served. */
export class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    this.#free = size;
  }

  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot goes straight to the next waiter, so nobody can overtake it between release and wake-up.
      if (next) next();
      else this.#free++;
    };
  }

  /** Slots in use (for tests and the progress line). */
  get inUse(): number {
    return this.size - this.#free;
  }

  get idle(): boolean {
    return this.#free === this.size && this.#waiting.length === 0;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}

/** One semaphore per key (a destination IP address), created on first use and dropped when idle. */
export class KeyedLimiter {
  readonly #pools = new Map<string, Semaphore>();

  constructor(readonly perKey: number) {}

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Semaphore(this.perKey);
      this.#pools.set(key, pool);
    }
    try {
      return await pool.run(work);
    } finally {
      // Memory stays flat over 10,000 domains: a pool nobody holds or waits for is forgotten.
      if (pool.idle) this.#pools.delete(key);
    }
  }

  get keys(): number {
    return this.#pools.size;
  }
}
