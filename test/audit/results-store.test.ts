/** The SQLite results store: results, events against the previous result, "broken since", kept reports. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { AuditResult } from '../../src/audit/results.js';
import { openResultStore } from '../../src/audit/sqlite-results.js';
import type { DiscoveryReport } from '../../src/discover/report.js';

const report = (padding: number) =>
  ({ schema: 'autodisco.discovery/1', padding: 'x'.repeat(padding) }) as unknown as DiscoveryReport;

const at = (day: number) => `2026-03-${String(day).padStart(2, '0')}T10:00:00.000Z`;

function result(day: number, over: Partial<AuditResult> = {}): AuditResult {
  return {
    domain: 'contoso.test',
    client: 'outlook-2013',
    at: at(day),
    outcome: 'settings',
    codes: [],
    certNotAfter: null,
    ms: 5,
    ...over,
  };
}

test('history: since when a domain is broken, what changed then; reports kept only where they explain a change', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'results-')), 'audit.sqlite');
  const store = openResultStore(path);
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
    const run = store.startRun(['outlook-2013'], 1);
    for (const e of store.record(run, result(day, over), report(day === 4 ? 10 : 4000)))
      raised.push(`${day} ${e.kind}`);
    store.record(run, result(day, { client: 'outlook' }), report(10));
    store.finishRun(run, false);
  }
  assert.deepEqual(raised, ['3 new-problem', '5 fixed', '6 new-problem']);
  const history = store.history('Contoso.TEST');
  assert.deepEqual(history.brokenSince, [{ client: 'outlook-2013', since: at(6), outcome: 'prompt' }]);
  assert.deepEqual(
    history.events.map((e) => [e.at, e.kind, e.previousOutcome, e.outcome, e.codes]),
    [
      [at(6), 'new-problem', 'settings', 'prompt', broken.codes],
      [at(5), 'fixed', 'prompt', 'settings', broken.codes],
      [at(3), 'new-problem', 'settings', 'prompt', broken.codes],
    ],
  );
  assert.deepEqual(
    history.latest.map((r) => [r.client, r.outcome]),
    [
      ['outlook', 'settings'],
      ['outlook-2013', 'prompt'],
    ],
  );
  assert.equal(store.runs().length, 7);
  store.close();

  const db = new Database(path, { readonly: true });
  const kept = db
    .prepare(
      "SELECT at, report, report_encoding FROM audit_results WHERE client = 'outlook-2013' AND report IS NOT NULL ORDER BY at",
    )
    .all() as { at: string; report: Buffer; report_encoding: string }[];
  // The first result, and each that raised an event; compressed when large.
  assert.deepEqual(
    kept.map((k) => [k.at, k.report_encoding]),
    [
      [at(1), 'json+gzip'],
      [at(3), 'json+gzip'],
      [at(5), 'json+gzip'],
      [at(6), 'json+gzip'],
    ],
  );
  const first = kept[0];
  assert.ok(first);
  assert.equal(JSON.parse(gunzipSync(first.report).toString()).padding.length, 4000);
  db.close();
});
