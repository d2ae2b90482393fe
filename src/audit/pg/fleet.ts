/**
 * The FleetReader of the PostgreSQL results store (pg/results.ts), for `serve --audit-db postgres://…`. As the
 * SQLite reader: every list filtered, counted and paged in SQL over indexes (the migration creates them, a GIN
 * index for finding codes among them), never in memory; the trend point of a finished run is computed once.
 * The summary is not cached: workers on other machines write at any time, and its queries read one small table.
 */
import type { Sql } from 'postgres';
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
} from '../fleet.js';
import type { RunInfo } from '../results.js';
import { decodeReport, fromRunRow, type RunRow } from '../sqlite-results.js';
import { connectResults } from './connect.js';
import { fromPgRow, normalDomain, type PgResultRow, readHistory } from './results.js';

export class PostgresFleetReader implements FleetReader {
  readonly #finishedPoints = new Map<number, TrendPoint>();

  private constructor(readonly sql: Sql) {}

  /** The reader, or undefined while the database holds no results tables (no audit has written there yet). */
  static async open(url: string, field: string): Promise<PostgresFleetReader | undefined> {
    const { sql, hasSchema } = await connectResults(url, { field, create: false, max: 5 });
    if (!hasSchema) {
      await sql.end({ timeout: 1 });
      return undefined;
    }
    return new PostgresFleetReader(sql);
  }

  /** The WHERE clause of a fleet query over autodisco_audit_latest. */
  #where(q: FleetQuery) {
    const sql = this.sql;
    const terms = [];
    if (q.client) terms.push(sql`client = ${q.client}`);
    if (q.outcome === 'broken') terms.push(sql`outcome <> 'settings'`);
    else if (q.outcome) terms.push(sql`outcome = ${q.outcome}`);
    // codes is a jsonb array: containment is answered by its GIN index.
    if (q.code) terms.push(sql`codes @> ${sql.json([q.code])}`);
    if (q.search) terms.push(sql`strpos(domain, ${q.search.toLowerCase()}) > 0`);
    const [first, ...rest] = terms;
    if (first === undefined) return sql``;
    return rest.reduce((all, term) => sql`${all} AND ${term}`, sql`WHERE ${first}`);
  }

  async summary(): Promise<FleetSummary> {
    const sql = this.sql;
    const [totals] = await sql<{ domains: number; broken: number; latestAt: string | null }[]>`
      SELECT COUNT(DISTINCT domain)::int AS domains,
             COUNT(DISTINCT CASE WHEN outcome <> 'settings' THEN domain END)::int AS broken,
             MAX(at) AS "latestAt" FROM autodisco_audit_latest`;
    const byClient = outcomesByClient(
      await sql<OutcomeCount[]>`
        SELECT client, outcome, COUNT(*)::int AS n FROM autodisco_audit_latest GROUP BY client, outcome ORDER BY client`,
    );
    const codes = await sql<{ code: string; domains: number; results: number }[]>`
      SELECT j.code COLLATE "C" AS code, COUNT(DISTINCT l.domain)::int AS domains, COUNT(*)::int AS results
      FROM autodisco_audit_latest AS l, jsonb_array_elements_text(l.codes) AS j(code)
      WHERE l.codes <> '[]'::jsonb GROUP BY 1 ORDER BY domains DESC, code`;
    return {
      ...(totals ?? { domains: 0, broken: 0, latestAt: null }),
      byClient: [...byClient.values()],
      codes: [...codes],
    };
  }

  async domains(q: FleetQuery): Promise<Page<FleetDomain>> {
    const sql = this.sql;
    const [count] = await sql<{ n: number }[]>`
      SELECT COUNT(DISTINCT domain)::int AS n FROM autodisco_audit_latest ${this.#where(q)}`;
    const names = (
      await sql<{ domain: string }[]>`
        SELECT domain FROM autodisco_audit_latest ${this.#where(q)}
        GROUP BY domain ORDER BY domain LIMIT ${q.limit} OFFSET ${q.offset}`
    ).map((r) => r.domain);
    const items = new Map<string, FleetDomain>(names.map((d) => [d, { domain: d, results: [] }]));
    if (names.length > 0) {
      const rows = await sql<PgResultRow[]>`
        SELECT * FROM autodisco_audit_latest WHERE domain = ANY(${names}::text[]) ORDER BY domain, client`;
      for (const row of rows) items.get(row.domain)?.results.push(fromPgRow(row));
    }
    return { items: [...items.values()], total: count?.n ?? 0, offset: q.offset, limit: q.limit };
  }

  async runs(offset: number, limit: number): Promise<Page<RunInfo>> {
    const [count] = await this.sql<{ n: number }[]>`SELECT COUNT(*)::int AS n FROM autodisco_audit_runs`;
    const items = (
      await this.sql<RunRow[]>`SELECT * FROM autodisco_audit_runs ORDER BY id DESC LIMIT ${limit} OFFSET ${offset}`
    ).map(fromRunRow);
    return { items, total: count?.n ?? 0, offset, limit };
  }

  async trend(limit: number): Promise<TrendPoint[]> {
    const runs = (
      await this.sql<{ id: number; started_at: string; finished_at: string | null }[]>`
        SELECT id, started_at, finished_at FROM autodisco_audit_runs ORDER BY id DESC LIMIT ${limit}`
    ).reverse();
    const points: TrendPoint[] = [];
    for (const run of runs) {
      const kept = this.#finishedPoints.get(run.id);
      if (kept) {
        points.push(kept);
        continue;
      }
      const [counted] = await this.sql<{ domains: number; broken: number }[]>`
        SELECT COUNT(DISTINCT domain)::int AS domains,
               COUNT(DISTINCT CASE WHEN outcome <> 'settings' THEN domain END)::int AS broken
        FROM autodisco_audit_results WHERE run_id = ${run.id}`;
      const point = { runId: run.id, startedAt: run.started_at, ...(counted ?? { domains: 0, broken: 0 }) };
      if (run.finished_at !== null) this.#finishedPoints.set(run.id, point);
      points.push(point);
    }
    return points;
  }

  async domain(name: string, eventLimit: number): Promise<DomainDetail | undefined> {
    const domain = normalDomain(name);
    const known = await this.sql`SELECT 1 FROM autodisco_audit_latest WHERE domain = ${domain} LIMIT 1`;
    if (known.length === 0) return undefined;
    const history = await readHistory(this.sql, domain, eventLimit);
    const reports: KeptReport[] = [];
    for (const result of history.latest) {
      const [row] = await this.sql<{ at: string; report: Buffer; report_encoding: string }[]>`
        SELECT at, report, report_encoding FROM autodisco_audit_results
        WHERE domain = ${domain} AND client = ${result.client} AND report IS NOT NULL ORDER BY at DESC LIMIT 1`;
      if (row)
        reports.push({ client: result.client, at: row.at, report: decodeReport(row.report, row.report_encoding) });
    }
    return { ...history, reports };
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
