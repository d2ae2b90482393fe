/**
 * `npm run bench`: what `autodisco serve` answers per second, and its p99 latency, at 64 connections, beside a
 * bare node:http server answering the very same bytes in the same run (the ratio is the figure; absolute numbers
 * vary by machine).
 *
 * Honest by construction:
 * - the measured server is the real command, `node dist/cli/main.js serve --db … --workers 1` with its defaults:
 *   logging at `info` into a real sink (its stderr is a file), metrics kept as serve keeps them, every request
 *   parsed, validated and looked up in the store (a random one of the stored users per request);
 * - the server is pinned to one core and this process (the load generator) to another (`taskset`); the output
 *   says so when pinning is not possible;
 * - the baseline answers, per URL, the bytes autodisco answered for the first user, fetched in this run;
 * - stores of 10,000 and 1,000,000 users (the goal: within 10% of each other).
 *
 * Options: `--quick` (2 s runs, 10,000 and 100,000 users: for development), `--profile DIR` (the server runs
 * under `node --cpu-prof`, profiles land in DIR; summarise them with bench/profile-summary.ts).
 * BENCH_SECONDS sets the length of each measured run (default 10; a warm-up run of a third of it comes first),
 * BENCH_USERS the store sizes (e.g. 10000,1000000), BENCH_ONLY the requests (e.g. POX,autoconfig).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { renderSoapRequest } from '../src/formats/soap/request.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const profileAt = argv.indexOf('--profile');
const PROFILE_DIR = profileAt >= 0 ? resolve(argv[profileAt + 1] ?? 'bench-profiles') : undefined;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? (QUICK ? 2 : 10));
const WARMUP = Math.max(1, Math.round(SECONDS / 3));
const CONNECTIONS = 64;
const SIZES = process.env['BENCH_USERS']
  ? process.env['BENCH_USERS'].split(',').map(Number)
  : QUICK
    ? [10_000, 100_000]
    : [10_000, 1_000_000];
/** BENCH_ONLY=POX,autoconfig measures only these requests (development). */
const ONLY = process.env['BENCH_ONLY']?.split(',');
const CHILD = fileURLToPath(new URL('./server-child.mjs', import.meta.url));
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const POX_TEMPLATE = await readFile(new URL('../test/fixtures/requests/outlook.xml', import.meta.url), 'utf8');

/** Goals of issue 12, as ratios of the bare server's requests per second. */
const GOALS: Record<string, number> = { POX: 0.35, autoconfig: 0.55, 'v2 JSON': 0.55 };
const P99_GOAL_MS = 5;

// ---------------------------------------------------------------------------------------------------------------
// Pinning: the server on one core, the load generator (this process) on another.

const cores = availableParallelism();
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
let pinning = '';
let serverPrefix: string[] = [];
if (cores < 2) pinning = `not pinned: this machine has ${cores} core (server and load generator share it)`;
else if (!hasTaskset)
  pinning = 'not pinned: taskset is not installed (util-linux); server and load generator share the cores';
else {
  const self = spawnSync('taskset', ['-pc', '1', String(process.pid)]);
  if (self.status === 0) {
    serverPrefix = ['taskset', '-c', '0'];
    pinning = 'server pinned to core 0, load generator to core 1 (taskset)';
  } else pinning = `not pinned: taskset failed (${self.stderr.toString().trim()})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

function spawnPinned(args: string[], stderrFile?: number): ChildProcess {
  const [command, ...rest] = [...serverPrefix, process.execPath, ...args];
  return spawn(command ?? process.execPath, rest, { stdio: ['ignore', 'pipe', stderrFile ?? 'inherit'] });
}

async function firstLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${what} exited (${code}) before it was ready`);
  });
  const found = (async () => {
    for await (const line of lines) {
      const m = pattern.exec(line);
      if (m) return m;
    }
    throw new Error(`${what} closed its output before it was ready`);
  })();
  return Promise.race([found, exited]);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit');
  clearTimeout(timer);
}

async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Seconds of CPU (user + system) the process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** A store with the example configuration and `users` generated users (user0@example.test …). */
async function prepare(db: string, users: number): Promise<void> {
  const child = spawn(process.execPath, [CHILD, 'prepare', db, String(users)], { stdio: 'inherit' });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`preparing ${db} failed (${code})`);
}

