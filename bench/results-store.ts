/**
 * CPU per report of the SQLite results store (src/audit/sqlite-results.ts), on real reports:
 *   node --import tsx bench/results-store.ts REPORTS.ndjson [--count N] [--per-turn 1,8,32] [--ndjson] [--store MODULE]
 * REPORTS.ndjson: what `autodisco audit … --ndjson --out FILE` writes against a lab fleet (`autodisco lab fleet`).
 * The reports are cycled, each under a domain of its own, to --count results (default 5,000), and recorded
 * --per-turn at a time (the callers of one turn of the event loop; 1 = each awaited before the next). Two passes
 * into a fresh file: "first" (every domain new, so every report is kept, gzip-compressed) and "again" (the same
 * results once more: no event, nothing kept, the steady state of an hourly watch). --store: another module
 * exporting openSqliteResultStore (e.g. a copy of an older version) to compare with. --ndjson: each report goes
 * through the NDJSON writer first (to a sink that drops it), as in `audit --ndjson --db`: the CPU counted then
 * includes the writer's serialisation, which the store reuses.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AuditTarget } from '../src/audit/input.js';
import { createWriter } from '../src/audit/outputs.js';
import { type ResultStore, resultOf } from '../src/audit/results.js';
import type { DiscoveryReport } from '../src/discover/report.js';

const args = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const at = args.indexOf(name);
  return at >= 0 ? (args.splice(at, 2)[1] ?? fallback) : fallback;
}
const count = Number(option('--count', '5000'));
const perTurn = option('--per-turn', '1,8,32').split(',').map(Number);
const ndjson = args.includes('--ndjson');
if (ndjson) args.splice(args.indexOf('--ndjson'), 1);
const storeModule = option('--store', resolve(import.meta.dirname, '../src/audit/sqlite-results.ts'));
const file = args[0];
if (!file) {
  process.stderr.write(
    'usage: node --import tsx bench/results-store.ts REPORTS.ndjson [--count N] [--per-turn 1,8,32]\n',
  );
  process.exit(2);
}
const { openSqliteResultStore } = (await import(pathToFileURL(storeModule).href)) as {
  openSqliteResultStore(path: string): ResultStore;
};

const reports = readFileSync(file, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as DiscoveryReport);
const at = new Date().toISOString();
const target: AuditTarget = { email: 'postmaster@bench.test', domain: 'bench.test', line: 1 };
const writer = createWriter('ndjson', { write() {}, close() {} }, ['outlook', 'outlook-2013'], true);
/** Fresh report objects for a pass: what the store or the writer made of a report object is not reused. */
const results = () =>
  Array.from({ length: count }, (_, i) => {
    const report = structuredClone(reports[i % reports.length] as DiscoveryReport);
    return { result: resultOf(`d${String(i).padStart(6, '0')}.bench.test`, report, at), report };
  });

/** CPU µs per result of one pass, recorded `batch` per turn. */
async function pass(store: ResultStore, runId: number, batch: number): Promise<number> {
  const items = results();
  const before = process.cpuUsage();
  for (let i = 0; i < items.length; i += batch) {
    await Promise.all(
      items.slice(i, i + batch).map(({ result, report }) => {
        if (ndjson) writer.report(target, report);
        return store.record(runId, result, report);
      }),
    );
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / items.length;
}

process.stdout.write(
  `${count} results from ${reports.length} reports of ${file}${ndjson ? ', each written as NDJSON first' : ''}; store ${storeModule}\n`,
);
process.stdout.write('per turn | first: µs CPU per result | again: µs CPU per result\n');
for (const batch of perTurn) {
  const dir = mkdtempSync(join(tmpdir(), 'results-bench-'));
  const store = openSqliteResultStore(join(dir, 'audit.sqlite'));
  const run = await store.startRun(['outlook', 'outlook-2013'], count);
  const first = await pass(store, run, batch);
  const again = await pass(store, await store.startRun(['outlook', 'outlook-2013'], count), batch);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${String(batch).padStart(8)} | ${first.toFixed(1).padStart(24)} | ${again.toFixed(1)}\n`);
}
