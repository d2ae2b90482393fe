/**
 * `npm run bench:audit`: domains per second and peak memory of `autodisco audit` (the built command, with its
 * NDJSON output and SQLite results store, exactly as a user runs it) against the loopback fleet
 * (`autodisco lab fleet`), for a few fleet sizes and concurrency levels; then the same audit through a BullMQ
 * queue on a throw-away redis-server, with one worker and with two. The fleet runs on core 1, the audit and the
 * workers on core 0 (taskset; without it nothing is pinned and the output says so). Each run gets a fresh fleet,
 * which makes every certificate before it listens (`lab fleet --issue-first`): the audit meets servers that answer
 * at once, as real ones do, rather than a fleet minting certificates while the audit waits (that was three
 * quarters of the fleet's CPU); the fleet's CPU printed is what it used during the run.
 *
 * BENCH_DOMAINS (default 1000,10000), BENCH_CONCURRENCY (default 32,128: addresses at a time), BENCH_PER_HOST
 * (default 256), BENCH_CLIENTS (default outlook,outlook-2013: the goal is counted with two clients per domain),
 * BENCH_TIMEOUT (per-step deadline, ms, default 10000), BENCH_QUEUE (default 1: the queue rows, at the smallest
 * fleet and the highest concurrency; 0 leaves them out), BENCH_DEFAULTS (default 1: a row with the command's own
 * --concurrency 32 and --per-host 4; 0 leaves it out), BENCH_HEAP_CAP (default 128: a row at the largest fleet and
 * the lowest concurrency with node's --max-old-space-size=N, the README's advice for large audits; 0 leaves it out).
 * The fleet's certificates are ECDSA P-256 (the lab's default, as a hosting fleet's ACME certificates often are):
 * its server-side handshakes cost far less than RSA-2048 ones would; the fleet's own CPU per lookup is printed. The whole fleet answers on ONE address, standing for many
 * providers: the audit's default --per-host 4 is politeness towards one real host and would measure the limiter
 * rather than the audit here, so the runs use BENCH_PER_HOST, and one extra row shows the command's defaults.
 *
 * Every report written is checked against the manifest: `right` is the share of lookups with the expected
 * outcome (below 100%, the machine cut lookups short and the rate is not worth its number).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../test/helpers/redis.js';
import {
  type Check,
  type Cost,
  checkReports,
  command,
  costOf,
  cpuSecondsOf,
  exited,
  output,
  PINNED,
  peakRssOf,
  startFleet,
} from './audit-processes.js';

const list = (name: string, fallback: string) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const DOMAINS = list('BENCH_DOMAINS', '1000,10000').map(Number);
const CONCURRENCY = list('BENCH_CONCURRENCY', '32,128').map(Number);
const PER_HOST = Number(process.env['BENCH_PER_HOST'] ?? '256');
const CLIENTS = list('BENCH_CLIENTS', 'outlook,outlook-2013').join(',');
const TIMEOUT = process.env['BENCH_TIMEOUT'] ?? '10000';
const QUEUE = process.env['BENCH_QUEUE'] !== '0';
const DEFAULTS = process.env['BENCH_DEFAULTS'] !== '0';
const HEAP_CAP = Number(process.env['BENCH_HEAP_CAP'] ?? '128');
const RANGE = '127.73.0.0/24';
const GOAL = 200;
/** Peak memory at the largest fleet within this factor of the smallest's counts as flat. */
const FLAT = 1.2;

for (const n of [...DOMAINS, ...CONCURRENCY, PER_HOST]) {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`BENCH_DOMAINS/BENCH_CONCURRENCY/BENCH_PER_HOST: "${n}" is not a whole number ≥ 1`);
}

interface Row {
  label: string;
  domains: number;
  concurrency: number;
  perHost: number;
  workers: number;
  check: Check;
  /** Wall time of the audit command, start to exit. */
  seconds: number;
  /** CPU of the audit command and its workers. */
  cpuSeconds: number;
  /** Peak RSS of the audit command; with workers, of the largest worker. */
  peakRssMB: number;
  /** Peak live heap (what a full GC leaves), of the same process. */
  peakLiveMB: number;
  fleetRssMB: number;
  /** CPU of the fleet during the run (its start, where it makes its certificates, left out). */
  fleetCpuSeconds: number;
  /** The 1-minute load average when the run ended. */
  load: string;
}

