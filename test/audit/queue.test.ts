/**
 * `audit --queue` with `autodisco worker`, over a real throw-away redis-server and a lab of customer domains:
 * two workers share the jobs (every address done exactly once), a worker killed outright loses no address (its
 * jobs come back to another worker once their locks expire), SIGTERM lets a worker finish what it holds, and a
 * queued run's results equal an in-process run's. Plus the usage errors of the new options.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import postgres from 'postgres';
import { openResultStore } from '../../src/audit/open-results.js';
import { AUDIT_QUEUE_NAME, BullmqAuditQueue, redisClient } from '../../src/audit/queue/bullmq.js';
import { DeadLetterError, redisConnection } from '../../src/audit/queue/redis-url.js';
import type { AuditResult, ResultStore } from '../../src/audit/results.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { parseScenario } from '../../src/lab/scenario.js';
import { type CliResult, cli, spawnCli } from '../helpers/cli.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';

// The audit fixture's lab, moved to a range of its own; slow.test leads to a server that accepts and never answers.
const RANGE = '127.84.0.0/24';
const SILENT = '127.84.5.200';
const SCENARIO = readFileSync(new URL('../fixtures/audit/fleet.yaml', import.meta.url), 'utf8').replaceAll(
  '127.78.5.200',
  SILENT,
);

let redis: RedisServer;
let lab: RunningLab;
let dir: string;
let queue: Queue;
let queueClient: ReturnType<typeof redisClient>;
const silent: Server[] = [];
const held = new Set<Socket>();

before(async () => {
  redis = await startRedis();
  lab = await startLab(parseScenario(SCENARIO, 'fleet.yaml'), { range: RANGE });
  for (const port of [443, 80]) {
    const server = createServer((socket) => {
      held.add(socket);
      socket.on('error', () => undefined);
      socket.resume();
      socket.on('close', () => held.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, SILENT, resolve));
    silent.push(server);
  }
  dir = mkdtempSync(join(tmpdir(), 'audit-queue-'));
  queueClient = redisClient(redisConnection(redis.url));
  queue = new Queue(AUDIT_QUEUE_NAME, { connection: queueClient });
});

after(async () => {
  await queue?.close();
  await queueClient?.quit();
  for (const s of held) s.destroy();
  await Promise.all(silent.map((s) => new Promise((r) => s.close(r))));
  await lab?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const LOOKUP = () => ['--dns', lab.dns, '--ca', lab.caFile, '--timeout', '1500'];
/** Short locks, so that a killed worker's jobs come back within seconds rather than 30. */
const FAST_STALL = ['--lock-duration', '1000', '--stalled-interval', '500'];

