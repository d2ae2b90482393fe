/**
 * The FleetReader of the SQLite results store (sqlite-results.ts). Every list is filtered, counted and paged in
 * SQL (LIMIT/OFFSET over indexes), never in memory: a 10,000-domain store answers a page in milliseconds. The
 * summary is cached until another connection writes (PRAGMA data_version), and the trend point of a finished run
 * is computed once: a finished run never changes. Each query first writes what a results store of this process
 * holds for the end of the turn (flushPendingResults): a reader in the process that records sees every record.
 */
import Database from 'better-sqlite3';
import { AutodiscoError } from '../errors.js';
import {
  type DomainDetail,
  type FleetDomain,
  type FleetQuery,
  type FleetReader,
  type FleetSummary,
  type KeptReport,
  type OutcomeCount,
  outcomesByClient,
  type Page,
  type TrendPoint,
} from './fleet.js';
import type { RunInfo } from './results.js';
import {
  decodeReport,
  flushPendingResults,
  fromRow,
  fromRunRow,
  openSqliteResultStore,
  type ResultRow,
  type RunRow,
  type SqliteResultStore,
} from './sqlite-results.js';

/**
 * Indexes the fleet queries need besides the store's own: filters on client and outcome, and the broken domains
 * of a run (covering, so a run's count reads no table row). Created on first open when the file is writable.
 */
const FLEET_INDEXES = `
CREATE INDEX IF NOT EXISTS audit_latest_by_client ON audit_latest (client, outcome, domain);
CREATE INDEX IF NOT EXISTS audit_latest_by_outcome ON audit_latest (outcome, domain);
CREATE INDEX IF NOT EXISTS audit_results_by_run ON audit_results (run_id, domain, outcome);
`;

/** The WHERE clause of a fleet query over audit_latest, with its parameters. */
function where(q: FleetQuery): { sql: string; params: (string | number)[] } {
  const terms: string[] = [];
  const params: (string | number)[] = [];
  if (q.client) {
    terms.push('client = ?');
    params.push(q.client);
  }
  if (q.outcome === 'broken') terms.push("outcome <> 'settings'");
  else if (q.outcome) {
    terms.push('outcome = ?');
    params.push(q.outcome);
  }
  if (q.code) {
    // codes is a JSON array of upper-case codes: the quoted code matches one element exactly.
    terms.push('instr(codes, ?) > 0');
    params.push(JSON.stringify(q.code));
  }
  if (q.search) {
    terms.push('instr(domain, ?) > 0');
    params.push(q.search.toLowerCase());
  }
  return { sql: terms.length ? `WHERE ${terms.join(' AND ')}` : '', params };
}

export class SqliteFleetReader implements FleetReader {
  readonly #db: Database.Database;
  readonly #path: string;
  #history: SqliteResultStore | undefined;
  #summary: { version: number; value: FleetSummary } | undefined;
  readonly #finishedPoints = new Map<number, TrendPoint>();

  constructor(path: string) {
    this.#path = path;
    try {
      this.#db = new Database(path, { fileMustExist: true });
      this.#db.pragma('busy_timeout = 5000');
      const tables = this.#db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'audit_%'")
        .all()
        .map((r) => r.name);
      if (!['audit_runs', 'audit_results', 'audit_latest', 'audit_events'].every((t) => tables.includes(t))) {
        this.#db.close();
        throw new Error('it is not an audit results store (no audit_runs, audit_results, audit_latest tables)');
      }
      try {
        this.#db.exec(FLEET_INDEXES);
      } catch {
        // A read-only file: the queries still answer, scanning instead of seeking.
      }
    } catch (cause) {
      throw new AutodiscoError(
        'ADK_ERR_RESULTS_STORE',
        `--audit-db ${path}: cannot read the results store (${(cause as Error).message})`,
        { cause },
      );
    }
  }

