/**
 * `npm run bench:watch`: the memory of `autodisco watch` (the built command, with its SQLite results store and
 * /metrics, as a user runs it) over several runs against the loopback fleet (`autodisco lab fleet`). On Node 20 a
 * process keeps about 16 KB of OpenSSL memory per domain it looks up (bench/peer-x509-leak.ts), so a watch that
 * made its runs itself would grow by that much at every run; it makes each run in a process of its own
 * (src/cli/commands/watch-round.ts). Printed: the watch process's resident memory after each run, as a ratio to
 * after the first run (the baseline, measured in the same run), and the peak of each run's process.
 *
 * BENCH_DOMAINS (default 2000), BENCH_RUNS (default 5). The fleet on core 1, the watch and its runs on core 0.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, node, PINNED, startFleet } from './audit-processes.js';

const DOMAINS = Number(process.env['BENCH_DOMAINS'] ?? '2000');
const RUNS = Number(process.env['BENCH_RUNS'] ?? '5');
const RANGE = '127.74.0.0/24';
/** The watch's memory after the last run within this factor of after the first counts as flat. */
const FLAT = 1.2;

/** Resident and peak resident memory of a process, in MB (NaN once it is gone). */
function memoryOf(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
    return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}

function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(' ').map(Number);
  } catch {
    return [];
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-watch-'));
const fleet = await startFleet(DOMAINS, RANGE, join(dir, 'manifest.json'), join(dir, 'addresses.txt'));
try {
  const args = ['dist/cli/main.js', 'watch', join(dir, 'addresses.txt'), '--every', '1s', '--jitter', '0'];
  const watch = node(0, [
    ...args,
    ...['--runs', String(RUNS), '--db', join(dir, 'watch.sqlite'), '--dns', fleet.dns, '--ca', fleet.ca],
    ...['--per-host', '256', '--metrics', '127.0.0.1:0'],
  ]);
  const pid = watch.pid as number;
  const rows: { run: number; watchRss: number; runPeak: number; seconds: number; lookups: string }[] = [];
  const runPeaks = new Map<number, number>();
  // The run processes' peaks, sampled while they live (VmHWM is gone with them).
  const sampler = setInterval(() => {
    for (const child of childrenOf(pid)) runPeaks.set(child, Math.max(runPeaks.get(child) ?? 0, memoryOf(child).peak));
  }, 200);
  // One summary line per run: `run N: … in S s (process P); L settings, … ; E event(s)`.
  const summary = /run (\d+): \d+ address\(es\) in ([\d.]+) s \(process (\d+)\); ([^;]+);[^\n]*\n/;
  let stderr = '';
  watch.stdout?.resume();
  watch.stderr?.on('data', (d: Buffer) => {
    stderr += d;
    for (let m = summary.exec(stderr); m; m = summary.exec(stderr)) {
      stderr = stderr.slice(m.index + m[0].length);
      rows.push({
        run: Number(m[1]),
        watchRss: memoryOf(pid).rss,
        runPeak: runPeaks.get(Number(m[3])) ?? Number.NaN,
        seconds: Number(m[2]),
        lookups: m[4] ?? '',
      });
    }
  });
  await exited(watch);
  clearInterval(sampler);
  if (rows.length !== RUNS) throw new Error(`watch made ${rows.length} of ${RUNS} runs: ${stderr}`);
  const base = rows[0]?.watchRss ?? Number.NaN;
  process.stdout.write(
    `watch over ${DOMAINS} domains (outlook, outlook-2013), ${RUNS} runs${PINNED ? '; watch and runs on core 0, fleet on core 1' : '; not pinned (no taskset)'}\n`,
  );
  process.stdout.write('run  seconds  watch RSS  × after run 1  run process peak RSS  lookups\n');
  for (const r of rows) {
    process.stdout.write(
      `${String(r.run).padStart(3)}  ${r.seconds.toFixed(1).padStart(7)}  ${`${r.watchRss} MB`.padStart(9)}  ${(r.watchRss / base).toFixed(2).padStart(13)}  ${`${r.runPeak} MB`.padStart(20)}  ${r.lookups}\n`,
    );
  }
  const last = rows[rows.length - 1]?.watchRss ?? Number.NaN;
  process.stdout.write(
    `watch memory flat across runs (last ≤ ${FLAT}× the first): ${last / base <= FLAT ? 'MET' : 'MISSED'} (${base} → ${last} MB)\n`,
  );
} finally {
  await fleet.stop();
  rmSync(dir, { recursive: true, force: true });
}