async function startServe(db: string, log: string, label: string): Promise<{ child: ChildProcess; port: number }> {
  const node = PROFILE_DIR
    ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `${label}.cpuprofile`]
    : [];
  // stderr (the JSON log at the default level) goes to a file: a real sink, as under systemd or a redirect.
  const { openSync } = await import('node:fs');
  const child = spawnPinned(
    [...node, MAIN, 'serve', '--db', db, '--http', '127.0.0.1:0', '--workers', '1'],
    openSync(log, 'a'),
  );
  const m = await firstLine(
    child,
    /^\s+http\s+http:\/\/127\.0\.0\.1:(\d+)/,
    `autodisco serve --db ${db} (log: ${log})`,
  );
  return { child, port: Number(m[1]) };
}

async function startBare(bodies: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnPinned([CHILD, 'bare', bodies]);
  const m = await firstLine(child, /^\{"port":(\d+)\}$/, 'the bare server');
  return { child, port: Number(m[1]) };
}

// ---------------------------------------------------------------------------------------------------------------
// Requests: a random stored user per request.

interface Workload {
  name: string;
  /** The request for user i. */
  request(i: number): { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> };
  /** Path prefix the bare server answers this workload's bytes on. */
  prefix: string;
  type: string;
}

const xmlHeaders = { 'content-type': 'text/xml; charset=utf-8' };
const WORKLOADS: Workload[] = [
  {
    name: 'POX',
    prefix: '/autodiscover/autodiscover.xml',
    type: 'text/xml; charset=utf-8',
    request: (i) => ({
      method: 'POST',
      path: '/autodiscover/autodiscover.xml',
      headers: xmlHeaders,
      body: POX_TEMPLATE.replace('chris@example.test', `user${i}@example.test`),
    }),
  },
  {
    name: 'autoconfig',
    prefix: '/mail/config-v1.1.xml',
    type: 'text/xml; charset=utf-8',
    request: (i) => ({ method: 'GET', path: `/mail/config-v1.1.xml?emailaddress=user${i}%40example.test` }),
  },
  {
    name: 'v2 JSON',
    prefix: '/autodiscover/autodiscover.json',
    type: 'application/json; charset=utf-8',
    request: (i) => ({
      method: 'GET',
      path: `/autodiscover/autodiscover.json/v1.0/user${i}@example.test?Protocol=EWS`,
    }),
  },
  {
    name: 'SOAP GetUserSettings',
    prefix: '/autodiscover/autodiscover.svc',
    type: 'text/xml; charset=utf-8',
    request: (i) => ({
      method: 'POST',
      path: '/autodiscover/autodiscover.svc',
      headers: xmlHeaders,
      body: renderSoapRequest({
        operation: 'GetUserSettings',
        requestedServerVersion: 'Exchange2013_SP1',
        to: 'https://autodiscover.example.test/autodiscover/autodiscover.svc',
        identities: [`user${i}@example.test`],
        settings: ['InternalEwsUrl', 'ExternalEwsUrl', 'UserDisplayName'],
      }),
    }),
  },
];

