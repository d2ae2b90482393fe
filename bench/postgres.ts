/**
 * `npm run bench:postgres` (also part of `npm run bench`): the real `autodisco serve --db postgres://…` on a
 * throw-away PostgreSQL cluster of this machine (test/helpers/postgres.ts; fsync off, loopback), measured exactly
 * as bench/run.ts measures SQLite (bench/harness.ts: `--workers 1`, info log into a file, a random stored user per
 * request, pinned with taskset, beside a bare node:http server answering the same bytes in the same run). Every
 * user lookup is a round trip to the database, so these rows show what a shared database costs; the goals of
 * bench/run.ts are not required here. The database server runs on the same cores as everything else.
 *
 * Stores of 10,000 users and of BENCH_PG_USERS users (default 1,000,000, written in about 15 s; 100,000 with
 * `--quick`; several sizes separated by commas), written in one replaceStreaming transaction as `autodisco import`
 * writes. Options as bench/run.ts: `--quick` (2 s runs), `--profile DIR`, BENCH_SECONDS, BENCH_ONLY (default
 * POX,autoconfig).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { maskUrl } from '../src/store/postgres/url.js';
import { startPostgres } from '../test/helpers/postgres.js';
import {
  CONNECTIONS,
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

const BASE_USERS = 10_000;
const options = parseBenchOptions(
  process.argv.slice(2),
  process.env,
  { sizes: [1_000_000], quickSizes: [100_000], sizesVariable: 'BENCH_PG_USERS' },
  (p) => resolve(p),
);
const sizes = [...new Set([BASE_USERS, ...options.sizes])].sort((a, b) => a - b);

requireBuild();
const measured = selectWorkloads(options.only ?? ['POX', 'autoconfig']);
const pinning = pinLoadGenerator();
const dir = await mkdtemp(join(tmpdir(), 'autodisco-bench-pg-'));
const running: Running[] = [];
const cluster = await startPostgres();
try {
  process.stdout.write(
    `\nautodisco benchmark (PostgreSQL store, a throw-away cluster on this machine, loopback): ${CONNECTIONS} connections, ${options.seconds} s per run after a ${options.warmup} s warm-up${options.quick ? ' (--quick)' : ''}\n` +
      `${pinning} (PostgreSQL itself is not pinned)\nload average before the run: ${await loadAverage()} (other work on the machine lowers every figure)\n`,
  );
  const rows = await measureSizes({
    sizes,
    workloads: measured,
    dir,
    timing: options,
    running,
    makeStore: async (users) => {
      const db = await cluster.createDatabase();
      process.stdout.write(`preparing a PostgreSQL store of ${users.toLocaleString('en')} users…\n`);
      const started = performance.now();
      await prepare(db, users);
      process.stdout.write(`  written in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      return {
        db,
        what: `--db ${maskUrl(db)}`,
        label: `serve-pg-${users}`,
        server: `PostgreSQL, ${users.toLocaleString('en')} users`,
      };
    },
  });
  process.stdout.write(`\n${formatTable(rows)}`);
  if (options.profileDir)
    process.stdout.write(
      `\nCPU profiles in ${options.profileDir}: node --import tsx bench/profile-summary.ts ${options.profileDir}/*.cpuprofile\n`,
    );
} finally {
  await Promise.allSettled(running.map((r) => stop(r.child)));
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