async function run(
  domains: number,
  concurrency: number,
  perHost: number,
  workers: number,
  label: string,
  nodeFlags: string[] = [],
) {
  const dir = mkdtempSync(join(tmpdir(), 'autodisco-bench-audit-'));
  const at = (name: string) => join(dir, name);
  const fleet = await startFleet(domains, RANGE, at('manifest.json'), at('addresses.txt'));
  const fleetCpuAtStart = cpuSecondsOf(fleet.process.pid);
  const redis = workers > 0 ? await startRedis() : undefined;
  const engine = ['--dns', fleet.dns, '--ca', fleet.ca, '--timeout', TIMEOUT];
  const lookup = ['--concurrency', String(concurrency), '--per-host', String(perHost)];
  try {
    const started = Array.from({ length: workers }, (_, i) =>
      command(0, at(`worker-${i}.json`), ['worker', '--queue', redis?.url ?? '', ...engine, ...lookup]),
    );
    await Promise.all(started.map((w) => output(w, /taking audit jobs/, 'stderr')));
    const audit = command(
      0,
      at('audit.json'),
      [
        'audit',
        at('addresses.txt'),
        '--client',
        CLIENTS,
        // With --queue the workers make the lookups: the engine's options are theirs.
        ...(workers > 0 ? ['--queue', redis?.url ?? ''] : [...engine, ...lookup]),
        '--ndjson',
        '--out',
        at('reports.ndjson'),
        '--db',
        at('results.sqlite'),
        '--no-progress',
      ],
      nodeFlags,
    );
    let errors = '';
    audit.stderr?.on('data', (d: Buffer) => {
      errors = (errors + d).slice(-4000);
    });
    await output(audit);
    // 1 is the audit's verdict (some lookup got no settings: the fleet has such domains), anything else a failure.
    if (audit.exitCode !== 0 && audit.exitCode !== 1)
      throw new Error(`${label}: audit exit ${audit.exitCode}: ${errors}`);
    const fleetRssMB = peakRssOf(fleet.process.pid);
    const fleetCpuSeconds = cpuSecondsOf(fleet.process.pid) - fleetCpuAtStart;
    for (const w of started) w.kill('SIGTERM');
    await Promise.all(started.map(exited));
    const costs: Cost[] = started.map((_, i) => costOf(at(`worker-${i}.json`)));
    const own = costOf(at('audit.json'));
    const row: Row = {
      label,
      domains,
      concurrency,
      perHost,
      workers,
      check: await checkReports(at('reports.ndjson'), at('manifest.json')),
      seconds: own.seconds,
      cpuSeconds: own.cpuSeconds + costs.reduce((sum, c) => sum + c.cpuSeconds, 0),
      peakRssMB: workers > 0 ? Math.max(...costs.map((c) => c.peakRssMB)) : own.peakRssMB,
      peakLiveMB: workers > 0 ? Math.max(...costs.map((c) => c.peakLiveMB)) : own.peakLiveMB,
      fleetRssMB,
      fleetCpuSeconds,
      load: loadavg()[0]?.toFixed(1) ?? '?',
    };
    return row;
  } finally {
    await fleet.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const rate = (r: Row) => r.domains / r.seconds;
const right = (r: Row) => (r.check.lookups === 0 ? 0 : 100 - (100 * r.check.wrong) / r.check.lookups);
const clientsPerDomain = CLIENTS.split(',').length;
const say = (text: string) => process.stdout.write(`${text}\n`);

say(
  `bench:audit: clients ${CLIENTS}; fleet on core 1 (ECDSA P-256 certificates), audit and workers on core 0${PINNED ? '' : ' (taskset missing: NOT pinned)'}; redis-server unpinned; load average before: ${load()}`,
);
say(
  'run                domains  conc  per-host  lookups  seconds  domains/s  right  CPU ms/lookup  audit peak RSS  peak live  fleet CPU ms/lookup  fleet peak RSS  load',
);
const rows: Row[] = [];
function print(r: Row): void {
  const cells = [
    r.label.padEnd(17),
    String(r.domains).padStart(7),
    String(r.concurrency).padStart(4),
    String(r.perHost).padStart(8),
    String(r.check.lookups).padStart(7),
    r.seconds.toFixed(1).padStart(7),
    rate(r).toFixed(1).padStart(9),
    `${right(r).toFixed(1)}%`.padStart(6),
    ((r.cpuSeconds * 1000) / Math.max(1, r.check.lookups)).toFixed(1).padStart(13),
    `${r.peakRssMB} MB`.padStart(14),
    `${r.peakLiveMB} MB`.padStart(9),
    ((r.fleetCpuSeconds * 1000) / Math.max(1, r.check.lookups)).toFixed(1).padStart(19),
    `${r.fleetRssMB} MB`.padStart(14),
    r.load.padStart(4),
  ];
  say(cells.join('  '));
  if (r.check.lookups !== r.domains * clientsPerDomain)
    say(`  ! ${r.check.lookups} reports for ${r.domains * clientsPerDomain} lookups`);
}
for (const domains of DOMAINS) {
  for (const concurrency of CONCURRENCY) {
    const r = await run(domains, concurrency, PER_HOST, 0, 'in process');
    rows.push(r);
    print(r);
  }
}
const smallest = Math.min(...DOMAINS);
const largest = Math.max(...DOMAINS);
const top = Math.max(...CONCURRENCY);

// The command as a user runs it without options: --concurrency 32, --per-host 4.
if (DEFAULTS) print(await run(smallest, 32, 4, 0, 'command defaults'));
// What the README advises for large audits: V8 otherwise lets its heap grow to a few hundred MB of garbage on a
// long run, which the RSS shows though the process holds far less.
const minConcurrency = Math.min(...CONCURRENCY);
let capped: Row | undefined;
if (HEAP_CAP > 0) {
  capped = await run(largest, minConcurrency, PER_HOST, 0, `heap cap ${HEAP_CAP} MB`, [
    `--max-old-space-size=${HEAP_CAP}`,
  ]);
  print(capped);
}
const queued: Row[] = [];
if (QUEUE) {
  for (const workers of [1, 2]) {
    const r = await run(smallest, top, PER_HOST, workers, `queue, ${workers} worker${workers > 1 ? 's' : ''}`);
    queued.push(r);
    print(r);
  }
}

say('');
const counted = rows.filter((r) => right(r) === 100);
const best = counted.sort((a, b) => rate(b) - rate(a))[0];
say(
  best
    ? `goal ≥ ${GOAL} domains/s with ${clientsPerDomain} client(s) per domain: ${rate(best) >= GOAL ? 'MET' : 'MISSED'} (best ${rate(best).toFixed(1)} domains/s: ${best.domains} domains at concurrency ${best.concurrency}, every outcome right)`
    : `goal ≥ ${GOAL} domains/s: MISSED (no run had every outcome right)`,
);
if (largest > smallest) {
  for (const concurrency of CONCURRENCY) {
    const a = rows.find((r) => r.concurrency === concurrency && r.domains === smallest);
    const b = rows.find((r) => r.concurrency === concurrency && r.domains === largest);
    if (!a || !b) continue;
    // What the audit holds is the live heap; the RSS adds garbage not yet collected and heap V8 keeps in reserve
    // (it grows its heap when allocation is fast and collections find little to keep), so both are printed.
    const live = b.peakLiveMB / a.peakLiveMB;
    const rss = b.peakRssMB / a.peakRssMB;
    say(
      `memory flat from ${smallest} to ${largest} domains at concurrency ${concurrency}, live heap: ${live <= FLAT ? 'MET' : 'MISSED'} (peak live ${a.peakLiveMB} MB → ${b.peakLiveMB} MB, ${live.toFixed(2)}×; flat is ≤ ${FLAT}×)`,
    );
    say(
      `memory flat from ${smallest} to ${largest} domains at concurrency ${concurrency}, peak RSS: ${rss <= FLAT ? 'MET' : 'MISSED'} (${a.peakRssMB} MB → ${b.peakRssMB} MB, ${rss.toFixed(2)}×)`,
    );
  }
  const base = rows.find((r) => r.concurrency === minConcurrency && r.domains === smallest);
  if (capped && base) {
    const rss = capped.peakRssMB / base.peakRssMB;
    say(
      `memory flat from ${smallest} to ${largest} domains with --max-old-space-size=${HEAP_CAP} (concurrency ${minConcurrency}), peak RSS: ${rss <= FLAT ? 'MET' : 'MISSED'} (${base.peakRssMB} MB without the cap → ${capped.peakRssMB} MB with it, ${rss.toFixed(2)}×; live ${capped.peakLiveMB} MB)`,
    );
  }
} else say('memory flat: not measured (one fleet size; BENCH_DOMAINS needs two)');
if (best) {
  // Wall-clock rates move with whatever else the machine runs; CPU per lookup is steadier. What one core of the
  // audit could do at that CPU cost, and what the fleet's CPU per lookup would allow on its core:
  const perDomain = (r: Row) => (r.cpuSeconds / Math.max(1, r.check.lookups)) * clientsPerDomain;
  const fleetPerDomain = (r: Row) => (r.fleetCpuSeconds / Math.max(1, r.check.lookups)) * clientsPerDomain;
  const cheapest = [...counted].sort((a, b) => perDomain(a) - perDomain(b))[0] ?? best;
  say(
    `CPU bound: at ${(perDomain(cheapest) * 1000).toFixed(1)} ms of audit CPU per domain (${cheapest.domains} domains, concurrency ${cheapest.concurrency}) one core does at most ${(1 / perDomain(cheapest)).toFixed(0)} domains/s; the fleet's ${(fleetPerDomain(cheapest) * 1000).toFixed(1)} ms per domain allows ${(1 / fleetPerDomain(cheapest)).toFixed(0)} on its core`,
  );
}
const [one, two] = queued;
if (one && two) {
  say(
    `queue (BullMQ on redis-server), ${one.domains} domains, concurrency ${top} per worker: one worker ${rate(one).toFixed(1)} domains/s, two workers ${rate(two).toFixed(1)} domains/s (${(rate(two) / rate(one)).toFixed(2)}×)${PINNED ? '; the workers and the audit share core 0, the fleet has core 1: a second worker adds concurrency here, not a core' : ''}`,
  );
}
say(`load average after: ${load()}`);
