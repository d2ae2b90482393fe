/**
 * The processes of `npm run bench:audit`: the loopback fleet (`autodisco lab fleet`), the real `autodisco audit`
 * and `autodisco worker` commands (through bench/audit-load.mjs, which records their cost), each pinned to a core
 * with taskset when it exists, and the check of every report written against the fleet's manifest.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FleetClient } from '../src/lab/fleet/categories.js';
import { domainOf, type FleetManifest } from '../src/lab/fleet/plan.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = import.meta.resolve('tsx');

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
export const PINNED = hasTaskset();

/** `node ARGS…`, on core `core` when taskset exists. */
export function node(core: number, args: string[], tsx = false): ChildProcess {
  const argv = [process.execPath, ...(tsx ? ['--import', TSX] : []), ...args];
  const [cmd, ...rest] = PINNED ? ['taskset', '-c', String(core), ...argv] : argv;
  const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
  return spawn(cmd as string, rest, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with stdout once it matches `until` (or at exit); rejects when the process fails first. */
export function output(child: ChildProcess, until?: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let errors = '';
    child[stream]?.on('data', (d: Buffer) => {
      text += d;
      if (until?.test(text)) resolve(text);
    });
    if (stream === 'stdout') {
      child.stderr?.on('data', (d: Buffer) => {
        errors = (errors + d).slice(-4000);
      });
    } else child.stdout?.resume();
    child.on('close', (code) =>
      until === undefined || until.test(text) ? resolve(text) : reject(new Error(`exit ${code}: ${errors}${text}`)),
    );
    child.on('error', reject);
  });
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('close', () => resolve()));
}

/** Peak resident memory of a running process (VmHWM), in MB. */
export function peakRssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
}

export interface Fleet {
  dns: string;
  ca: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A fresh fleet of `domains` on core 1, its addresses written to `addresses`, its manifest to `manifest`. */
export async function startFleet(domains: number, range: string, manifest: string, addresses: string): Promise<Fleet> {
  const args = ['src/cli/main.ts', 'lab', 'fleet', '--domains', String(domains), '--range', range, '--issue-first'];
  const fleet = node(1, [...args, '--out', manifest, '--addresses', addresses], true);
  const up = await output(fleet, /Ctrl-C stops the fleet/);
  return {
    dns: /give clients --dns (\S+)/.exec(up)?.[1] ?? '',
    ca: /give clients --ca (\S+)/.exec(up)?.[1] ?? '',
    process: fleet,
    async stop() {
      fleet.kill('SIGINT');
      await exited(fleet);
    },
  };
}

/** What bench/audit-load.mjs wrote for one command. */
export interface Cost {
  seconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  /** The most a full garbage collection left (NaN when none ran). */
  peakLiveMB: number;
  exitCode: number;
}

export function costOf(path: string): Cost {
  return JSON.parse(readFileSync(path, 'utf8')) as Cost;
}

/** `autodisco ARGS…` (the build) on `core`, its cost recorded in `result`; `nodeFlags` go to node itself. */
export function command(core: number, result: string, args: string[], nodeFlags: string[] = []): ChildProcess {
  return node(core, [...nodeFlags, 'bench/audit-load.mjs', result, ...args]);
}

/** CPU seconds (user + system) a running process has used so far, from /proc (clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  // The fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface Check {
  lookups: number;
  /** Lookups whose outcome is not the one the manifest expects for the domain's category and client. */
  wrong: number;
  outcomes: Record<string, number>;
}

/** Reads an NDJSON output line by line (never whole) and checks each report's outcome against the manifest. */
export async function checkReports(ndjson: string, manifestPath: string): Promise<Check> {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as FleetManifest;
  const check: Check = { lookups: 0, wrong: 0, outcomes: {} };
  for await (const line of createInterface({ input: createReadStream(ndjson), crlfDelay: Infinity })) {
    if (line === '') continue;
    const report = JSON.parse(line) as { email: string; client: FleetClient; outcome: string };
    check.lookups++;
    check.outcomes[report.outcome] = (check.outcomes[report.outcome] ?? 0) + 1;
    const category = domainOf(report.email.split('@')[1] ?? '')?.category;
    if (category === undefined || manifest.categories[category].expect[report.client].outcome !== report.outcome)
      check.wrong++;
  }
  return check;
}
