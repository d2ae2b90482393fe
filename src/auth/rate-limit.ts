/**
 * A fixed-window counter per key (client address, account): small, in memory, per process. It bounds guessing
 * from one place; the account lockout (in the store) bounds it across places and restarts.
 */
export class RateLimiter {
  readonly #hits = new Map<string, { windowStart: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a hit; returns the seconds to wait when the key is over its limit, else 0. */
  hit(key: string): number {
    const now = this.now();
    let entry = this.#hits.get(key);
    if (!entry || now - entry.windowStart >= this.windowMs) {
      entry = { windowStart: now, count: 0 };
      this.#hits.set(key, entry);
    }
    entry.count++;
    if (this.#hits.size > 10_000) this.#sweep(now);
    return entry.count > this.limit ? Math.ceil((entry.windowStart + this.windowMs - now) / 1000) : 0;
  }

  #sweep(now: number): void {
    for (const [key, e] of this.#hits) if (now - e.windowStart >= this.windowMs) this.#hits.delete(key);
  }
}
