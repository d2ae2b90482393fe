/**
 * The results store contract, run on both backends (an SQLite file; a PostgreSQL database in a throw-away
 * cluster): results, events against the previous result, "broken since", kept reports; and, on PostgreSQL,
 * concurrent writers (the workers of a queue): nothing lost, nothing stored twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { openResultStore } from '../../src/audit/open-results.js';
import type { AuditResult } from '../../src/audit/results.js';
import type { DiscoveryReport } from '../../src/discover/report.js';
import { auditResult, dayAt } from '../helpers/audit-results.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';

const report = (padding: number, email = 'postmaster@contoso.test') =>
  ({ schema: 'autodisco.discovery/1', email, padding: 'x'.repeat(padding) }) as unknown as DiscoveryReport;

const result = (day: number, over: Partial<AuditResult> = {}) => auditResult(day, { client: 'outlook-2013', ...over });

type Kept = { at: string; report: Buffer; report_encoding: string }[];

interface Backend {
  location(): Promise<string>;
  /** The stored reports of a client, oldest first, read past the store. */
  keptReports(location: string, client: string): Promise<Kept>;
  stop(): Promise<void>;
}

function sqliteBackend(): Backend {
  return {
    location: async () => join(mkdtempSync(join(tmpdir(), 'results-')), 'audit.sqlite'),
    async keptReports(location, client) {
      const db = new Database(location, { readonly: true });
      try {
        return db
          .prepare(
            'SELECT at, report, report_encoding FROM audit_results WHERE client = ? AND report IS NOT NULL ORDER BY at',
          )
          .all(client) as Kept;
      } finally {
        db.close();
      }
    },
    async stop() {},
  };
}

async function postgresBackend(): Promise<Backend & { cluster: PgCluster }> {
  const cluster = await startPostgres();
  return {
    cluster,
    location: () => cluster.createDatabase(),
    async keptReports(location, client) {
      const sql = postgres(location, { max: 1, onnotice: () => {} });
      try {
        return [
          ...(await sql<Kept>`SELECT at, report, report_encoding FROM autodisco_audit_results
            WHERE client = ${client} AND report IS NOT NULL ORDER BY at`),
        ];
      } finally {
        await sql.end();
      }
    },
    stop: () => cluster.stop(),
  };
}

const backends: [string, () => Promise<Backend>][] = [
  ['sqlite', async () => sqliteBackend()],
  ['postgres', postgresBackend],
];

for (const [name, start] of backends)
  describe(`results store: ${name}`, () => {
    let backend: Backend;
    before(async () => {
      backend = await start();
    });
    after(async () => {
      await backend.stop();
    });

    test('history: since when a domain is broken, what changed then; reports kept only where they explain a change', async () => {
      const location = await backend.location();
      const store = await openResultStore(location);
      const broken = { outcome: 'prompt' as const, codes: ['CERT_NAME_MISMATCH', 'ROOT_DOMAIN_BLOCKS_FALLBACK'] };
      const days: [number, Partial<AuditResult>][] = [
        [1, {}],
        [2, {}],
        [3, broken],
        [4, broken],
        [5, {}],
        [6, broken],
        [7, broken],
      ];
      const raised: string[] = [];
      for (const [day, over] of days) {
        const run = await store.startRun(['outlook-2013'], 1);
        for (const e of await store.record(run, result(day, over), report(day === 4 ? 10 : 4000)))
          raised.push(`${day} ${e.kind}`);
        await store.record(run, result(day, { client: 'outlook' }), report(10));
        await store.finishRun(run, false);
      }
      assert.deepEqual(raised, ['3 new-problem', '5 fixed', '6 new-problem']);
      const history = await store.history('Contoso.TEST');
      assert.deepEqual(history.brokenSince, [{ client: 'outlook-2013', since: dayAt(6), outcome: 'prompt' }]);
      assert.deepEqual(
        history.events.map((e) => [e.at, e.kind, e.previousOutcome, e.outcome, e.codes]),
        [
          [dayAt(6), 'new-problem', 'settings', 'prompt', broken.codes],
          [dayAt(5), 'fixed', 'prompt', 'settings', broken.codes],
          [dayAt(3), 'new-problem', 'settings', 'prompt', broken.codes],
        ],
      );
      assert.deepEqual(
        history.latest.map((r) => [r.client, r.outcome]),
        [
          ['outlook', 'settings'],
          ['outlook-2013', 'prompt'],
        ],
      );
      assert.equal((await store.runs()).length, 7);
      assert.deepEqual(
        (await store.runs(2)).map((r) => [r.id, r.finishedAt !== null, r.interrupted, r.clients]),
        [
          [7, true, false, ['outlook-2013']],
          [6, true, false, ['outlook-2013']],
        ],
      );
      const all: string[] = [];
      for await (const r of store.latest()) all.push(`${r.domain} ${r.client} ${r.outcome}`);
      assert.deepEqual(all, ['contoso.test outlook settings', 'contoso.test outlook-2013 prompt']);
      await store.close();

      const kept = await backend.keptReports(location, 'outlook-2013');
      // The first result, and each that raised an event; compressed when large.
      assert.deepEqual(
        kept.map((k) => [k.at, k.report_encoding]),
        [
          [dayAt(1), 'json+gzip'],
          [dayAt(3), 'json+gzip'],
          [dayAt(5), 'json+gzip'],
          [dayAt(6), 'json+gzip'],
        ],
      );
      const first = kept[0];
      assert.ok(first);
      assert.equal(JSON.parse(gunzipSync(first.report).toString()).padding.length, 4000);
    });
  });