function write(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

interface Worker {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startWorker(extra: string[] = []): Promise<Worker> {
  const child = spawnCli(['worker', '--queue', redis.url, ...LOOKUP(), ...extra]);
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
      if (/taking audit jobs/.test(stderr)) resolve();
    });
    child.on('close', (code) => reject(new Error(`worker exited with ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await ready;
  return { child, stderr: () => stderr, exited };
}

async function stopWorker(worker: Worker): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  await worker.exited;
}

/** (email, client) → "outcome codes…" from NDJSON, asserting that no pair appears twice. */
function outcomes(ndjson: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of ndjson.trimEnd().split('\n')) {
    const r = JSON.parse(line) as { email: string; client: string; outcome: string; findings: { code: string }[] };
    const key = `${r.email} ${r.client}`;
    assert.ok(!map.has(key), `${key} appears twice`);
    map.set(key, `${r.outcome} ${[...new Set(r.findings.map((f) => f.code))].sort().join(',')}`);
  }
  return map;
}

async function until(condition: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `text` matched literally inside a RegExp. */
const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

async function latestOf(store: ResultStore): Promise<AuditResult[]> {
  const all: AuditResult[] = [];
  for await (const r of store.latest()) all.push(r);
  return all;
}

const FAST = ['good.test', 'trap.test', 'nothing.test', 'a.many.test', 'b.many.test', 'c.many.test'];
const SLOW = ['s1.slow.test', 's2.slow.test', 's3.slow.test', 's4.slow.test'];

describe('audit --queue with workers', () => {
  test('two workers share the jobs: every address exactly once, outcomes equal to an in-process run, stored once', async () => {
    const input = write('fast.txt', FAST);
    const local = await cli(['audit', input, '--ndjson', '--no-db', '--no-progress', ...LOOKUP()]);
    assert.equal(local.code, 1, local.stderr);
    const workers = await Promise.all([startWorker(['--concurrency', '2']), startWorker(['--concurrency', '2'])]);
    const db = join(dir, 'shared.sqlite');
    let queued: CliResult;
    try {
      queued = await cli(['audit', input, '--ndjson', '--db', db, '--no-progress', '--queue', redis.url]);
    } finally {
      await Promise.all(workers.map(stopWorker));
    }
    assert.equal(queued.code, 1, queued.stderr);
    assert.match(
      queued.stderr,
      /6 address\(es\) go to the workers of redis:\/\/127\.0\.0\.1:\d+\/? as run run-[0-9a-f]+/,
    );
    const expected = outcomes(local.stdout);
    assert.equal(expected.size, FAST.length * 2);
    assert.deepEqual(outcomes(queued.stdout), expected);
    const store = await openResultStore(db);
    try {
      assert.equal((await latestOf(store)).length, FAST.length * 2);
      assert.equal((await store.runs())[0]?.addresses, FAST.length);
    } finally {
      await store.close();
    }
    for (const w of workers) assert.match(w.stderr(), /stopped/);
  });

  test('two workers with --db postgres:// record the results themselves: equal to an in-process run, each once, even with the audit gone', async () => {
    const pg: PgCluster = await startPostgres();
    try {
      const url = await pg.createDatabase();
      const shown = url.replace(`:${pg.password}@`, '@');
      const input = write('pg.txt', FAST);
      const localDb = join(dir, 'local.sqlite');
      const local = await cli(['audit', input, '--ndjson', '--db', localDb, '--no-progress', ...LOOKUP()]);
      assert.equal(local.code, 1, local.stderr);

      // The audit enqueues under a run of the database, then is stopped before any worker runs: the workers
      // still record every result there.
      const args = ['audit', input, '--ndjson', '--db', url, '--no-progress', '--queue', redis.url];
      const child = spawnCli([...args, '--queue-run', 'pg-gone']);
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr?.on('data', (d: Buffer) => {
          stderr += d;
          if (/go to the workers/.test(stderr)) resolve();
        });
        child.on('close', (code) => reject(new Error(`audit exited with ${code}: ${stderr}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.kill('SIGINT');
      assert.equal(await exited, 130, stderr);
      const workers = await Promise.all([
        startWorker(['--concurrency', '2', '--db', url]),
        startWorker(['--concurrency', '2', '--db', url]),
      ]);
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      let queued: CliResult;
      try {
        for (const w of workers) {
          assert.match(w.stderr(), new RegExp(`results recorded in ${shown.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')};`));
          assert.doesNotMatch(w.stderr(), new RegExp(pg.password));
        }
        const count = async (run: number) =>
          (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM autodisco_audit_results WHERE run_id = ${run}`)[0]
            ?.n ?? 0;
        await until(async () => (await count(1)) === FAST.length * 2, 'the workers to record run 1 without the audit');
        // A whole audit with the workers: the audit records what they already did, and nothing twice.
        queued = await cli(args);
        assert.equal(queued.code, 1, queued.stderr);
        assert.equal(await count(2), FAST.length * 2);
        const [recorded] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM autodisco_audit_recorded`;
        assert.equal(recorded?.n, FAST.length * 2 * 2, 'one row per run, address and client');
        const runs = await sql<{ id: number; interrupted: boolean; finished: boolean }[]>`
          SELECT id, interrupted, finished_at IS NOT NULL AS finished FROM autodisco_audit_runs ORDER BY id`;
        assert.deepEqual(
          runs.map((r) => [r.id, r.interrupted, r.finished]),
          [
            [1, true, true],
            [2, false, true],
          ],
        );
      } finally {
        await sql.end();
        await Promise.all(workers.map(stopWorker));
      }
      assert.deepEqual(outcomes(queued.stdout), outcomes(local.stdout));
      assert.match(
        queued.stdout + queued.stderr,
        new RegExp(
          `Results stored in ${esc(shown)} \\(run 2\\); see \\(with the password in PGPASSWORD\\) npx autodisco audit history DOMAIN --db ${esc(shown)}\n`,
        ),
      );
      // The stored latest results equal the in-process run's, domain by domain and client by client.
      const facts = async (location: string) => {
        const store = await openResultStore(location);
        try {
          return (await latestOf(store)).map((r) => `${r.domain} ${r.client} ${r.outcome} ${r.codes.join(',')}`);
        } finally {
          await store.close();
        }
      };
      assert.deepEqual(await facts(url), await facts(localDb));
      assert.equal((await facts(url)).length, FAST.length * 2);
    } finally {
      await pg.stop();
    }
  });

  test('a worker killed with SIGKILL mid-run loses no address: another worker takes its jobs', async () => {
    const input = write('slow.txt', [...SLOW, ...FAST.slice(0, 2)]);
    const doomed = await startWorker(['--concurrency', '8', ...FAST_STALL]);
    const audit = cli(['audit', input, '--ndjson', '--no-db', '--no-progress', '--queue', redis.url], {
      timeoutMs: 55_000,
    });
    await until(async () => (await queue.getActiveCount()) >= SLOW.length, 'the first worker to hold the slow jobs');
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const rescuer = await startWorker(['--concurrency', '8', ...FAST_STALL]);
    let run: CliResult;
    try {
      run = await audit;
    } finally {
      await stopWorker(rescuer);
    }
    assert.equal(run.code, 1, run.stderr);
    const got = outcomes(run.stdout);
    assert.equal(got.size, (SLOW.length + 2) * 2, run.stdout);
    for (const domain of SLOW) assert.match(got.get(`postmaster@${domain} outlook`) ?? '', /^failed /);
    assert.match(got.get('postmaster@good.test outlook') ?? '', /^settings /);
  });

  test('--recycle-after: the lookups move to a fresh process every N jobs, losing none; the worker stays one service', async () => {
    const input = write('recycle.txt', FAST);
    const local = await cli(['audit', input, '--ndjson', '--no-db', '--no-progress', ...LOOKUP()]);
    const worker = await startWorker(['--concurrency', '1', '--recycle-after', '2']);
    let queued: CliResult;
    try {
      queued = await cli(['audit', input, '--ndjson', '--no-db', '--no-progress', '--queue', redis.url]);
    } finally {
      await stopWorker(worker);
    }
    assert.equal(queued.code, 1, queued.stderr);
    assert.deepEqual(outcomes(queued.stdout), outcomes(local.stdout));
    // BullMQ hands a worker its next job as it completes one, so a process may make one more than its share.
    const handed = [...worker.stderr().matchAll(/process (\d+) has taken its share \(--recycle-after 2\)/g)];
    assert.ok(handed.length >= 2, worker.stderr());
    const pids = new Set(handed.map((m) => Number(m[1])));
    assert.equal(pids.size, handed.length, 'a new process each time');
    assert.ok(!pids.has(worker.child.pid as number), 'the service itself (its PID) never makes lookups');
    assert.ok((worker.stderr().match(/has ended; a fresh process takes over \(--recycle-after\)/g)?.length ?? 0) >= 1);
    // A handover is not a stop: "stopped" is said once, at the end.
    assert.equal(worker.stderr().match(/autodisco worker: stopped\n/g)?.length, 1, worker.stderr());
    assert.match(worker.stderr(), /stopped\n$/);
  });

  test('SIGTERM: a worker finishes the jobs it holds, then exits 0', async () => {
    const input = write(
      'term.txt',
      SLOW.map((d) => d.replace(/^s/, 't')),
    );
    const worker = await startWorker(['--concurrency', '8']);
    const audit = cli(['audit', input, '--ndjson', '--no-db', '--no-progress', '--queue', redis.url], {
      timeoutMs: 55_000,
    });
    await until(async () => (await queue.getActiveCount()) >= SLOW.length, 'the worker to hold every job');
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, worker.stderr());
    assert.match(worker.stderr(), /finishing the jobs in hand/);
    // Nothing was left for another worker: the audit completes with the jobs the stopping worker finished.
    const run = await audit;
    assert.equal(run.code, 1, run.stderr);
    assert.equal(outcomes(run.stdout).size, SLOW.length * 2);
  });
});