  async summary(): Promise<FleetSummary> {
    flushPendingResults();
    const version = this.#db.pragma('data_version', { simple: true }) as number;
    if (this.#summary?.version === version) return this.#summary.value;
    const totals = this.#db
      .prepare<[], { domains: number; broken: number; latestAt: string | null }>(
        `SELECT COUNT(DISTINCT domain) AS domains,
                COUNT(DISTINCT CASE WHEN outcome <> 'settings' THEN domain END) AS broken,
                MAX(at) AS latestAt FROM audit_latest`,
      )
      .get() ?? { domains: 0, broken: 0, latestAt: null };
    const byClient = outcomesByClient(
      this.#db
        .prepare<[], OutcomeCount>(
          'SELECT client, outcome, COUNT(*) AS n FROM audit_latest GROUP BY client, outcome ORDER BY client',
        )
        .all(),
    );
    const codes = this.#db
      .prepare<[], { code: string; domains: number; results: number }>(
        `SELECT j.value AS code, COUNT(DISTINCT l.domain) AS domains, COUNT(*) AS results
         FROM audit_latest AS l, json_each(l.codes) AS j WHERE l.codes <> '[]'
         GROUP BY j.value ORDER BY domains DESC, code`,
      )
      .all();
    const value = { ...totals, byClient: [...byClient.values()], codes };
    this.#summary = { version, value };
    return value;
  }

  async domains(q: FleetQuery): Promise<Page<FleetDomain>> {
    flushPendingResults();
    const { sql, params } = where(q);
    const total =
      this.#db
        .prepare<(string | number)[], { n: number }>(`SELECT COUNT(DISTINCT domain) AS n FROM audit_latest ${sql}`)
        .get(...params)?.n ?? 0;
    const names = this.#db
      .prepare<(string | number)[], { domain: string }>(
        `SELECT domain FROM audit_latest ${sql} GROUP BY domain ORDER BY domain LIMIT ? OFFSET ?`,
      )
      .all(...params, q.limit, q.offset)
      .map((r) => r.domain);
    const items = new Map<string, FleetDomain>(names.map((d) => [d, { domain: d, results: [] }]));
    if (names.length > 0) {
      const rows = this.#db
        .prepare<string[], ResultRow>(
          `SELECT * FROM audit_latest WHERE domain IN (${names.map(() => '?').join(',')}) ORDER BY domain, client`,
        )
        .all(...names);
      for (const row of rows) items.get(row.domain)?.results.push(fromRow(row));
    }
    return { items: [...items.values()], total, offset: q.offset, limit: q.limit };
  }

  async runs(offset: number, limit: number): Promise<Page<RunInfo>> {
    flushPendingResults();
    const total = this.#db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM audit_runs').get()?.n ?? 0;
    const items = this.#db
      .prepare<[number, number], RunRow>('SELECT * FROM audit_runs ORDER BY id DESC LIMIT ? OFFSET ?')
      .all(limit, offset)
      .map(fromRunRow);
    return { items, total, offset, limit };
  }

  async trend(limit: number): Promise<TrendPoint[]> {
    flushPendingResults();
    const runs = this.#db
      .prepare<[number], { id: number; started_at: string; finished_at: string | null }>(
        'SELECT id, started_at, finished_at FROM audit_runs ORDER BY id DESC LIMIT ?',
      )
      .all(limit)
      .reverse();
    const count = this.#db.prepare<[number], { domains: number; broken: number }>(
      `SELECT COUNT(DISTINCT domain) AS domains,
              COUNT(DISTINCT CASE WHEN outcome <> 'settings' THEN domain END) AS broken
       FROM audit_results WHERE run_id = ?`,
    );
    return runs.map((run) => {
      const kept = this.#finishedPoints.get(run.id);
      if (kept) return kept;
      const counted = count.get(run.id) ?? { domains: 0, broken: 0 };
      const point = { runId: run.id, startedAt: run.started_at, ...counted };
      if (run.finished_at !== null) this.#finishedPoints.set(run.id, point);
      return point;
    });
  }

  async domain(name: string, eventLimit: number): Promise<DomainDetail | undefined> {
    flushPendingResults();
    const domain = name.toLowerCase().replace(/\.$/, '');
    const known = this.#db.prepare('SELECT 1 FROM audit_latest WHERE domain = ? LIMIT 1').get(domain);
    if (!known) return undefined;
    this.#history ??= openSqliteResultStore(this.#path);
    const history = this.#history.historyNow(domain, eventLimit);
    const kept = this.#db.prepare<[string, string], { at: string; report: Buffer; report_encoding: string }>(
      `SELECT at, report, report_encoding FROM audit_results
       WHERE domain = ? AND client = ? AND report IS NOT NULL ORDER BY at DESC LIMIT 1`,
    );
    const reports: KeptReport[] = [];
    for (const result of history.latest) {
      const row = kept.get(domain, result.client);
      if (row)
        reports.push({ client: result.client, at: row.at, report: decodeReport(row.report, row.report_encoding) });
    }
    return { ...history, reports };
  }

  async close(): Promise<void> {
    await this.#history?.close();
    this.#db.close();
  }
}
