/**
 * The default ResultStore: one SQLite file (better-sqlite3), separate from the settings store of `serve`.
 * Tables: audit_runs, audit_results (every result of every run), audit_latest (the latest result per domain and
 * client: what the next result is compared with), audit_events. The full report is kept only where it explains
 * something: the first result of a domain and client, and every result that raised an event; gzip-compressed
 * when over 2 KiB. An hourly watch of 10,000 domains thus grows by a few rows per result, not by 20,000 reports.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { DiscoveryReport, Outcome, ProfileName } from '../discover/report.js';
import { AutodiscoError } from '../errors.js';
import { reportJson } from './report-json.js';
import {
  type AuditEvent,
  type AuditResult,
  compareResults,
  type DomainHistory,
  type ResultStore,
  type RunInfo,
} from './results.js';

export const DEFAULT_RESULTS_DB = 'data/audit.sqlite';
const COMPRESS_OVER = 2048;
/**
 * zlib's level for the kept reports. Measured on 800 real reports of a 400-domain lab fleet (5.5 KB of JSON on
 * average), CPU per report: level 1 39.0 µs (27.1% of the JSON's size), 3 39.0 µs (26.6%), 4 48.1 µs (26.1%), 6
 * (zlib's default, used before) 50.8 µs (25.6%), 9 51.9 µs (25.6%); 11 µs of each is gzipSync's own cost per call.
 * Levels 1-3 take zlib's fast path: 3 compresses as well as it gets there, for a quarter less CPU than 6 and 4%
 * more bytes. decodeReport reads any level (gunzip does not depend on it): rows written at 6 stay readable.
 */
const GZIP_LEVEL = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  clients TEXT NOT NULL,
  addresses INTEGER NOT NULL,
  interrupted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS audit_results (
  run_id INTEGER NOT NULL REFERENCES audit_runs(id),
  domain TEXT NOT NULL,
  client TEXT NOT NULL,
  at TEXT NOT NULL,
  outcome TEXT NOT NULL,
  codes TEXT NOT NULL,
  cert_not_after TEXT,
  ms REAL,
  report BLOB,
  report_encoding TEXT,
  PRIMARY KEY (run_id, domain, client)
);
CREATE INDEX IF NOT EXISTS audit_results_by_domain ON audit_results (domain, client, at);
CREATE TABLE IF NOT EXISTS audit_latest (
  domain TEXT NOT NULL,
  client TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  at TEXT NOT NULL,
  outcome TEXT NOT NULL,
  codes TEXT NOT NULL,
  cert_not_after TEXT,
  ms REAL,
  PRIMARY KEY (domain, client)
);
CREATE TABLE IF NOT EXISTS audit_events (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  at TEXT NOT NULL,
  domain TEXT NOT NULL,
  client TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_by_domain ON audit_events (domain, at);
`;

/** A row of audit_results or audit_latest (same columns). */
export interface ResultRow {
  domain: string;
  client: string;
  at: string;
  outcome: string;
  codes: string;
  cert_not_after: string | null;
  ms: number | null;
}

export function fromRow(row: ResultRow): AuditResult {
  return {
    domain: row.domain,
    client: row.client as ProfileName,
    at: row.at,
    outcome: row.outcome as Outcome,
    codes: JSON.parse(row.codes) as string[],
    certNotAfter: row.cert_not_after,
    ms: row.ms,
  };
}

/** A row of the runs table, on either backend (pg/results.ts reads the same columns). */
export interface RunRow {
  id: number;
  started_at: string;
  finished_at: string | null;
  clients: string;
  addresses: number;
  /** SQLite stores 0 or 1; PostgreSQL a boolean. */
  interrupted: number | boolean;
}

export function fromRunRow(r: RunRow): RunInfo {
  return {
    id: r.id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    clients: r.clients.split(',') as ProfileName[],
    addresses: r.addresses,
    interrupted: r.interrupted === 1 || r.interrupted === true,
  };
}

/** The stored report back: encodeReport's inverse. */
export function decodeReport(data: Buffer, encoding: string): DiscoveryReport {
  const text = encoding === 'json+gzip' ? gunzipSync(data).toString('utf8') : data.toString('utf8');
  return JSON.parse(text) as DiscoveryReport;
}

export function encodeReport(report: DiscoveryReport): { data: Buffer; encoding: 'json' | 'json+gzip' } {
  const json = Buffer.from(reportJson(report));
  return json.length > COMPRESS_OVER
    ? { data: gzipSync(json, { level: GZIP_LEVEL }), encoding: 'json+gzip' }
    : { data: json, encoding: 'json' };
}

/** The SQLite store at `path` (created if missing). Callers go through open-results.ts, which also takes URLs. */
export function openSqliteResultStore(path: string): SqliteResultStore {
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    // A crash loses at most the last results, never the file's consistency: the out file is the journal.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  } catch (cause) {
    throw new AutodiscoError(
      'ADK_ERR_RESULTS_STORE',
      `--db ${path}: cannot open the results store (${(cause as Error).message})`,
      {
        cause,
      },
    );
  }
  return new SqliteResultStore(db, path);
}

/** A record() waiting for the end of its turn of the event loop. */
interface PendingRecord {
  runId: number;
  result: AuditResult;
  report: DiscoveryReport;
  resolve(events: AuditEvent[]): void;
  reject(error: unknown): void;
}

/**
 * Records held at most before a turn's batch is written at once: a caller that records thousands of reports in
 * one turn (a loop without await) does not hold them all in memory until the turn ends.
 */
const MAX_BATCH = 512;

/** The stores open in this process: their pending records are written before a reader runs and at exit. */
const openStores = new Set<SqliteResultStore>();

/**
 * Writes the records every SQLite results store of this process holds for the end of the turn. A reader on
 * another connection to the same file (sqlite-fleet.ts) calls it first, so that it sees what was recorded before;
 * and the process's exit does, so that process.exit() in the turn of a record loses nothing.
 */
export function flushPendingResults(): void {
  for (const store of openStores) store.flush();
}

function batchError(label: string, batch: readonly PendingRecord[], cause: unknown): AutodiscoError {
  const first = batch[0]?.result;
  const which = first ? `${first.domain} ${first.client}` : '';
  const what =
    batch.length === 1
      ? `the result of ${which}`
      : `the results of ${batch.length} lookups (${which} and ${batch.length - 1} more), none of them is stored`;
  return new AutodiscoError(
    'ADK_ERR_RESULTS_STORE',
    `--db ${label}: cannot store ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause },
  );
}

