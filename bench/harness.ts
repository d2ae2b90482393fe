/**
 * What the serve benchmarks (bench/run.ts on SQLite, bench/postgres.ts on PostgreSQL) share, so both measure the
 * same way:
 * - the measured server is the real command, `node dist/cli/main.js serve --db … --workers 1` with its defaults:
 *   logging at `info` into a real sink (its stderr is a file), metrics kept as serve keeps them, every request
 *   parsed, validated and looked up in the store (a random one of the stored users per request);
 * - the server is pinned to one core and the load generator (the calling process) to another (`taskset`); the
 *   output says so when pinning is not possible;
 * - the baseline, a bare node:http server (bench/server-child.mjs), answers per URL the bytes autodisco answered
 *   for the first user, fetched in the same run;
 * - every figure comes with the server's CPU time per request, steadier than requests per second on a shared
 *   machine.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { renderSoapRequest } from '../src/formats/soap/request.js';
import { BARE, type Row } from './options.js';

export const CONNECTIONS = 64;
const CHILD = fileURLToPath(new URL('./server-child.mjs', import.meta.url));
const FLOOR = fileURLToPath(new URL('./floor-server.mjs', import.meta.url));
export const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const POX_TEMPLATE = await readFile(new URL('../test/fixtures/requests/outlook.xml', import.meta.url), 'utf8');

export function requireBuild(): void {
  if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` (npm run bench does)');
}

// ---------------------------------------------------------------------------------------------------------------
// Pinning: the server on one core, the load generator (this process) on another.

let serverPrefix: string[] = [];

/** Pins this process to core 1 and every server started afterwards to core 0; returns what it did, for the output. */
export function pinLoadGenerator(): string {
  const cores = availableParallelism();
  if (cores < 2) return `not pinned: this machine has ${cores} core (server and load generator share it)`;
  if (spawnSync('taskset', ['-V']).status !== 0)
    return 'not pinned: taskset is not installed (util-linux); server and load generator share the cores';
  const self = spawnSync('taskset', ['-pc', '1', String(process.pid)]);
  if (self.status !== 0) return `not pinned: taskset failed (${self.stderr.toString().trim()})`;
  serverPrefix = ['taskset', '-c', '0'];
  return 'server pinned to core 0, load generator to core 1 (taskset)';
}

export async function loadAverage(): Promise<string> {
  const text = await readFile('/proc/loadavg', 'utf8').catch(() => '');
  return text.split(' ').slice(0, 3).join(' ') || 'unknown';
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

export interface Running {
  child: ChildProcess;
  port: number;
}

function spawnPinned(args: string[], stderrFile?: number): ChildProcess {
  const [command, ...rest] = [...serverPrefix, process.execPath, ...args];
  return spawn(command ?? process.execPath, rest, { stdio: ['ignore', 'pipe', stderrFile ?? 'inherit'] });
}

async function firstLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`${what} exited (${code ?? signal}) before it was ready`);
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

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
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

/**
 * A store (an SQLite path or a postgres:// URL) with the example configuration and `users` generated users
 * (user0@example.test …), written in one replaceStreaming transaction as an import writes it.
 */
export async function prepare(db: string, users: number): Promise<void> {
  const child = spawn(process.execPath, [CHILD, 'prepare', db, String(users)], { stdio: 'inherit' });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`preparing the store of ${users} users failed (exit ${code})`);
}

/**
 * `autodisco serve --db <db> --http 127.0.0.1:0 --workers 1`, its log (stderr) appended to `log`; `profileDir`
 * runs it under `node --cpu-prof` (the profile is named `label`.cpuprofile). `what` names it in errors (a
 * postgres:// URL carries a password: pass the URL without it).
 */
