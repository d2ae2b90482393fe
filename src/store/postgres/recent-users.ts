/**
 * The users this process read last, kept for when the database is away: a bounded map in least-recently-used
 * order. Misses are kept too (null), so an address without a row keeps getting its domain's answer. This is
 * not a read cache: while the database answers, every lookup goes to it; these rows only answer in its absence.
 */
import type { UserRecord } from '../../settings/schema.js';

export class RecentUsers {
  readonly #max: number;
  readonly #rows = new Map<string, UserRecord | null>();

  constructor(max: number) {
    this.#max = max;
  }

  remember(key: string, user: UserRecord | undefined): void {
    if (this.#max <= 0) return;
    this.#rows.delete(key);
    this.#rows.set(key, user ?? null);
    if (this.#rows.size > this.#max) {
      const oldest = this.#rows.keys().next();
      if (!oldest.done) this.#rows.delete(oldest.value);
    }
  }

  /** The last row read for `key`: a user, null (read, no row), or undefined (not read recently). */
  recall(key: string): UserRecord | null | undefined {
    return this.#rows.get(key);
  }

  /** After a change (or a time when changes could not be heard), what was read before may be wrong. */
  clear(): void {
    this.#rows.clear();
  }

  get size(): number {
    return this.#rows.size;
  }
}
