/**
 * What the fleet pages and /api/v1/audits read from the results store: the latest result of every domain and
 * client (filtered and paged on the store's side, so that a fleet of 10,000 domains stays fast), the runs, the
 * broken domains per run, and one domain's history with its latest kept reports. Read-only: the audit and watch
 * commands write the store (results.ts); serve only reads it.
 */
import type { DiscoveryReport, Outcome, ProfileName } from '../discover/report.js';
import type { AuditResult, DomainHistory, RunInfo } from './results.js';

/** `broken`: any outcome but settings. */
export type OutcomeFilter = Outcome | 'broken';

export interface FleetQuery {
  client?: ProfileName | undefined;
  outcome?: OutcomeFilter | undefined;
  /** A finding code the result must have. */
  code?: string | undefined;
  /** Part of the domain name. */
  search?: string | undefined;
  offset: number;
  limit: number;
}

export interface FleetDomain {
  domain: string;
  /** The latest result of each client audited for this domain, by client name. */
  results: AuditResult[];
}

export interface FleetSummary {
  domains: number;
  /** Domains with at least one client that gets no settings. */
  broken: number;
  /** The time of the newest result. */
  latestAt: string | null;
  byClient: { client: ProfileName; settings: number; prompt: number; failed: number }[];
  /** Distinct domains and results per finding code, most domains first. */
  codes: { code: string; domains: number; results: number }[];
}

export interface TrendPoint {
  runId: number;
  startedAt: string;
  domains: number;
  /** Domains of the run with at least one client that got no settings. */
  broken: number;
}

export interface KeptReport {
  client: ProfileName;
  /** When this report was made: the latest result of a client keeps its report only when something changed. */
  at: string;
  report: DiscoveryReport;
}

export interface DomainDetail extends DomainHistory {
  reports: KeptReport[];
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

/** Promise-returning: the SQLite reader (sqlite-fleet.ts) and the PostgreSQL one (pg/fleet.ts) answer alike. */
export interface FleetReader {
  summary(): Promise<FleetSummary>;
  domains(query: FleetQuery): Promise<Page<FleetDomain>>;
  runs(offset: number, limit: number): Promise<Page<RunInfo>>;
  /** Oldest first, the last `limit` runs. */
  trend(limit: number): Promise<TrendPoint[]>;
  /** undefined when the store has no result for the domain. */
  domain(name: string, eventLimit: number): Promise<DomainDetail | undefined>;
  close(): Promise<void>;
}

/** A row of `SELECT client, outcome, COUNT(*) … GROUP BY client, outcome`. */
export interface OutcomeCount {
  client: string;
  outcome: string;
  n: number;
}

/** The summary's per-client counts from the grouped rows, in the rows' order (both stores order by client). */
export function outcomesByClient(rows: Iterable<OutcomeCount>): Map<string, FleetSummary['byClient'][number]> {
  const byClient = new Map<string, FleetSummary['byClient'][number]>();
  for (const row of rows) {
    const entry = byClient.get(row.client) ?? { client: row.client as ProfileName, settings: 0, prompt: 0, failed: 0 };
    if (row.outcome === 'settings' || row.outcome === 'prompt' || row.outcome === 'failed') entry[row.outcome] = row.n;
    byClient.set(row.client, entry);
  }
  return byClient;
}
