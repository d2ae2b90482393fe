/**
 * `npm run bench` (SQLite rows): what `autodisco serve` answers per second, and its p99 latency, at 64 connections,
 * beside a bare node:http server answering the very same bytes in the same run (the ratio is the figure; absolute
 * numbers vary by machine). How it measures, and why that is honest: bench/harness.ts. Stores of 10,000 and
 * 1,000,000 users (the goal: within 10% of each other).
 *
 * Options: `--quick` (2 s runs, 10,000 and 100,000 users: for development), `--profile DIR` (the server runs
 * under `node --cpu-prof`, profiles land in DIR; summarise them with bench/profile-summary.ts).
 * BENCH_SECONDS sets the length of each measured run (default 10; a warm-up run of a third of it comes first),
 * BENCH_USERS the store sizes (e.g. 10000,1000000), BENCH_ONLY the requests (e.g. POX,autoconfig).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  BARE,
  CONNECTIONS,
  FLOOR_NAME,
  loadAverage,
  measureSizes,
  pinLoadGenerator,
  prepare,
  type Running,
  requireBuild,
  selectWorkloads,
  stop,
} from './harness.js';
import { formatTable, parseBenchOptions } from './options.js';

const options = parseBenchOptions(
  process.argv.slice(2),
  process.env,
  { sizes: [10_000, 1_000_000], quickSizes: [10_000, 100_000], sizesVariable: 'BENCH_USERS' },
  (p) => resolve(p),
);

/** Goals of issue 12, as ratios of the bare server's requests per second. */
const GOALS: Record<string, number> = { POX: 0.35, autoconfig: 0.55, 'v2 JSON': 0.55 };
const P99_GOAL_MS = 5;

requireBuild();
const measured = selectWorkloads(options.only);
const pinning = pinLoadGenerator();
const dir = await mkdtemp(join(tmpdir(), 'autodisco-bench-'));
const running: Running[] = [];
try {
  process.stdout.write(
    `autodisco benchmark (SQLite store): ${CONNECTIONS} connections, ${options.seconds} s per run after a ${options.warmup} s warm-up${options.quick ? ' (--quick)' : ''}\n` +
      `${pinning}\nload average before the run: ${await loadAverage()} (other work on the machine lowers every figure)\n`,
  );
  const rows = await measureSizes({
    sizes: options.sizes,
    workloads: measured,
    dir,
    timing: options,
    running,
    floor: true,
    makeStore: async (users) => {
      const db = join(dir, `store-${users}.sqlite`);
      process.stdout.write(`preparing a store of ${users.toLocaleString('en')} users…\n`);
      await prepare(db, users);
      return {
        db,
        what: `--db ${db}`,
        label: `serve-${users}`,
        server: `autodisco, ${users.toLocaleString('en')} users`,
      };
    },
  });

  process.stdout.write(`\n${formatTable(rows)}`);
  process.stdout.write('\nGoals (issue 12):\n');
  const bareOf = (w: string) => rows.find((r) => r.server === BARE && r.workload === w)!;
  const small = options.sizes[0] ?? 0;
  const large = options.sizes.at(-1) ?? 0;
  for (const [w, goal] of Object.entries(GOALS)) {
    if (!measured.some((m) => m.name === w)) continue;
    const at = (users: number) =>
      rows.find((r) => r.workload === w && r.users === users && r.server !== BARE && !r.server.startsWith(FLOOR_NAME))!;
    const floorAt = (users: number) =>
      rows.find((r) => r.workload === w && r.users === users && r.server.startsWith(FLOOR_NAME));
    const a = at(small);
    const b = at(large);
    const ratio = Math.min(a.rps, b.rps) / bareOf(w).rps;
    const cpuRatio = bareOf(w).cpuUs / Math.max(a.cpuUs, b.cpuUs);
    const p99 = Math.max(a.p99, b.p99);
    const apart = Math.abs(a.rps - b.rps) / Math.max(a.rps, b.rps);
    process.stdout.write(
      `  ${w.padEnd(11)} ≥ ${goal.toFixed(2)}× bare: ${ratio.toFixed(2)}× ${ratio >= goal ? 'ok' : 'MISSED'} (by server CPU per request: ${cpuRatio.toFixed(2)}×); ` +
        `p99 ≤ ${P99_GOAL_MS} ms: ${p99.toFixed(1)} ms ${p99 <= P99_GOAL_MS ? 'ok' : 'MISSED'}; ` +
        `${small.toLocaleString('en')} vs ${large.toLocaleString('en')} users ≤ 10% apart: ${(apart * 100).toFixed(1)}% ${apart <= 0.1 ? 'ok' : 'MISSED'}\n`,
    );
    const fa = floorAt(small);
    const fb = floorAt(large);
    if (fa && fb) {
      // The floor does only the work serve may not skip: a goal above it cannot be met by any serve that does it.
      const floorRatio = Math.min(fa.rps, fb.rps) / bareOf(w).rps;
      const floorCpu = bareOf(w).cpuUs / Math.max(fa.cpuUs, fb.cpuUs);
      const floorP99 = Math.max(fa.p99, fb.p99);
      // Judged as serve's goal line judges serve: the ratio of requests per second, and the p99.
      const floorMisses = [
        ...(floorRatio < goal ? [`${floorRatio.toFixed(2)}× < ${goal.toFixed(2)}×`] : []),
        ...(floorP99 > P99_GOAL_MS ? [`p99 ${floorP99.toFixed(1)} ms > ${P99_GOAL_MS} ms`] : []),
      ];
      const serveOverFloor = Math.max(a.cpuUs, b.cpuUs) / Math.max(fa.cpuUs, fb.cpuUs);
      process.stdout.write(
        `  ${''.padEnd(11)} the floor (node:http + the required work): ${floorRatio.toFixed(2)}× bare (by CPU ${floorCpu.toFixed(2)}×), ` +
          `p99 ${floorP99.toFixed(1)} ms; serve does the same work in ${serveOverFloor.toFixed(2)}× the floor's CPU` +
          `${floorMisses.length > 0 ? `; the floor itself misses this goal (${floorMisses.join(', ')})` : ''}\n`,
      );
    }
  }
  if (options.profileDir)
    process.stdout.write(
      `\nCPU profiles in ${options.profileDir}: node --import tsx bench/profile-summary.ts ${options.profileDir}/*.cpuprofile\n`,
    );
} finally {
  await Promise.allSettled(running.map((r) => stop(r.child)));
  await rm(dir, { recursive: true, force: true });
}
