/**
 * The ResultStore on PostgreSQL: what `audit`, `watch` and any number of `worker`s share. Same semantics as
 * SQLite's (sqlite-results.ts): every result of every run, the latest per domain and client, the events, and the
 * full report kept only where it explains something (first result, or one that raised an event).
 *
 * Concurrent writers: record() is one transaction that first takes a transaction-scoped advisory lock on the
 * (domain, client) pair, so each result is compared with the one committed before it, never with a stale one;
 * and a row per (run, address, client) in autodisco_audit_recorded makes a second record of the same result (a
 * job retried after its worker died, or recorded by both the worker and the audit) store nothing and answer the
 * events the first one raised.
 */
import { createHash } from 'node:crypto';
import type { Sql } from 'postgres';
import type { DiscoveryReport, Outcome, ProfileName } from '../../discover/report.js';
import {
  type AuditEvent,
  type AuditResult,
  compareResults,
  type DomainHistory,
  type ResultStore,
  type RunInfo,
} from '../results.js';
import { encodeReport, fromRunRow, type RunRow } from '../sqlite-results.js';
import { connectResults } from './connect.js';

/** A row of autodisco_audit_results or autodisco_audit_latest (codes is jsonb: an array already). */
export interface PgResultRow {
  domain: string;
  client: string;
  at: string;
  outcome: string;
  codes: string[];
  cert_not_after: string | null;
  ms: number | null;
}

export function fromPgRow(row: PgResultRow): AuditResult {
  return {
    domain: row.domain,
    client: row.client as ProfileName,
    at: row.at,
    outcome: row.outcome as Outcome,
    codes: row.codes,
    certNotAfter: row.cert_not_after,
    ms: row.ms,
  };
}

/** What autodisco_audit_recorded keys on: a digest, so that the table holds no address. */
function addressKey(report: DiscoveryReport): string {
  return createHash('sha256')
    .update((report.email ?? '').toLowerCase())
    .digest('hex')
    .slice(0, 32);
}

/** The domain as stored: lower case, no trailing dot (as SQLite's history() takes it). */
export const normalDomain = (domain: string) => domain.toLowerCase().replace(/\.$/, '');

/** The results of one domain (latest, since when broken, events), read the same way by the store and the fleet. */
export async function readHistory(sql: Sql, domain: string, limit: number): Promise<DomainHistory> {
  const name = normalDomain(domain);
  const latest = (
    await sql<PgResultRow[]>`SELECT * FROM autodisco_audit_latest WHERE domain = ${name} ORDER BY client`
  ).map(fromPgRow);
  const brokenSince: DomainHistory['brokenSince'] = [];
  for (const result of latest) {
    if (result.outcome === 'settings') continue;
    // The first result after the last one with settings (or the very first result).
    const [lastGood] = await sql<{ at: string }[]>`
      SELECT at FROM autodisco_audit_results WHERE domain = ${name} AND client = ${result.client}
      AND outcome = 'settings' ORDER BY at DESC LIMIT 1`;
    const [since] = await sql<{ at: string }[]>`
      SELECT at FROM autodisco_audit_results WHERE domain = ${name} AND client = ${result.client}
      AND at > ${lastGood?.at ?? ''} ORDER BY at ASC LIMIT 1`;
    brokenSince.push({ client: result.client, since: since?.at ?? result.at, outcome: result.outcome });
  }
  const events = (
    await sql<{ detail: AuditEvent }[]>`
      SELECT detail FROM autodisco_audit_events WHERE domain = ${name} ORDER BY at DESC, id DESC LIMIT ${limit}`
  ).map((row) => row.detail);
  return { domain: name, latest, brokenSince, events };
}

export class PostgresResultStore implements ResultStore {
  private constructor(
    readonly sql: Sql,
    readonly label: string,
    readonly sharedId: string,
  ) {}

  /** Connects and creates or migrates the results tables (`field`: the option that named the URL, for messages). */
  static async open(url: string, field = '--db'): Promise<PostgresResultStore> {
    const { sql, label } = await connectResults(url, { field, create: true });
    const [row] = await sql<{ id: string }[]>`SELECT id::text AS id FROM autodisco_results_store LIMIT 1`;
    return new PostgresResultStore(sql, label, row?.id ?? '');
  }

