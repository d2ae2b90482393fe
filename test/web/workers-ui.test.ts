/**
 * The web UI with `serve --workers 2`: requests land on both workers (the primary hands connections round-robin),
 * so a diagnosis started on one is followed live (SSE) from the other, read as running (202) by both, and the cap
 * on diagnoses running at once holds for the two workers together. Both settings backends: an SQLite file and a
 * PostgreSQL database (throw-away cluster).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadBuiltinScenario } from '../../src/lab/builtin.js';
import { startLab } from '../../src/lab/lab.js';
import type { RunningLab } from '../../src/lab/types.js';
import { EXAMPLE_CONFIG } from '../helpers/app.js';
import { cli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';

interface Answer {
  status: number;
  body: string;
}

/** One request on a connection of its own (no keep-alive pool): each is handed to a worker anew. */
function fresh(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The events of an SSE answer, in order. */
const sseEvents = (body: string) =>
  body
    .split('\n\n')
    .filter((b) => b.startsWith('event: '))
    .map((b) => ({ event: /^event: (.*)$/m.exec(b)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(b)?.[1] ?? 'null') }));

const backends: [string, (dir: string) => Promise<{ db: string; stop: () => Promise<void> }>][] = [
  ['sqlite', async (dir) => ({ db: join(dir, 'db.sqlite'), stop: async () => {} })],
  [
    'postgres',
    async () => {
      const cluster: PgCluster = await startPostgres();
      return { db: await cluster.createDatabase(), stop: () => cluster.stop() };
    },
  ],
];

for (const [name, start] of backends) {
  describe(`serve --ui --workers 2 (${name})`, () => {
    let dir: string;
    let lab: RunningLab;
    let backend: { db: string; stop: () => Promise<void> };
    let child: ChildProcess;
    let base: string;
    let token: string;
    let stderr = '';
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'adk-workers-ui-'));
      backend = await start(dir);
      assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', backend.db], { cwd: dir })).code, 0);
      const user = await cli(['admin', 'add-user', 'ops', '--db', backend.db, '--password-env', 'P'], {
        env: { P: 'a long enough password' },
        cwd: dir,
      });
      assert.equal(user.code, 0, user.stderr);
      const tokenRun = await cli(['admin', 'add-token', 'ops', '--label', 'test', '--db', backend.db], { cwd: dir });
      assert.equal(tokenRun.code, 0, tokenRun.stderr);
      token = tokenRun.stdout.trim();
      // The website answers after 1.5 s, so the diagnosis is surely still running when the test looks at it from
      // both workers (the lab alone answers in a few hundred milliseconds: too close to call on a fast machine).
      const trap = loadBuiltinScenario('root-domain-trap');
      const slowed = {
        ...trap,
        hosts: trap.hosts.map((h) =>
          h.name !== 'web'
            ? h
            : {
                ...h,
                routes: h.routes.map((r) => ({
                  ...r,
                  // biome-ignore lint/suspicious/noThenProperty: scenario data (a delayed answer), never awaited
                  answer: { delayMs: 1500, then: r.answer },
                })),
              },
        ),
      };
      lab = await startLab(slowed as typeof trap, {
        range: name === 'sqlite' ? '127.114.0.0/24' : '127.114.1.0/24',
        dnsPort: 0,
      });
      child = spawnCli(
        [
          'serve',
          '--db',
          backend.db,
          '--http',
          '127.0.0.1:0',
          '--workers',
          '2',
          '--ui',
          '--allow-private',
          '--max-diagnoses',
          '1',
          '--diagnose-dns',
          lab.dns,
          '--diagnose-ca',
          lab.caFile,
        ],
        undefined,
        dir,
      );
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d;
      });
      const out = await waitForOutput(child, /Ctrl-C stops/);
      assert.match(out, /workers 2 processes/);
      base = /http +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
      assert.ok(base, out);
    });
    after(async () => {
      child?.kill('SIGTERM');
      await new Promise((r) => child?.once('exit', r));
      await lab?.close();
      await backend?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test('a diagnosis started on one worker is followed live from both; the cap holds for both workers', async () => {
      const auth = { authorization: `Bearer ${token}` };
      const started = await fresh(`${base}/api/v1/diagnoses`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ email: lab.scenario.email, client: 'all' }),
      });
      assert.equal(started.status, 202, started.body);
      const { id, events } = JSON.parse(started.body) as { id: string; events: string };
      // Four streams on four connections, opened at once while it runs: two of them on the other worker.
      const t0 = Date.now();
      const streaming = Promise.all([0, 1, 2, 3].map(() => fresh(`${base}${events}`, { headers: auth })));

      // --max-diagnoses 1: whichever worker gets them, the next two are refused while the first runs.
      for (let i = 0; i < 2; i++) {
        const busy = await fresh(`${base}/api/v1/diagnoses`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ email: lab.scenario.email, client: 'outlook' }),
        });
        assert.equal(busy.status, 503, busy.body);
        assert.match(JSON.parse(busy.body).message, /^1 diagnoses are running, the most this server runs at once/);
      }
      // Running, as both workers see it (after the streams were opened: they follow it live).
      const running = await Promise.all([0, 1].map(() => fresh(`${base}/api/v1/diagnoses/${id}`, { headers: auth })));
      for (const r of running) assert.equal(r.status, 202, r.body);
      assert.equal(JSON.parse(running[0]?.body ?? '{}').status, 'running');

      const streams = await streaming;
      process.stdout.write(`# the diagnosis streamed for ${Date.now() - t0} ms\n`);
      for (const stream of streams) {
        assert.equal(stream.status, 200);
        const list = sseEvents(stream.body);
        const kinds = list.map((e) => e.event);
        assert.equal(kinds.at(-1), 'done', stream.body.slice(-300));
        assert.equal(kinds.filter((k) => k === 'start').length, 5, 'every client, from its start');
        assert.equal(kinds.filter((k) => k === 'report').length, 5);
        assert.ok(kinds.indexOf('step') < kinds.indexOf('report'), 'the steps, not only the reports');
        const outlook2013 = list.find((e) => e.event === 'report' && e.data.client === 'outlook-2013');
        assert.equal(outlook2013?.data.report.outcome, 'prompt');
      }
      const identical = new Set(streams.map((s) => JSON.stringify(sseEvents(s.body))));
      assert.equal(identical.size, 1, 'every worker sends the same events in the same order');

      // Finished: every worker reads the stored report, and the next diagnosis may start.
      const reads = await Promise.all([0, 1].map(() => fresh(`${base}/api/v1/diagnoses/${id}`, { headers: auth })));
      for (const r of reads) assert.equal(r.status, 200, r.body);
      const next = await fresh(`${base}/api/v1/diagnoses`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ email: lab.scenario.email, client: 'outlook' }),
      });
      assert.equal(next.status, 202, next.body);

      // The access lines say which worker answered: both answered reads of this diagnosis.
      const workers = new Set(
        stderr
          .split('\n')
          .filter((l) => l.includes(`/api/v1/diagnoses/${id}`))
          .map((l) => (JSON.parse(l) as { worker?: number }).worker),
      );
      assert.equal(workers.size, 2, `two workers answered: ${[...workers].join(', ')}`);
    });
  });
}