describe('stopping a worker at once', () => {
  test('a second signal stops a busy worker at once (exit 130): its jobs are left to the lock expiry, not finished', async () => {
    const input = write(
      'twice.txt',
      SLOW.map((d) => d.replace(/^s/, 'u')),
    );
    const worker = await startWorker(['--concurrency', '8', ...FAST_STALL]);
    const audit = cli(['audit', input, '--ndjson', '--no-db', '--no-progress', '--queue', redis.url], {
      timeoutMs: 55_000,
    });
    await until(async () => (await queue.getActiveCount()) >= SLOW.length, 'the worker to hold every job');
    worker.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 130, worker.stderr());
    assert.ok(Date.now() - signalled < 3000, `stopped ${Date.now() - signalled} ms after the second signal`);
    assert.match(worker.stderr(), /stopping now; the jobs in hand go to another worker once their locks expire/);
    assert.doesNotMatch(worker.stderr(), /stopped\n/);
    // Another worker takes the jobs once their locks lapse: the audit still gets every address.
    const rescuer = await startWorker(['--concurrency', '8', ...FAST_STALL]);
    try {
      const run = await audit;
      assert.equal(outcomes(run.stdout).size, SLOW.length * 2, run.stderr);
    } finally {
      await stopWorker(rescuer);
    }
  });
});