  async startRun(clients: readonly ProfileName[], addresses: number): Promise<number> {
    const [row] = await this.sql<{ id: number }[]>`
      INSERT INTO autodisco_audit_runs (started_at, clients, addresses)
      VALUES (${new Date().toISOString()}, ${clients.join(',')}, ${addresses}) RETURNING id`;
    return row?.id ?? 0;
  }

  async record(runId: number, result: AuditResult, report: DiscoveryReport): Promise<AuditEvent[]> {
    const address = addressKey(report);
    return this.sql.begin(async (tx) => {
      // Writers of the same domain and client wait for each other; other pairs go on side by side.
      await tx`SELECT pg_advisory_xact_lock(hashtext(${result.domain}), hashtext(${result.client}))`;
      const claimed = await tx`
        INSERT INTO autodisco_audit_recorded (run_id, address, client) VALUES (${runId}, ${address}, ${result.client})
        ON CONFLICT DO NOTHING RETURNING 1`;
      if (claimed.length === 0) {
        const [done] = await tx<{ events: AuditEvent[] | null }[]>`
          SELECT events FROM autodisco_audit_recorded
          WHERE run_id = ${runId} AND address = ${address} AND client = ${result.client}`;
        return done?.events ?? [];
      }
      const [previousRow] = await tx<PgResultRow[]>`
        SELECT * FROM autodisco_audit_latest WHERE domain = ${result.domain} AND client = ${result.client}`;
      const previous = previousRow ? fromPgRow(previousRow) : null;
      const events = compareResults(previous, result, runId);
      const encoded = previous === null || events.length > 0 ? encodeReport(report) : null;
      // The driver encodes a json(b)-typed parameter itself (a JSON string would be encoded twice); events go as
      // text cast to json, which keeps their key order (a jsonb parameter would not).
      const codes = tx.json(result.codes);
      await tx`
        INSERT INTO autodisco_audit_results
          (run_id, domain, client, at, outcome, codes, cert_not_after, ms, report, report_encoding)
        VALUES (${runId}, ${result.domain}, ${result.client}, ${result.at}, ${result.outcome}, ${codes},
          ${result.certNotAfter}, ${result.ms}, ${encoded?.data ?? null}, ${encoded?.encoding ?? null})
        ON CONFLICT (run_id, domain, client) DO UPDATE SET at = excluded.at, outcome = excluded.outcome,
          codes = excluded.codes, cert_not_after = excluded.cert_not_after, ms = excluded.ms,
          report = excluded.report, report_encoding = excluded.report_encoding`;
      await tx`
        INSERT INTO autodisco_audit_latest (domain, client, run_id, at, outcome, codes, cert_not_after, ms)
        VALUES (${result.domain}, ${result.client}, ${runId}, ${result.at}, ${result.outcome}, ${codes},
          ${result.certNotAfter}, ${result.ms})
        ON CONFLICT (domain, client) DO UPDATE SET run_id = excluded.run_id, at = excluded.at,
          outcome = excluded.outcome, codes = excluded.codes, cert_not_after = excluded.cert_not_after,
          ms = excluded.ms`;
      for (const e of events) {
        await tx`
          INSERT INTO autodisco_audit_events (run_id, at, domain, client, kind, detail)
          VALUES (${runId}, ${e.at}, ${e.domain}, ${e.client}, ${e.kind}, ${JSON.stringify(e)}::text::json)`;
      }
      await tx`
        UPDATE autodisco_audit_recorded SET events = ${JSON.stringify(events)}::text::json
        WHERE run_id = ${runId} AND address = ${address} AND client = ${result.client}`;
      return events;
    });
  }

  async finishRun(runId: number, interrupted: boolean): Promise<void> {
    await this.sql`
      UPDATE autodisco_audit_runs SET finished_at = ${new Date().toISOString()}, interrupted = ${interrupted}
      WHERE id = ${runId}`;
  }

  history(domain: string, limit = 50): Promise<DomainHistory> {
    return readHistory(this.sql, domain, limit);
  }

  async *latest(): AsyncIterable<AuditResult> {
    // A cursor: 10,000 domains are streamed in slices, never held at once.
    const query = this.sql<PgResultRow[]>`SELECT * FROM autodisco_audit_latest ORDER BY domain, client`;
    for await (const rows of query.cursor(500)) {
      for (const row of rows) yield fromPgRow(row);
    }
  }

  async runs(limit = 20): Promise<RunInfo[]> {
    return (await this.sql<RunRow[]>`SELECT * FROM autodisco_audit_runs ORDER BY id DESC LIMIT ${limit}`).map(
      fromRunRow,
    );
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