export async function startServe(
  db: string,
  log: string,
  options: { label: string; what: string; profileDir?: string | undefined },
): Promise<Running> {
  const node = options.profileDir
    ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir, '--cpu-prof-name', `${options.label}.cpuprofile`]
    : [];
  // stderr (the JSON log at the default level) goes to a file: a real sink, as under systemd or a redirect.
  const child = spawnPinned(
    [...node, MAIN, 'serve', '--db', db, '--http', '127.0.0.1:0', '--workers', '1'],
    openSync(log, 'a'),
  );
  const m = await firstLine(
    child,
    /^\s+http\s+http:\/\/127\.0\.0\.1:(\d+)/,
    `autodisco serve ${options.what} (log: ${log})`,
  );
  return { child, port: Number(m[1]) };
}

/** What autodisco answered for user0, per workload path prefix (see answersOf). */
type Answers = Record<string, { type: string; body: string }>;

/** The bare node:http server answering, per workload, the bytes autodisco answered for user0. */
export async function startBare(answers: Answers, bodiesFile: string): Promise<Running> {
  await writeFile(bodiesFile, JSON.stringify(answers));
  const child = spawnPinned([CHILD, 'bare', bodiesFile]);
  const m = await firstLine(child, /^\{"port":(\d+)\}$/, 'the bare server');
  return { child, port: Number(m[1]) };
}

/**
 * The floor (bench/floor-server.mjs): node:http doing only the work serve may not skip, with serve's own functions,
 * on the same SQLite store. Before it is measured, its answers for user0 are checked against serve's, byte for
 * byte, so it cannot be cheaper by answering less.
 */
export async function startFloor(
  db: string,
  expected: Answers,
  workloads: readonly Workload[],
  log: string,
): Promise<Running> {
  const child = spawnPinned([FLOOR, db], openSync(log, 'a'));
  const m = await firstLine(child, /^\{"port":(\d+)\}$/, `the floor server (log: ${log})`);
  const floor = { child, port: Number(m[1]) };
  const got = await answersOf(floor.port, workloads).catch(async (err) => {
    await stop(child);
    throw new Error(`the floor server failed to answer (log: ${log}): ${(err as Error).message}`, { cause: err });
  });
  for (const w of workloads) {
    if (got[w.prefix]?.body !== expected[w.prefix]?.body)
      throw new Error(`${w.name}: the floor server does not answer the bytes serve answers for user0@example.test`);
  }
  return floor;
}

// ---------------------------------------------------------------------------------------------------------------
// Requests: a random stored user per request.

export interface Workload {
  name: string;
  /** Whether the floor server (bench/floor-server.mjs) answers it. */
  floor: boolean;
  /** The request for user i. */
  request(i: number): { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> };
  /** Path prefix the bare server answers this workload's bytes on. */
  prefix: string;
  type: string;
}

