/**
 * The SQLite results store writes the records of one turn of the event loop in one transaction: what that must
 * keep of the store's contract (each result compared with the one before it, in order; every read sees every
 * record made before it; close and the process's exit lose nothing) and what a failed batch does (its records
 * reject, nothing of it is stored, the next turn's records are).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { startAudit } from '../../src/audit/execute.js';
import type { AuditTarget } from '../../src/audit/input.js';
import { createWriter } from '../../src/audit/outputs.js';
import type { RemoteQueue } from '../../src/audit/queue.js';
import type { AuditEvent, AuditResult } from '../../src/audit/results.js';
import type { AuditJob } from '../../src/audit/run.js';
import { SqliteFleetReader } from '../../src/audit/sqlite-fleet.js';
import { openSqliteResultStore, SqliteResultStore } from '../../src/audit/sqlite-results.js';
import type { DiscoveryReport } from '../../src/discover/report.js';
import { isAutodiscoError } from '../../src/errors.js';
import { auditResult, dayAt } from '../helpers/audit-results.js';

const report = (domain: string, padding = 10) =>
  ({
    schema: 'autodisco.discovery/1',
    email: `postmaster@${domain}`,
    padding: 'x'.repeat(padding),
  }) as unknown as DiscoveryReport;

const broken: Partial<AuditResult> = { outcome: 'prompt', codes: ['CERT_NAME_MISMATCH'] };

const location = () => join(mkdtempSync(join(tmpdir(), 'results-batch-')), 'audit.sqlite');

/** Counts from a connection of its own, as another process (serve's fleet pages) would read the file. */
function countRows(path: string, table: string, where = '1'): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A store whose connection counts the write transactions it runs. */
function countingStore(path: string): { store: SqliteResultStore; transactions: () => number } {
  void openSqliteResultStore(path).close(); // creates the schema
  const db = new Database(path);
  let transactions = 0;
  const original = db.transaction.bind(db);
  db.transaction = ((fn: (...args: never[]) => unknown) => {
    const run = original(fn);
    return Object.assign((...args: never[]) => {
      transactions++;
      return run(...args);
    }, run);
  }) as typeof db.transaction;
  return { store: new SqliteResultStore(db, path), transactions: () => transactions };
}

test('the records of one turn land in one transaction at its end, seen by another connection only then', async () => {
  const path = location();
  const { store, transactions } = countingStore(path);
  const run = await store.startRun(['outlook'], 200);
  const written = Array.from({ length: 200 }, (_, i) =>
    store.record(run, auditResult(1, { domain: `d${i}.test` }), report(`d${i}.test`)),
  );
  assert.equal(countRows(path, 'audit_results'), 0, 'nothing written before the turn ends');
  assert.equal(transactions(), 0);
  const events = await Promise.all(written);
  assert.equal(transactions(), 1, 'one transaction for the 200 records of the turn');
  assert.equal(countRows(path, 'audit_results'), 200);
  assert.equal(countRows(path, 'audit_latest'), 200);
  // Each caller gets its own events: the first result of each domain is no event (settings, no codes).
  assert.deepEqual(
    events.map((e) => e.length),
    Array(200).fill(0),
  );
  // A record of a later turn is a transaction of its own.
  await store.record(run, auditResult(2, { domain: 'd0.test', ...broken }), report('d0.test'));
  assert.equal(transactions(), 2);
  await store.close();
});

test('a turn that records more than 512 results writes them 512 at a time, not all held to its end', async () => {
  const path = location();
  const { store, transactions } = countingStore(path);
  const run = await store.startRun(['outlook'], 1100);
  const written = Array.from({ length: 1100 }, (_, i) =>
    store.record(run, auditResult(1, { domain: `d${i}.test` }), report(`d${i}.test`)),
  );
  assert.equal(transactions(), 2);
  assert.equal(countRows(path, 'audit_results'), 1024);
  await Promise.all(written);
  assert.equal(transactions(), 3);
  assert.equal(countRows(path, 'audit_results'), 1100);
  await store.close();
});

