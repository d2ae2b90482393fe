/**
 * `npm run bench:audit`: domains per second and peak memory of a fleet audit against the loopback fleet
 * (`autodisco lab fleet`), for a few fleet sizes and concurrency levels. The fleet and the load generator
 * (bench/audit-load.ts, which drives bench/fleet-audit.ts: the function to switch to `autodisco audit`) run as
 * two processes pinned to different cores with taskset, so neither steals the other's CPU. Each run gets a fresh
 * fleet (certificates are made on first use: every run pays for its own).
 *
 * BENCH_DOMAINS (default 1000,10000), BENCH_CONCURRENCY (default 16,64,256), BENCH_CLIENTS (default
 * outlook,outlook-2013: the issue's goal is counted with two clients per domain), BENCH_TIMEOUT (per-step
 * deadline in ms, default 10000 as for discover). Every outcome is checked against the manifest: the `right`
 * column is the share of lookups whose outcome is the expected one (below 100%: the machine, not the fleet, cut
 * lookups short, and the rate is not worth its number). Without taskset (util-linux)
 * the processes run unpinned, and the output says so.
 *
 * Prints per run: lookups, wall seconds, domains/s (and against the goal of 200), the load generator's CPU time per
 * lookup, its peak RSS and the fleet's; then peak memory at the largest fleet against the smallest, per
 * concurrency (the goal: flat).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = import.meta.resolve('tsx');
const list = (name: string, fallback: string) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const DOMAINS = list('BENCH_DOMAINS', '1000,10000').map(Number);
const CONCURRENCY = list('BENCH_CONCURRENCY', '16,64,256').map(Number);
const CLIENTS = list('BENCH_CLIENTS', 'outlook,outlook-2013').join(',');
const TIMEOUT = process.env['BENCH_TIMEOUT'] ?? '10000';
const RANGE = '127.73.0.0/24';
const GOAL = 200;

for (const n of [...DOMAINS, ...CONCURRENCY]) {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`BENCH_DOMAINS/BENCH_CONCURRENCY: "${n}" is not a whole number ≥ 1`);
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const PINNED = hasTaskset();

/** `node --import tsx …`, on core `core` when taskset exists. */
function node(core: number, args: string[]): ChildProcess {
  const argv = [process.execPath, '--import', TSX, ...args];
  const [cmd, ...rest] = PINNED ? ['taskset', '-c', String(core), ...argv] : argv;
  const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
  return spawn(cmd as string, rest, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function output(child: ChildProcess, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let errors = '';
    child.stdout?.on('data', (d: Buffer) => {
      text += d;
      if (until?.test(text)) resolve(text);
    });
    child.stderr?.on('data', (d: Buffer) => {
      errors += d;
    });
    child.on('close', (code) =>
      code === 0 || until === undefined ? resolve(text) : reject(new Error(`exit ${code}: ${errors}`)),
    );
    child.on('error', reject);
  });
}

/** Peak resident memory of a running process (VmHWM), in MB. */
function peakRssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
}

interface Row {
  domains: number;
  concurrency: number;
  lookups: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  fleetRssMB: number;
  outcomes: Record<string, number>;
  wrongOutcomes: number;
}

async function run(domains: number, concurrency: number): Promise<Row> {
  const manifest = join(tmpdir(), `autodisco-bench-fleet-${process.pid}.json`);
  const args = ['src/cli/main.ts', 'lab', 'fleet', '--domains', String(domains), '--range', RANGE, '--out', manifest];
  const fleet = node(1, args);
  try {
    const up = await output(fleet, /Ctrl-C stops the fleet/);
    const dns = /give clients --dns (\S+)/.exec(up)?.[1] ?? '';
    const ca = /give clients --ca (\S+)/.exec(up)?.[1] ?? '';
    const load = node(0, ['bench/audit-load.ts', manifest, dns, ca, CLIENTS, String(concurrency), TIMEOUT]);
    const result = JSON.parse((await output(load)).trim().split('\n').pop() ?? '{}') as Omit<Row, 'fleetRssMB'>;
    return { ...result, concurrency, fleetRssMB: peakRssOf(fleet.pid) };
  } finally {
    fleet.kill('SIGINT');
    await new Promise((resolve) => fleet.once('close', resolve));
    rmSync(manifest, { force: true });
  }
}

const clientsPerDomain = CLIENTS.split(',').length;
process.stdout.write(
  `bench:audit: clients ${CLIENTS}; fleet on core 1, load generator on core 0${PINNED ? '' : ' (taskset missing: NOT pinned)'}\n`,
);
process.stdout.write(
  'domains  concurrency  lookups  seconds  domains/s  vs goal 200  right  CPU ms/lookup  load peak RSS  fleet peak RSS  outcomes\n',
);
const rows: Row[] = [];
for (const domains of DOMAINS) {
  for (const concurrency of CONCURRENCY) {
    const r = await run(domains, concurrency);
    rows.push(r);
    const rate = domains / r.seconds;
    process.stdout.write(
      `${String(domains).padStart(7)}  ${String(concurrency).padStart(11)}  ${String(r.lookups).padStart(7)}  ${r.seconds.toFixed(1).padStart(7)}  ${rate.toFixed(1).padStart(9)}  ${(rate / GOAL).toFixed(2).padStart(11)}  ${`${(100 - (100 * r.wrongOutcomes) / r.lookups).toFixed(1)}%`.padStart(5)}  ${((r.cpuSeconds * 1000) / r.lookups).toFixed(1).padStart(13)}  ${`${r.peakRssMB} MB`.padStart(13)}  ${`${r.fleetRssMB} MB`.padStart(14)}  ${JSON.stringify(r.outcomes)}\n`,
    );
  }
}
const smallest = Math.min(...DOMAINS);
const largest = Math.max(...DOMAINS);
if (largest > smallest) {
  for (const concurrency of CONCURRENCY) {
    const a = rows.find((r) => r.concurrency === concurrency && r.lookups === smallest * clientsPerDomain);
    const b = rows.find((r) => r.concurrency === concurrency && r.lookups === largest * clientsPerDomain);
    if (a && b) {
      process.stdout.write(
        `concurrency ${concurrency}: load generator peak RSS ${b.peakRssMB} MB at ${largest} domains / ${a.peakRssMB} MB at ${smallest} = ${(b.peakRssMB / a.peakRssMB).toFixed(2)}× (flat is 1.0×)\n`,
      );
    }
  }
}