describe('results store: postgres, concurrent writers', () => {
  let cluster: PgCluster;
  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await cluster.stop();
  });

  test('two stores (a worker and the audit) record the same run side by side: every result once, events once', async () => {
    const url = await cluster.createDatabase();
    const [a, b] = await Promise.all([openResultStore(url), openResultStore(url)]);
    assert.ok(a && b);
    assert.equal(a.sharedId, b.sharedId, 'one database, one store id');
    assert.match(a.sharedId ?? '', /^[0-9a-f-]{36}$/);
    const run = await a.startRun(['outlook', 'outlook-2013'], 200);
    const clients = ['outlook', 'outlook-2013'] as const;
    // Each result is recorded by both stores at once, as a worker with --db and the audit it reports to do.
    const returned = new Map<string, string[][]>();
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const domain = `d${i}.test`;
      for (const client of clients) {
        const r = result(1, {
          domain,
          client,
          ...(i % 4 === 0 ? { outcome: 'prompt', codes: ['CERT_NAME_MISMATCH'] } : {}),
        });
        for (const store of [a, b]) {
          jobs.push(
            store.record(run, r, report(10, `postmaster@${domain}`)).then((events) => {
              const key = `${domain} ${client}`;
              returned.set(key, [...(returned.get(key) ?? []), events.map((e) => e.kind)]);
            }),
          );
        }
      }
    }
    await Promise.all(jobs);
    await a.finishRun(run, false);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [counts] = await sql<{ results: number; latest: number; events: number; recorded: number }[]>`
        SELECT (SELECT count(*)::int FROM autodisco_audit_results) AS results,
               (SELECT count(*)::int FROM autodisco_audit_latest) AS latest,
               (SELECT count(*)::int FROM autodisco_audit_events) AS events,
               (SELECT count(*)::int FROM autodisco_audit_recorded) AS recorded`;
      assert.deepEqual(counts, { results: 400, latest: 400, events: 100, recorded: 400 });
    } finally {
      await sql.end();
    }
    // Both writers were answered the same events: the first recorded them, the second read them back.
    for (const [key, answers] of returned) {
      assert.equal(answers.length, 2, key);
      assert.deepEqual(answers[0], answers[1], key);
      const i = Number(/^d(\d+)\./.exec(key)?.[1]);
      assert.deepEqual(answers[0], i % 4 === 0 ? ['new-problem'] : [], key);
    }
    assert.equal([...returned.values()].filter((v) => v[0]?.includes('new-problem')).length, 100);
    await Promise.all([a.close(), b.close()]);
  });

  test('results of one domain and client written at once are compared in turn, none with a stale previous one', async () => {
    const url = await cluster.createDatabase();
    const stores = await Promise.all([openResultStore(url), openResultStore(url), openResultStore(url)]);
    const run = await stores[0]!.startRun(['outlook'], 30);
    // 30 addresses of one domain, alternating good and broken, recorded by three writers at once: each result
    // compares with the one committed before it, so the events alternate too, never two of a kind in a row.
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % 3]!.record(
          run,
          result(1, {
            client: 'outlook',
            ...(i % 2 ? { outcome: 'failed', codes: ['NO_AUTODISCOVER_ENDPOINT'] } : {}),
          }),
          report(10, `user${i}@contoso.test`),
        ),
      ),
    );
    const history = await stores[0]!.history('contoso.test', 100);
    const kinds = history.events.map((e) => e.kind).reverse();
    for (let i = 1; i < kinds.length; i++) assert.notEqual(kinds[i], kinds[i - 1], kinds.join(' '));
    for (const e of history.events) assert.notEqual(e.previousOutcome, e.outcome === 'failed' ? 'failed' : 'settings');
    await Promise.all(stores.map((s) => s.close()));
  });
});
