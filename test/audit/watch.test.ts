/**
 * `autodisco watch` and its webhook, with a real receiver on loopback: signatures checked the way a receiver
 * would check them, retries with backoff, no retry on a refusal, a timeout retried; then the whole command
 * against a lab: two runs, events on stdout and to the webhook, /metrics labelled by domain and client only.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deliver, SIGNATURE_HEADER, type WebhookPayload } from '../../src/audit/webhook.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { parseScenario } from '../../src/lab/scenario.js';
import { cli, spawnCli } from '../helpers/cli.js';
import { startPostgres } from '../helpers/postgres.js';

const SECRET = 'correct horse battery staple';

interface Received {
  body: string;
  signatureOk: boolean;
}

/** A webhook receiver that answers each POST with the next status of `script` (then 200), or not at all (0). */
class Receiver {
  readonly received: Received[] = [];
  server!: Server;
  url = '';

  constructor(
    readonly script: number[],
    readonly address = '127.0.0.1',
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
        const given = Buffer.from(String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? ''));
        this.received.push({ body, signatureOk: given.length === expected.length && timingSafeEqual(given, expected) });
        const status = this.script.shift() ?? 200;
        if (status === 0) return; // never answers
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, this.address, resolve));
    const address = this.server.address();
    this.url = `http://${this.address}:${typeof address === 'object' && address ? address.port : 0}/hook`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