/** What autodisco answers user0, per workload: the bare server answers exactly these bytes. */
async function answersOf(port: number): Promise<Record<string, { type: string; body: string }>> {
  const out: Record<string, { type: string; body: string }> = {};
  for (const w of WORKLOADS) {
    const r = w.request(0);
    const res = await fetch(`http://127.0.0.1:${port}${r.path}`, {
      method: r.method,
      ...(r.headers ? { headers: r.headers } : {}),
      ...(r.body ? { body: r.body } : {}),
    });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${w.name}: autodisco answered HTTP ${res.status} for user0@example.test`);
    if (!body.includes('example.test'))
      throw new Error(`${w.name}: the answer for user0@example.test names no setting`);
    out[w.prefix] = { type: w.type, body };
  }
  return out;
}

async function load(port: number, w: Workload, users: number, seconds: number) {
  const first = w.request(0);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: first.method,
        setupRequest: (req) => ({ ...req, ...w.request(Math.floor(Math.random() * users)) }),
      },
    ],
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { rps: result.requests.average, p99: result.latency.p99, errors, total: result.requests.total };
}

interface Row {
  workload: string;
  server: string;
  users: number;
  rps: number;
  p99: number;
  cpuUs: number;
  rssMB: number;
}

async function measure(child: ChildProcess, port: number, w: Workload, users: number, server: string): Promise<Row> {
  await load(port, w, users, WARMUP);
  const before = await cpuSeconds(child.pid!);
  const r = await load(port, w, users, SECONDS);
  const cpu = (await cpuSeconds(child.pid!)) - before;
  if (r.errors > 0) throw new Error(`${w.name} on ${server}: ${r.errors} failed requests of ${r.total}`);
  const row = {
    workload: w.name,
    server,
    users,
    rps: r.rps,
    p99: r.p99,
    cpuUs: (cpu / r.total) * 1e6,
    rssMB: await peakRssMB(child.pid!),
  };
  process.stdout.write(
    `  ${server.padEnd(24)} ${w.name.padEnd(21)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99} ms\n`,
  );
  return row;
}

// ---------------------------------------------------------------------------------------------------------------

const dir = await mkdtemp(join(tmpdir(), 'autodisco-bench-'));
const children: ChildProcess[] = [];
try {
  if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` (npm run bench does)');
  const load1 = (await readFile('/proc/loadavg', 'utf8').catch(() => '')).split(' ').slice(0, 3).join(' ');
  process.stdout.write(
    `autodisco benchmark: ${CONNECTIONS} connections, ${SECONDS} s per run after a ${WARMUP} s warm-up${QUICK ? ' (--quick)' : ''}\n` +
      `${pinning}\nload average before the run: ${load1 || 'unknown'} (other work on the machine lowers every figure)\n`,
  );
  const rows: Row[] = [];
  const measured = WORKLOADS.filter((w) => !ONLY || ONLY.includes(w.name));
  let bare: { child: ChildProcess; port: number } | undefined;
  for (const users of SIZES) {
    const db = join(dir, `store-${users}.sqlite`);
    process.stdout.write(`preparing a store of ${users.toLocaleString('en')} users…\n`);
    await prepare(db, users);
    const serve = await startServe(db, join(dir, `serve-${users}.log`), `serve-${users}`);
    children.push(serve.child);
    if (!bare) {
      const bodies = join(dir, 'bodies.json');
      await writeFile(bodies, JSON.stringify(await answersOf(serve.port)));
      bare = await startBare(bodies);
      children.push(bare.child);
      for (const w of measured) rows.push(await measure(bare.child, bare.port, w, users, 'bare node:http'));
    }
    for (const w of measured) {
      rows.push(await measure(serve.child, serve.port, w, users, `autodisco, ${users.toLocaleString('en')} users`));
    }
    await stop(serve.child);
  }

  const bareOf = (w: string) => rows.find((r) => r.server === 'bare node:http' && r.workload === w)!;
  process.stdout.write(
    '\n| request | server | req/s | × bare | p99 ms | server CPU µs/req | × bare by CPU | peak RSS MB |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r.workload} | ${r.server} | ${r.rps.toFixed(0)} | ${(r.rps / bareOf(r.workload).rps).toFixed(2)} | ${r.p99.toFixed(1)} | ${r.cpuUs.toFixed(0)} | ${(bareOf(r.workload).cpuUs / r.cpuUs).toFixed(2)} | ${r.rssMB.toFixed(0)} |\n`,
    );
  }
  process.stdout.write('\nGoals (issue 12):\n');
  const small = SIZES[0] ?? 0;
  const large = SIZES.at(-1) ?? 0;
  for (const [w, goal] of Object.entries(GOALS)) {
    if (ONLY && !ONLY.includes(w)) continue;
    const at = (users: number) =>
      rows.find((r) => r.workload === w && r.users === users && r.server !== 'bare node:http')!;
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
  }
  if (PROFILE_DIR)
    process.stdout.write(
      `\nCPU profiles in ${PROFILE_DIR}: node --import tsx bench/profile-summary.ts ${PROFILE_DIR}/*.cpuprofile\n`,
    );
} finally {
  await Promise.allSettled(children.map(stop));
  await rm(dir, { recursive: true, force: true });
}