test('results of the same domain and client in one turn compare with each other, in the order recorded', async () => {
  const store = openSqliteResultStore(location());
  const run = await store.startRun(['outlook'], 1);
  assert.deepEqual(await store.record(run, auditResult(1), report('contoso.test')), []);
  // One turn: broken, fixed, unchanged, broken again: each compared with the one recorded just before it.
  const kinds = await Promise.all(
    [auditResult(2, broken), auditResult(3), auditResult(4), auditResult(5, broken)].map((r) =>
      store.record(run, r, report('contoso.test')).then((events) => events.map((e) => [e.kind, e.previousOutcome])),
    ),
  );
  assert.deepEqual(kinds, [[['new-problem', 'settings']], [['fixed', 'prompt']], [], [['new-problem', 'settings']]]);
  const history = await store.history('contoso.test');
  assert.deepEqual(
    history.events.map((e) => [e.at, e.kind]),
    [
      [dayAt(5), 'new-problem'],
      [dayAt(3), 'fixed'],
      [dayAt(2), 'new-problem'],
    ],
  );
  assert.deepEqual(history.brokenSince, [{ client: 'outlook', since: dayAt(5), outcome: 'prompt' }]);
  await store.close();
});

test('every read in the same turn as pending records sees them, and the fleet reader of the file too', async () => {
  const path = location();
  const store = openSqliteResultStore(path);
  const run = await store.startRun(['outlook'], 1);
  await store.record(run, auditResult(1), report('contoso.test'));
  const fleet = new SqliteFleetReader(path);
  assert.equal((await fleet.summary()).broken, 0);

  void store.record(run, auditResult(2, broken), report('contoso.test'));
  const history = store.historyNow('contoso.test');
  assert.deepEqual(
    history.latest.map((r) => [r.at, r.outcome]),
    [[dayAt(2), 'prompt']],
  );
  assert.deepEqual(
    history.events.map((e) => e.kind),
    ['new-problem'],
  );

  void store.record(run, auditResult(3), report('contoso.test'));
  const latest: string[] = [];
  for await (const r of store.latest()) latest.push(`${r.at} ${r.outcome}`);
  assert.deepEqual(latest, [`${dayAt(3)} settings`]);

  void store.record(run, auditResult(4, { domain: 'fabrikam.test', ...broken }), report('fabrikam.test'));
  // Another connection to the file, in this process: it writes the pending batch before it reads.
  const summary = await fleet.summary();
  assert.deepEqual([summary.domains, summary.broken], [2, 1]);
  assert.equal((await fleet.domain('fabrikam.test', 10))?.latest[0]?.outcome, 'prompt');

  void store.record(run, auditResult(5, { domain: 'northwind.test' }), report('northwind.test'));
  await store.finishRun(run, false);
  assert.equal(countRows(path, 'audit_latest', "domain = 'northwind.test'"), 1, 'finishRun wrote the batch first');
  await fleet.close();
  await store.close();
});

test('a batch whose transaction fails: its records reject with the cause, none is stored; the next turn is', async () => {
  const path = location();
  const store = openSqliteResultStore(path);
  const run = await store.startRun(['outlook'], 3);
  await store.record(run, auditResult(1, { domain: 'good.test' }), report('good.test'));
  // A result SQLite refuses, from another connection: the batch that holds it cannot commit.
  const other = new Database(path);
  other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON audit_results WHEN NEW.domain = 'refused.test'
              BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
  other.close();

  const batch = [
    store.record(run, auditResult(2, { domain: 'good.test', ...broken }), report('good.test')),
    store.record(run, auditResult(2, { domain: 'refused.test' }), report('refused.test')),
    store.record(run, auditResult(2, { domain: 'other.test' }), report('other.test')),
  ];
  const settled = await Promise.allSettled(batch);
  for (const s of settled) {
    assert.equal(s.status, 'rejected');
    const error = (s as PromiseRejectedResult).reason as Error;
    assert.ok(isAutodiscoError(error), String(error));
    assert.equal(error.code, 'ADK_ERR_RESULTS_STORE');
    assert.equal(
      error.message,
      `--db ${path}: cannot store the results of 3 lookups (good.test outlook and 2 more), none of them is stored: refused by the test`,
    );
  }
  // Nothing of the batch: good.test's latest is still day 1, no event, no row of other.test.
  assert.equal(countRows(path, 'audit_results'), 1);
  assert.equal(countRows(path, 'audit_events'), 0);
  assert.equal((await store.history('good.test')).latest[0]?.at, dayAt(1));

  // Not stuck: the next turn's records are stored, and compared with what was stored before the failed batch.
  const next = await store.startRun(['outlook'], 2);
  const events = await store.record(next, auditResult(3, { domain: 'good.test', ...broken }), report('good.test'));
  assert.deepEqual(
    events.map((e: AuditEvent) => [e.kind, e.previousOutcome]),
    [['new-problem', 'settings']],
  );
  assert.deepEqual(await store.record(next, auditResult(3, { domain: 'other.test' }), report('other.test')), []);
  assert.equal(countRows(path, 'audit_results'), 3);
  await assert.rejects(store.record(next, auditResult(3, { domain: 'refused.test' }), report('refused.test')), {
    code: 'ADK_ERR_RESULTS_STORE',
    message: `--db ${path}: cannot store the result of refused.test outlook: refused by the test`,
  });
  await store.close();
});