/**
 * record() is batched per turn of the event loop: the records of one turn are written in ONE transaction when
 * the turn ends (setImmediate), each caller answered with its own events, in the order of the calls, so two
 * results of the same domain and client in one batch compare with each other in turn, as the contract in
 * results.ts asks. A transaction per report cost its BEGIN and COMMIT (the WAL frames written at each commit)
 * per report, a third of the store's CPU in an audit's profile; one per turn costs that once for the turn (an
 * audit hands over the reports of an address's clients together: two or more per turn).
 *
 * A batch is stored whole or not at all: when its transaction fails, every record of it is rejected with the
 * same ADK_ERR_RESULTS_STORE error (how many, the first domain, the cause) and nothing of it is stored; the next
 * turn's records make a new batch. Not retried one by one: a SQLite write fails for the file (disk full, I/O
 * error, a lock held past the busy timeout, closed), not for one record, so retrying would only multiply the
 * wait by the batch's size; and an audit stops at its first failed write anyway (execute.ts).
 *
 * Every other method writes the pending batch first (synchronously), so it sees every record made before it;
 * close() does too, and so does the process's exit: a pending batch is never lost by a clean end. The turn's
 * timer keeps the event loop alive until the batch is written.
 */
export class SqliteResultStore implements ResultStore {
  readonly label: string;
  readonly #db: Database.Database;
  readonly #latest;
  readonly #insertResult;
  readonly #upsertLatest;
  readonly #insertEvent;
  readonly #writeBatch;
  #pending: PendingRecord[] = [];
  #turn: NodeJS.Immediate | undefined;

  constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.label = path;
    this.#latest = db.prepare<[string, string], ResultRow>(
      'SELECT * FROM audit_latest WHERE domain = ? AND client = ?',
    );
    this.#insertResult = db.prepare(
      `INSERT OR REPLACE INTO audit_results (run_id, domain, client, at, outcome, codes, cert_not_after, ms, report, report_encoding)
       VALUES (@runId, @domain, @client, @at, @outcome, @codes, @certNotAfter, @ms, @report, @encoding)`,
    );
    this.#upsertLatest = db.prepare(
      `INSERT OR REPLACE INTO audit_latest (domain, client, run_id, at, outcome, codes, cert_not_after, ms)
       VALUES (@domain, @client, @runId, @at, @outcome, @codes, @certNotAfter, @ms)`,
    );
    this.#insertEvent = db.prepare(
      'INSERT INTO audit_events (run_id, at, domain, client, kind, detail) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#writeBatch = db.transaction((batch: readonly PendingRecord[]): AuditEvent[][] =>
      batch.map((p) => this.#write(p.runId, p.result, p.report)),
    );
    if (openStores.size === 0) process.on('exit', flushPendingResults);
    openStores.add(this);
  }

  /** One record, inside the batch's transaction: compared with the latest row, which the records before it set. */
  #write(runId: number, result: AuditResult, report: DiscoveryReport): AuditEvent[] {
    const previousRow = this.#latest.get(result.domain, result.client);
    const previous = previousRow ? fromRow(previousRow) : null;
    const events = compareResults(previous, result, runId);
    const keep = previous === null || events.length > 0;
    const encoded = keep ? encodeReport(report) : null;
    const row = {
      runId,
      ...result,
      codes: JSON.stringify(result.codes),
      report: encoded?.data ?? null,
      encoding: encoded?.encoding ?? null,
    };
    this.#insertResult.run(row);
    this.#upsertLatest.run(row);
    for (const e of events) this.#insertEvent.run(runId, e.at, e.domain, e.client, e.kind, JSON.stringify(e));
    return events;
  }

  readonly #endTurn = () => {
    this.#turn = undefined;
    this.flush();
  };

  /** Writes the pending records now, in one transaction, and answers their callers. Never throws. */
  flush(): void {
    if (this.#turn) clearImmediate(this.#turn);
    this.#turn = undefined;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    let events: AuditEvent[][];
    try {
      events = this.#writeBatch(batch);
    } catch (cause) {
      const error = batchError(this.label, batch, cause);
      for (const p of batch) p.reject(error);
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(events[i] ?? []);
  }

  // The methods are async for the interface's sake: better-sqlite3 answers at once, in order.
  async startRun(clients: readonly ProfileName[], addresses: number): Promise<number> {
    this.flush();
    const info = this.#db
      .prepare('INSERT INTO audit_runs (started_at, clients, addresses) VALUES (?, ?, ?)')
      .run(new Date().toISOString(), clients.join(','), addresses);
    return Number(info.lastInsertRowid);
  }

  record(runId: number, result: AuditResult, report: DiscoveryReport): Promise<AuditEvent[]> {
    if (!this.#db.open) {
      return Promise.reject(
        new AutodiscoError('ADK_ERR_RESULTS_STORE', `--db ${this.label}: the results store is closed; nothing stored`),
      );
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ runId, result, report, resolve, reject });
      if (this.#pending.length >= MAX_BATCH) this.flush();
      else this.#turn ??= setImmediate(this.#endTurn);
    });
  }

  async finishRun(runId: number, interrupted: boolean): Promise<void> {
    this.flush();
    this.#db
      .prepare('UPDATE audit_runs SET finished_at = ?, interrupted = ? WHERE id = ?')
      .run(new Date().toISOString(), interrupted ? 1 : 0, runId);
  }

  async history(domain: string, limit = 50): Promise<DomainHistory> {
    return this.historyNow(domain, limit);
  }

  /** history() without the promise: the SQLite fleet reader answers from the same file. */
  historyNow(domain: string, limit = 50): DomainHistory {
    this.flush();
    const name = domain.toLowerCase().replace(/\.$/, '');
    const latest = this.#db
      .prepare<[string], ResultRow>('SELECT * FROM audit_latest WHERE domain = ? ORDER BY client')
      .all(name)
      .map(fromRow);
    const brokenSince: DomainHistory['brokenSince'] = [];
    for (const result of latest) {
      if (result.outcome === 'settings') continue;
      // The first result after the last one with settings (or the very first result).
      const lastGood = this.#db
        .prepare<[string, string], { at: string }>(
          "SELECT at FROM audit_results WHERE domain = ? AND client = ? AND outcome = 'settings' ORDER BY at DESC LIMIT 1",
        )
        .get(name, result.client);
      const since = this.#db
        .prepare<[string, string, string], { at: string }>(
          'SELECT at FROM audit_results WHERE domain = ? AND client = ? AND at > ? ORDER BY at ASC LIMIT 1',
        )
        .get(name, result.client, lastGood?.at ?? '');
      brokenSince.push({ client: result.client, since: since?.at ?? result.at, outcome: result.outcome });
    }
    const events = this.#db
      .prepare<[string, number], { detail: string }>(
        'SELECT detail FROM audit_events WHERE domain = ? ORDER BY at DESC, id DESC LIMIT ?',
      )
      .all(name, limit)
      .map((row) => JSON.parse(row.detail) as AuditEvent);
    return { domain: name, latest, brokenSince, events };
  }

  async *latest(): AsyncIterable<AuditResult> {
    this.flush();
    for (const row of this.#db.prepare<[], ResultRow>('SELECT * FROM audit_latest ORDER BY domain, client').iterate()) {
      yield fromRow(row);
    }
  }

  async runs(limit = 20): Promise<RunInfo[]> {
    this.flush();
    return this.#db
      .prepare<[number], RunRow>('SELECT * FROM audit_runs ORDER BY id DESC LIMIT ?')
      .all(limit)
      .map(fromRunRow);
  }

  /** Writes the pending batch (its callers are answered, failed or not), then closes the file. */
  async close(): Promise<void> {
    this.flush();
    openStores.delete(this);
    if (openStores.size === 0) process.off('exit', flushPendingResults);
    this.#db.close();
  }
}
