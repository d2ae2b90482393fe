/**
 * A throw-away PostgreSQL cluster for tests: initdb in a temporary folder, a postmaster on 127.0.0.1 at a free
 * port (its unix socket in the same folder, so it never meets a system cluster), password authentication for TCP.
 * `stop()` shuts it down and deletes the folder; `restart()` keeps the data (the "database away" tests).
 *
 * initdb and postgres refuse to run as root: as root, they run as the `postgres` OS user (the Debian package
 * creates it), through runuser. Missing binaries are an error, never a skip, in CI and on developers' machines.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from './free-port.js';

export interface PgCluster {
  /** `postgres://autodisco:<password>@127.0.0.1:<port>/postgres` */
  readonly adminUrl: string;
  readonly port: number;
  readonly password: string;
  /** A new, empty database; its URL (with the password). */
  createDatabase(): Promise<string>;
  /** Fast shutdown (connections are cut), then start again on the same port with the same data. */
  restart(awayMs?: number): Promise<void>;
  /** Stops the server only (it can be started again with start()). */
  stopServer(): void;
  startServer(): void;
  /** Stops the server and deletes everything. */
  stop(): Promise<void>;
}

/** The folder with initdb, pg_ctl and postgres: $AUTODISCO_PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function findPostgresBinaries(root = '/usr/lib/postgresql', env = process.env): string {
  const candidates: string[] = [];
  if (env['AUTODISCO_PG_BIN']) candidates.push(env['AUTODISCO_PG_BIN']);
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(root, v, 'bin'));
  }
  for (const dir of candidates) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  throw new Error(
    `PostgreSQL server binaries not found (looked in ${candidates.length > 0 ? candidates.join(', ') : '$AUTODISCO_PG_BIN and /usr/lib/postgresql/*/bin'}): install the Debian package postgresql (apt-get install postgresql), or set AUTODISCO_PG_BIN to the folder holding initdb and pg_ctl`,
  );
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program (as the postgres user when we are root); throws with its output if it fails. */
function run(bin: string, program: string, args: string[]): void {
  const [command, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]]
    : [join(bin, program), args];
  const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(
      `${program} failed (${result.error?.message ?? `exit ${result.status}`}): ${`${result.stdout}${result.stderr}`.trim()}`,
    );
  }
}

export async function startPostgres(): Promise<PgCluster> {
  const bin = findPostgresBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'autodisco-pg-'));
  if (asRoot) {
    const chown = spawnSync('chown', ['postgres:', dir]);
    if (chown.status !== 0) throw new Error(`chown postgres ${dir} failed: is there a postgres user?`);
  }
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
  run(bin, 'initdb', [
    '-D',
    data,
    '-U',
    'autodisco',
    `--pwfile=${pwfile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  rmSync(pwfile);
  const port = await freePort();
  const log = join(dir, 'server.log');
  // Durability is not what these tests are about: no fsync makes initdb and imports much faster.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  let running = false;
  const startServer = () => {
    run(bin, 'pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start']);
    running = true;
  };
  const stopServer = () => {
    if (!running) return;
    running = false;
    run(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  startServer();
  // A test that crashes must not leave a postmaster behind.
  const onExit = () => {
    try {
      if (running) run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  // Killed by a signal (a test runner's timeout, Ctrl-C), 'exit' does not run: stop the cluster, then die of it.
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    process.kill(process.pid, signal);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  const base = `postgres://autodisco:${password}@127.0.0.1:${port}`;
  let counter = 0;
  return {
    adminUrl: `${base}/postgres`,
    port,
    password,
    async createDatabase() {
      const name = `t${process.pid}_${++counter}`;
      const admin = postgres(`${base}/postgres`, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `${base}/${name}`;
    },
    async restart(awayMs = 0) {
      stopServer();
      if (awayMs > 0) await new Promise((r) => setTimeout(r, awayMs));
      startServer();
    },
    stopServer,
    startServer,
    async stop() {
      process.off('exit', onExit);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      try {
        stopServer();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
