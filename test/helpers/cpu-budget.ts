/**
 * CPU budgets that hold on a slower machine. A budget in the tests ("50 ms of CPU per 64 KiB", issue 9) was set
 * on the development machine; CI machines are slower per core (the YAML readers' worst case, 32 ms here, took
 * 54 ms there). So a budget scales by how much slower this machine runs a fixed pure-JavaScript workload,
 * measured once per test file, never below 1. A quadratic parser is over by far more than any machine's factor.
 */

/** The size of the reference workload's text, as of the fuzz cases. */
const SIZE = 64 * 1024;

/** CPU of one reference workload on the development machine (best of five, four runs each). */
export const REFERENCE_MS = 2.4;

/** Tokenising, indexing and serialising 64 KiB of `key: value` lines: the kind of work a parser does. */
function referenceWorkload(): number {
  const lines: string[] = [];
  for (let i = 0, length = 0; length < SIZE; i++) {
    const line = `  key${i % 997}_${i}: value number ${i}`;
    lines.push(line);
    length += line.length + 1;
  }
  const text = lines.join('\n');
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\s*)([^:]+):\s(.*)$/.exec(line);
    if (match) map.set(match[2] as string, (match[3] as string).toUpperCase());
  }
  return Object.keys(JSON.parse(JSON.stringify(Object.fromEntries(map)))).length;
}

/** CPU time of `run`, in ms. */
export function cpuMs(run: () => unknown): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** CPU of the reference workload on this machine now: best of five after a warm-up. */
export function referenceMs(): number {
  const fourTimes = () => {
    for (let i = 0; i < 4; i++) referenceWorkload();
  };
  fourTimes();
  return Math.min(...Array.from({ length: 5 }, () => cpuMs(fourTimes))) / 4;
}

/** How much slower than the development machine this one is (≥ 1). */
export const MACHINE_FACTOR = Math.max(1, referenceMs() / REFERENCE_MS);

/** A budget set on the development machine, scaled to this one. */
export function scaled(budgetMs: number): number {
  return budgetMs * MACHINE_FACTOR;
}