describe('re-attaching and failing jobs', () => {
  test('--queue-run: the same run again enqueues nothing twice and gets the results already made', async () => {
    const input = write('again.txt', FAST.slice(0, 3));
    const worker = await startWorker(['--concurrency', '4']);
    const args = ['audit', input, '--ndjson', '--no-db', '--no-progress', '--queue', redis.url];
    try {
      const first = await cli([...args, '--queue-run', 'nightly-1']);
      assert.equal(first.code, 1, first.stderr);
      const jobs = await queue.getJobCountByTypes('completed', 'failed', 'wait', 'active', 'delayed');
      const second = await cli([...args, '--queue-run', 'nightly-1']);
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, /as run nightly-1/);
      assert.equal(await queue.getJobCountByTypes('completed', 'failed', 'wait', 'active', 'delayed'), jobs);
      assert.deepEqual(outcomes(second.stdout), outcomes(first.stdout));
    } finally {
      await stopWorker(worker);
    }
  });

  test('Ctrl-C leaves the jobs queued; --queue-run collects what the workers made meanwhile', async () => {
    const input = write('later.txt', FAST.slice(0, 2));
    const args = [
      'audit',
      input,
      '--ndjson',
      '--no-db',
      '--no-progress',
      '--queue',
      redis.url,
      '--queue-run',
      'late-1',
    ];
    // No worker yet: the audit waits; Ctrl-C stops the waiting only.
    const child = spawnCli(args);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d;
        if (/go to the workers/.test(stderr)) resolve();
      });
      child.on('close', (code) => reject(new Error(`audit exited with ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /The workers go on with the queued addresses; add --queue-run late-1 to collect them\./);
    assert.equal(await queue.getJobCountByTypes('wait'), 2);
    const worker = await startWorker();
    try {
      const later = await cli(args);
      // trap.test's outlook-2013 lookup ends at a prompt: exit 1.
      assert.equal(later.code, 1, later.stderr);
      assert.equal(outcomes(later.stdout).size, 4);
    } finally {
      await stopWorker(worker);
    }
  });

  test('a job that keeps failing is tried 3 times, then stays in the failed set and is reported', async () => {
    const worker = await startWorker();
    const remote = new BullmqAuditQueue(redisConnection(redis.url), 'broken');
    const errors: unknown[] = [];
    try {
      // A client no worker knows: the engine throws at every attempt.
      const job = { target: { email: 'postmaster@good.test', domain: 'good.test', line: 1 }, clients: ['nope'] };
      await remote.run(
        [job as never],
        () => assert.fail('no result expected'),
        (_, error) => errors.push(error),
      );
    } finally {
      await remote.close();
      await stopWorker(worker);
    }
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof DeadLetterError);
    assert.match(
      String(errors[0]),
      /failed 3 times on the workers \(.+\); job broken\.[0-9a-f]{32} stays in the failed set of queue autodisco-audit/,
    );
    const failed = await queue.getFailed();
    const kept = failed.find((j) => j.id?.startsWith('broken.'));
    assert.equal(kept?.attemptsMade, 3);
  });
});

describe('usage', () => {
  const cases: [string[], RegExp][] = [
    [['--queue', 'http://127.0.0.1:6379'], /--queue "http:\/\/127\.0\.0\.1:6379": expected redis:\/\/HOST:PORT/],
    [['--queue-run', 'run-1'], /--queue-run run-1: give --queue redis:\/\/HOST:PORT too/],
    [['--queue', 'redis://127.0.0.1:1', '--dns', '127.0.0.1'], /--dns with --queue: the workers make the lookups/],
  ];
  for (const [args, message] of cases) {
    test(`audit ${args.join(' ')}: one line, exit 2`, async () => {
      const run = await cli(['audit', write('one.txt', ['good.test']), '--no-progress', ...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /secret/);
    });
  }

  test('--db postgres:// that does not answer: audit and worker say so in one line, without the password, exit 1', async () => {
    const url = 'postgres://u:secret@127.0.0.1:1/results';
    const expected =
      /^autodisco: --db postgres:\/\/u@127\.0\.0\.1:1\/results: cannot reach PostgreSQL at 127\.0\.0\.1:1 \(connection refused\); check that the server runs and listens there/;
    const audit = await cli(['audit', write('one.txt', ['good.test']), '--no-progress', '--no-db', '--db', url]);
    const worker = await cli(['worker', '--queue', 'redis://127.0.0.1:1', '--db', url]);
    for (const run of [audit, worker]) {
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, expected);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /secret/);
    }
  });

  test('worker --db with a file: exit 2, a worker writes results only to PostgreSQL', async () => {
    const run = await cli(['worker', '--queue', 'redis://127.0.0.1:1', '--db', 'data/audit.sqlite']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /^autodisco: --db data\/audit\.sqlite: a worker writes results only to PostgreSQL \(postgres:\/\/USER@HOST:PORT\/DB, the database the audit's --db names\)/,
    );
  });

  test('worker without --queue, or with a bad number: one line, exit 2', async () => {
    const missing = await cli(['worker']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--queue is missing: give the Redis of the audits, e.g\. redis:\/\/HOST:6379/);
    const bad = await cli(['worker', '--queue', 'redis://127.0.0.1:1', '--concurrency', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency "0": expected a whole number from 1 to 10000/);
    const recycle = await cli(['worker', '--queue', 'redis://127.0.0.1:1', '--recycle-after', 'often']);
    assert.equal(recycle.code, 2);
    assert.match(recycle.stderr, /--recycle-after "often": expected a whole number from 0 to 1000000000/);
    assert.equal(recycle.stderr.trimEnd().split('\n').length, 1, 'said once, by the worker, before any process starts');
    // An empty value (an unset variable in a unit file) is not 0, which would turn recycling off without a word.
    const empty = await cli(['worker', '--queue', 'redis://127.0.0.1:1', '--recycle-after', '']);
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, /--recycle-after "": expected a whole number from 0 to 1000000000/);
  });

  test('audit --queue at a Redis that does not answer: one line naming the URL without its password, exit 1', async () => {
    // A port that accepts and never answers: ioredis would wait (and retry) forever.
    const run = await cli([
      'audit',
      write('one.txt', ['good.test']),
      '--no-db',
      '--no-progress',
      '--queue',
      `redis://:pw-secret@${SILENT}:80`,
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /--queue redis:\/\/:\*\*\*@127\.84\.5\.200:80\/?: Redis did not answer within 10 s/);
    assert.doesNotMatch(run.stderr, /pw-secret/);
  });
});
