/** RFC 2782 target selection: lowest priority first; within a priority, weighted random order. */
import type { SrvRecord } from '../dns/resolver.js';

/**
 * Orders SRV records the way RFC 2782 says a client tries them. `random` returns [0, 1) (injectable so tests
 * and the lab are deterministic). A target of "." means "no service here" and is dropped.
 */
export function orderSrv(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const usable = records.filter((r) => r.name !== '' && r.name !== '.');
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const ordered: SrvRecord[] = [];
  for (const priority of priorities) {
    // Zero-weight records first in the pool, as RFC 2782 suggests, so they keep a small chance of being first.
    const pool = usable.filter((r) => r.priority === priority).sort((a, b) => a.weight - b.weight);
    while (pool.length > 0) {
      const total = pool.reduce((sum, r) => sum + r.weight, 0);
      let pick = 0;
      if (total > 0) {
        const threshold = random() * total;
        let running = 0;
        pick = pool.findIndex((r) => {
          running += r.weight;
          return running > threshold;
        });
        if (pick < 0) pick = pool.length - 1;
      }
      const [chosen] = pool.splice(pick, 1);
      if (chosen) ordered.push(chosen);
    }
  }
  return ordered;
}