test('close writes the pending batch and answers its callers; a record after close is refused', async () => {
  const path = location();
  const store = openSqliteResultStore(path);
  const run = await store.startRun(['outlook'], 1);
  await store.record(run, auditResult(1), report('contoso.test'));
  const pending = store.record(await store.startRun(['outlook'], 1), auditResult(2, broken), report('contoso.test'));
  await store.close();
  assert.deepEqual(
    (await pending).map((e) => e.kind),
    ['new-problem'],
  );
  assert.equal(countRows(path, 'audit_results'), 2);
  await assert.rejects(store.record(run, auditResult(3), report('contoso.test')), {
    code: 'ADK_ERR_RESULTS_STORE',
    message: `--db ${path}: the results store is closed; nothing stored`,
  });
});

test('a process that exits in the turn of its last records still stores them', () => {
  const path = location();
  const script = join(mkdtempSync(join(tmpdir(), 'results-exit-')), 'exit.mts');
  const module = pathToFileURL(resolve(import.meta.dirname, '../../src/audit/sqlite-results.ts')).href;
  writeFileSync(
    script,
    `import { openSqliteResultStore } from ${JSON.stringify(module)};
const store = openSqliteResultStore(${JSON.stringify(path)});
const run = await store.startRun(['outlook'], 50);
for (let i = 0; i < 50; i++)
  void store.record(run, { domain: 'd' + i + '.test', client: 'outlook', at: '2026-03-01T10:00:00.000Z',
    outcome: 'settings', codes: [], certNotAfter: null, ms: 1 }, { padding: 'x'.repeat(3000) });
process.exit(0);
`,
  );
  execFileSync(process.execPath, ['--import', 'tsx', script], { stdio: 'pipe' });
  assert.equal(countRows(path, 'audit_results'), 50);
  assert.equal(countRows(path, 'audit_results', "report_encoding = 'json+gzip'"), 50);
});

test("an audit's finished promise resolves once its batched writes are stored", async () => {
  const path = location();
  const store = openSqliteResultStore(path);
  const targets: AuditTarget[] = Array.from({ length: 300 }, (_, i) => ({
    email: `postmaster@d${i}.test`,
    domain: `d${i}.test`,
    line: i + 1,
  }));
  // Every job answered at once, in one turn: all 300 writes wait for the end of that turn.
  const remote: RemoteQueue<AuditJob, DiscoveryReport[]> = {
    pending: 0,
    stop() {},
    async run(jobs, onResult) {
      for (const job of jobs)
        onResult(job, [
          {
            ...report(job.target.domain),
            client: 'outlook',
            outcome: 'prompt',
            findings: [{ code: 'CERT_NAME_MISMATCH' }],
            steps: [],
          } as unknown as DiscoveryReport,
        ]);
    },
  };
  const events: AuditEvent[] = [];
  const run = await startAudit({
    targets,
    clients: ['outlook'],
    engine: { timeoutMs: 1000 } as never,
    dnsServers: [],
    concurrency: 1,
    perHost: 1,
    store,
    remote,
    onEvents: (raised) => events.push(...raised),
  });
  await run.finished;
  assert.equal(events.length, 300, 'every write delivered its event before finished');
  assert.equal(countRows(path, 'audit_results'), 300);
  await store.close();
});

test('the kept report is the text of the NDJSON line, serialised once for both', async () => {
  const path = location();
  const store = openSqliteResultStore(path);
  const run = await store.startRun(['outlook'], 1);
  let serialised = 0;
  const big = report('contoso.test', 4000) as unknown as Record<string, unknown>;
  const counted = {
    ...big,
    toJSON() {
      serialised++;
      return big;
    },
  } as unknown as DiscoveryReport;
  const lines: string[] = [];
  const writer = createWriter('ndjson', { write: (text) => lines.push(text), close() {} }, ['outlook'], true);
  const target: AuditTarget = { email: 'postmaster@contoso.test', domain: 'contoso.test', line: 1 };
  writer.report(target, counted);
  await store.record(run, auditResult(1), counted);
  await store.close();
  assert.equal(serialised, 1);
  const db = new Database(path, { readonly: true });
  const row = db.prepare('SELECT report, report_encoding FROM audit_results').get() as {
    report: Buffer;
    report_encoding: string;
  };
  db.close();
  assert.equal(row.report_encoding, 'json+gzip');
  assert.equal(`${gunzipSync(row.report).toString('utf8')}\n`, lines[0]);
});