// Copied per request: autocannon writes the request's content-length into the headers object it is given.
const xmlHeaders = { 'content-type': 'text/xml; charset=utf-8' };
export const WORKLOADS: readonly Workload[] = [
  {
    name: 'POX',
    floor: true,
    prefix: '/autodiscover/autodiscover.xml',
    type: 'text/xml; charset=utf-8',
    request: (i) => ({
      method: 'POST',
      path: '/autodiscover/autodiscover.xml',
      headers: { ...xmlHeaders },
      body: POX_TEMPLATE.replace('chris@example.test', `user${i}@example.test`),
    }),
  },
  {
    name: 'autoconfig',
    floor: true,
    prefix: '/mail/config-v1.1.xml',
    type: 'text/xml; charset=utf-8',
    request: (i) => ({ method: 'GET', path: `/mail/config-v1.1.xml?emailaddress=user${i}%40example.test` }),
  },
  {
    name: 'v2 JSON',
    floor: true,
    prefix: '/autodiscover/autodiscover.json',
    type: 'application/json; charset=utf-8',
    request: (i) => ({
      method: 'GET',
      path: `/autodiscover/autodiscover.json/v1.0/user${i}@example.test?Protocol=EWS`,
    }),
  },
  {
    name: 'SOAP GetUserSettings',
    floor: false,
    prefix: '/autodiscover/autodiscover.svc',
    type: 'text/xml; charset=utf-8',
    request: (i) => ({
      method: 'POST',
      path: '/autodiscover/autodiscover.svc',
      headers: { ...xmlHeaders },
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

/** The workloads BENCH_ONLY names (all when it is unset); an unknown name is an error, not an empty run. */
export function selectWorkloads(only: readonly string[] | undefined, from: readonly Workload[] = WORKLOADS) {
  if (!only) return [...from];
  for (const name of only) {
    if (!from.some((w) => w.name === name))
      throw new Error(`BENCH_ONLY "${name}": expected one of ${from.map((w) => w.name).join(', ')}`);
  }
  return from.filter((w) => only.includes(w.name));
}

/** What autodisco answers user0, per workload: the bare server answers exactly these bytes. */
async function answersOf(port: number, workloads: readonly Workload[]): Promise<Answers> {
  const out: Answers = {};
  for (const w of workloads) {
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

/** A warm-up run (discarded), then the measured one, with the server's CPU time and peak memory. */
export async function measure(
  server: Running,
  w: Workload,
  users: number,
  name: string,
  timing: { seconds: number; warmup: number },
): Promise<Row> {
  const pid = server.child.pid!;
  await load(server.port, w, users, timing.warmup);
  const before = await cpuSeconds(pid);
  const r = await load(server.port, w, users, timing.seconds);
  const cpu = (await cpuSeconds(pid)) - before;
  if (r.errors > 0) throw new Error(`${w.name} on ${name}: ${r.errors} failed requests of ${r.total}`);
  if (r.total === 0) throw new Error(`${w.name} on ${name}: no request answered in ${timing.seconds} s`);
  process.stdout.write(
    `  ${name.padEnd(28)} ${w.name.padEnd(21)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99} ms\n`,
  );
  return {
    workload: w.name,
    server: name,
    users,
    rps: r.rps,
    p99: r.p99,
    cpuUs: (cpu / r.total) * 1e6,
    rssMB: await peakRssMB(pid),
  };
}

/** A store ready for `serve`: its --db value, how the output names it, and the label of its log and profile. */
export interface BenchStore {
  db: string;
  what: string;
  label: string;
  /** The table's server column. */
  server: string;
}

/**
 * For each store size: the store made by `makeStore`, the real serve on it, and every workload measured; the bare
 * server answering the same bytes is started with the first serve and measured once. Servers go into `running`
 * as they start, so that the caller's `finally` stops them whatever happens.
 */
export async function measureSizes(args: {
  sizes: readonly number[];
  workloads: readonly Workload[];
  dir: string;
  timing: { seconds: number; warmup: number; profileDir?: string | undefined };
  running: Running[];
  makeStore: (users: number) => Promise<BenchStore>;
  /** Also measure the floor server (SQLite stores only) on each store. */
  floor?: boolean;
}): Promise<Row[]> {
  const { workloads, dir, timing, running } = args;
  const rows: Row[] = [];
  let bare: Running | undefined;
  let answers: Answers | undefined;
  for (const users of args.sizes) {
    const store = await args.makeStore(users);
    const serve = await startServe(store.db, join(dir, `${store.label}.log`), {
      label: store.label,
      what: store.what,
      profileDir: timing.profileDir,
    });
    running.push(serve);
    // Fetched once, before any load: the same configuration answers user0 alike at every store size.
    answers ??= await answersOf(serve.port, workloads);
    if (!bare) {
      bare = await startBare(answers, join(dir, 'bodies.json'));
      running.push(bare);
      for (const w of workloads) rows.push(await measure(bare, w, users, BARE, timing));
    }
    for (const w of workloads) rows.push(await measure(serve, w, users, store.server, timing));
    const floored = workloads.filter((w) => w.floor);
    if (args.floor && floored.length > 0) {
      const floor = await startFloor(store.db, answers, floored, join(dir, `floor-${users}.log`));
      running.push(floor);
      for (const w of floored)
        rows.push(await measure(floor, w, users, `${FLOOR_NAME}, ${users.toLocaleString('en')} users`, timing));
      await stop(floor.child);
    }
    await stop(serve.child);
  }
  return rows;
}

export { BARE };

/** The floor server's name in the table (its rows add the store size). */
export const FLOOR_NAME = 'floor (node:http + required work)';