const payload: WebhookPayload = {
  schema: 'autodisco.watch-events/1',
  run: { id: 7, startedAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:01:00.000Z' },
  events: [],
};

describe('webhook delivery', () => {
  test('signed body; 503 and 429 are retried with backoff until it is taken', async () => {
    const receiver = new Receiver([503, 429]);
    await receiver.start();
    const started = Date.now();
    const result = await deliver({ url: receiver.url, secret: SECRET, backoffMs: 50 }, payload);
    await receiver.stop();
    assert.deepEqual(result, { ok: true, attempts: 3, status: 200 });
    assert.ok(Date.now() - started >= 150, 'waited 50 ms, then 100 ms');
    assert.equal(receiver.received.length, 3);
    assert.ok(receiver.received.every((r) => r.signatureOk && JSON.parse(r.body).run.id === 7));
  });

  test('a refusal (4xx) is not retried; a receiver that never answers is retried, then given up', async () => {
    const refusing = new Receiver([401]);
    await refusing.start();
    assert.deepEqual(await deliver({ url: refusing.url, secret: SECRET, backoffMs: 10 }, payload), {
      ok: false,
      attempts: 1,
      reason: 'HTTP 401',
    });
    await refusing.stop();
    const silent = new Receiver([0, 0, 0]);
    await silent.start();
    const result = await deliver(
      { url: silent.url, secret: SECRET, backoffMs: 10, attempts: 3, timeoutMs: 200 },
      payload,
    );
    await silent.stop();
    assert.deepEqual(result, { ok: false, attempts: 3, reason: 'no answer in time' });
    assert.equal(silent.received.length, 3);
  });
});

describe('watch', () => {
  let lab: RunningLab;
  let dir: string;
  before(async () => {
    const text = readFileSync(new URL('../fixtures/audit/fleet.yaml', import.meta.url), 'utf8');
    lab = await startLab(parseScenario(text, 'fleet.yaml'), { range: '127.79.0.0/24' });
    dir = mkdtempSync(join(tmpdir(), 'watch-'));
  });
  after(async () => {
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two runs: events of the first on stdout and to the webhook (after a retry), none for the unchanged second; /metrics', async () => {
    const receiver = new Receiver([500]);
    await receiver.start();
    const input = join(dir, 'domains.txt');
    writeFileSync(input, 'good.test\ntrap.test\nnothing.test\n');
    const db = join(dir, 'watch.sqlite');
    const child = spawnCli(
      [
        'watch',
        input,
        '--every',
        '3s',
        '--jitter',
        '0',
        '--runs',
        '2',
        '--db',
        db,
        '--dns',
        lab.dns,
        '--ca',
        lab.caFile,
        '--timeout',
        '2000',
        '--webhook',
        receiver.url,
        '--webhook-secret',
        'HOOK_KEY',
        '--metrics',
        '127.79.9.1:9465',
      ],
      { HOOK_KEY: SECRET },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d;
    });
    const firstRun = new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d;
        if (/run \d+: 3 address/.test(stderr)) resolve();
      });
      child.once('close', (code) => reject(new Error(`watch exited (${code}) before its first run ended: ${stderr}`)));
    });
    await firstRun;
    const metrics = await (await fetch('http://127.79.9.1:9465/metrics')).text();
    const code = await new Promise((r) => child.once('close', r));
    await receiver.stop();
    assert.equal(code, 0, stderr);

    // Run 1 sees trap.test and nothing.test for the first time with problems: four events; run 2 none.
    const events = stdout.trimEnd().split('\n');
    assert.equal(events.length, 4, stdout);
    assert.ok(events.some((l) => /trap\.test outlook-2013: new problem: prompt \(first audit\)/.test(l)));
    assert.match(stderr, /run \d+: 3 address\(es\).*; 4 event\(s\)/);
    assert.match(stderr, /run \d+: 3 address\(es\).*; 0 event\(s\)/);
    assert.match(stderr, /webhook: attempt 1 failed \(HTTP 500\); retrying in 1000 ms/);
    // Each run was made by a process of its own, started for it (watch-round.ts: Node 20 keeps memory per handshake).
    const pids = [...stderr.matchAll(/\(process (\d+)\)/g)].map((m) => Number(m[1]));
    assert.equal(pids.length, 2, stderr);
    assert.equal(new Set([...pids, child.pid]).size, 3, `two run processes, neither the watch: ${pids} ${child.pid}`);

    assert.equal(receiver.received.length, 2, 'one failed attempt, one delivery; nothing for run 2');
    assert.ok(receiver.received.every((r) => r.signatureOk));
    const body = JSON.parse(receiver.received[1]?.body ?? '{}');
    assert.equal(body.schema, 'autodisco.watch-events/1');
    assert.deepEqual(
      body.events
        .map((e: { domain: string; client: string; kind: string }) => `${e.domain} ${e.client} ${e.kind}`)
        .sort(),
      [
        'nothing.test outlook new-problem',
        'nothing.test outlook-2013 new-problem',
        'trap.test outlook new-problem',
        'trap.test outlook-2013 new-problem',
      ],
    );

    assert.match(metrics, /autodisco_audit_outcome\{domain="trap\.test",client="outlook-2013"\} 1/);
    assert.match(metrics, /autodisco_audit_outcome\{domain="nothing\.test",client="outlook"\} 2/);
    assert.match(metrics, /autodisco_audit_settings_obtained\{domain="good\.test",client="outlook"\} 1/);
    assert.match(metrics, /autodisco_audit_certificate_days_left\{domain="good\.test",client="outlook"\} \d+/);
    assert.doesNotMatch(metrics, /@/, 'never an address in a label');

    const history = await cli(['audit', 'history', 'trap.test', '--db', db]);
    assert.equal(history.code, 0);
    assert.match(history.stdout, /outlook-2013: without settings \(prompt\) since 20/);
    assert.match(
      history.stdout,
      /new problem: prompt \(first audit\); new findings CERT_NAME_MISMATCH, ROOT_DOMAIN_BLOCKS_FALLBACK/,
    );
  });

  test('--db postgres://: two runs kept in PostgreSQL, events of the first only, the history from there', async () => {
    const pg = await startPostgres();
    try {
      const url = await pg.createDatabase();
      const input = join(dir, 'pg-domains.txt');
      writeFileSync(input, 'good.test\ntrap.test\nnothing.test\n');
      const lookup = ['--dns', lab.dns, '--ca', lab.caFile, '--timeout', '2000'];
      const args = ['watch', input, '--every', '1s', '--jitter', '0', '--runs', '2', '--db', url, ...lookup];
      const run = await cli([...args, '--metrics', '127.79.9.2:0'], { timeoutMs: 60_000 });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trimEnd().split('\n').length, 4, run.stdout);
      assert.match(run.stderr, /run 1: 3 address\(es\).*; 4 event\(s\)/);
      assert.match(run.stderr, /run 2: 3 address\(es\).*; 0 event\(s\)/);
      assert.doesNotMatch(run.stderr, new RegExp(pg.password));
      const history = await cli(['audit', 'history', 'trap.test', '--db', url, '--json']);
      assert.equal(history.code, 0, history.stderr);
      const parsed = JSON.parse(history.stdout) as { brokenSince: { client: string }[]; events: unknown[] };
      assert.deepEqual(
        parsed.brokenSince.map((b) => b.client),
        ['outlook-2013'],
      );
      assert.equal(parsed.events.length, 2);
    } finally {
      await pg.stop();
    }
  });

  /** The process making the watch's run now, if any (Linux: the children of its main thread). */
  function runProcessOf(pid: number): number | undefined {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return children === '' ? undefined : Number(children.split(' ')[0]);
  }

  /** Running: it exists and is not a zombie waiting to be reaped. */
  function alive(pid: number): boolean {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  }

  /** Polls `probe` until it gives a value. */
  async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let value = probe(); ; value = probe()) {
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A watch whose first run takes half a minute: 5,000 addresses, one at a time. */
  function slowWatch(name: string) {
    const input = join(dir, `${name}.txt`);
    writeFileSync(input, Array.from({ length: 5000 }, (_, i) => `user${i}@good.test\n`).join(''));
    const args = [
      'watch',
      input,
      '--every',
      '1h',
      '--runs',
      '2',
      '--concurrency',
      '1',
      '--db',
      join(dir, `${name}.sqlite`),
    ];
    const child = spawnCli([...args, '--dns', lab.dns, '--ca', lab.caFile, '--timeout', '2000']);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
    });
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    return { child, closed, stderr: () => stderr };
  }

  test('Ctrl-C during a run: its process finishes the lookups in flight, the run is stored as far as it got, watch exits 0', async () => {
    const watch = slowWatch('interrupted');
    const pid = watch.child.pid as number;
    const run = await until('the run has a process', () => runProcessOf(pid));
    await new Promise((r) => setTimeout(r, 1500));
    watch.child.kill('SIGINT');
    const code = await watch.closed;
    assert.equal(code, 0, watch.stderr());
    assert.match(watch.stderr(), /stopping: the run in progress finishes its lookups in flight/);
    const summary = /run 1: 5000 address\(es\).*; (\d+) settings, (\d+) prompt, (\d+) failed/.exec(watch.stderr());
    assert.ok(summary, watch.stderr());
    const looked = Number(summary[1]) + Number(summary[2]) + Number(summary[3]);
    assert.ok(looked > 0 && looked < 10_000, `stopped part way: ${looked} of 10,000 lookups`);
    assert.doesNotMatch(watch.stderr(), /next run at/);
    assert.equal(alive(run), false, 'the run process is gone');
  });

  test('watch killed outright (SIGKILL): its run process notices and stops too, leaving nothing behind', async () => {
    const watch = slowWatch('killed');
    const pid = watch.child.pid as number;
    const run = await until('the run has a process', () => runProcessOf(pid));
    await new Promise((r) => setTimeout(r, 1000));
    // 'exit', not 'close': the run's process shares the watch's stderr, which closes only when it is gone too.
    const exited = new Promise((resolve) => watch.child.once('exit', resolve));
    watch.child.kill('SIGKILL');
    await exited;
    // Not the half minute the whole run would take: it stops at once, after its lookups in flight.
    await until('the run process has stopped', () => (alive(run) ? undefined : true), 3_000);
  });

  test('FILE unreadable at a later run: that run audits the list read before; Ctrl-C between runs says no run is in progress', async () => {
    const input = join(dir, 'moving.txt');
    writeFileSync(input, 'good.test\n');
    const args = ['watch', input, '--every', '1s', '--jitter', '0', '--runs', '5', '--db', join(dir, 'moving.sqlite')];
    const child = spawnCli([...args, '--dns', lab.dns, '--ca', lab.caFile, '--timeout', '2000']);
    let stderr = '';
    const seen = (pattern: RegExp) =>
      until(`stderr matches ${pattern}`, () => (pattern.test(stderr) ? true : undefined), 30_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
    });
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    await seen(/run \d+: 1 address/);
    rmSync(input);
    await seen(/run \d+: 1 address[\s\S]*run \d+: 1 address[\s\S]*next run at/);
    child.kill('SIGINT');
    assert.equal(await closed, 0, stderr);
    assert.match(stderr, /FILE \S+moving\.txt: cannot read the file \(ENOENT\); this run audits the list read before/);
    assert.match(stderr, /stopping: no run in progress; watch exits/);
  });

  test('usage: --webhook without a secret, a bad --every, --no-db, FILE -', async () => {
    const input = join(dir, 'one.txt');
    writeFileSync(input, 'good.test\n');
    for (const [args, message] of [
      [['--every', '1h', '--webhook', 'http://127.0.0.1:9/x'], /--webhook needs --webhook-secret/],
      [['--every', 'hourly'], /--every "hourly": expected a duration such as 30s/],
      [['--every', '1h', '--no-db'], /watch compares each run with the stored previous one/],
    ] as const) {
      const run = await cli(['watch', input, ...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
    }
    // Standard input cannot be read again at the next run: refused at once rather than exiting 13 with nothing said.
    const stdin = await cli(['watch', '-', '--every', '1h']);
    assert.equal(stdin.code, 2, stdin.stderr);
    assert.match(stdin.stderr, /FILE -: watch reads FILE again at every run, standard input only once; give a file/);
  });
});
