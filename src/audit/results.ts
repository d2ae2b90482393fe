/**
 * The results store of audits and watch: every run, each (domain, client) result, and the events (what changed
 * from one result to the next). An interface, so that PostgreSQL can be a second adapter; SQLite
 * (sqlite-results.ts) is the default. Events are computed here, from the previous result of the same domain
 * and client, whichever run produced it: audit and watch keep the same history.
 */
import type { DiscoveryReport, Outcome, ProfileName } from '../discover/report.js';

export interface AuditResult {
  domain: string;
  client: ProfileName;
  /** ISO 8601 UTC. */
  at: string;
  outcome: Outcome;
  /** The report's finding codes, sorted, each once. */
  codes: string[];
  /** The earliest expiry among the certificates the client used (accepted certificates, settings' hosts). */
  certNotAfter: string | null;
  ms: number | null;
}

export type EventKind = 'new-problem' | 'fixed' | 'certificate-expiring';

export interface AuditEvent {
  kind: EventKind;
  domain: string;
  client: ProfileName;
  at: string;
  runId: number;
  outcome: Outcome;
  /** null the first time a domain and client are seen. */
  previousOutcome: Outcome | null;
  /** Finding codes that appeared (new-problem) or went away (fixed). */
  codes: string[];
  /** certificate-expiring: whole days left, and the date. */
  daysLeft?: number;
  certNotAfter?: string;
}

export interface RunInfo {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  clients: ProfileName[];
  addresses: number;
  interrupted: boolean;
}

export interface DomainHistory {
  domain: string;
  /** The latest result per client. */
  latest: AuditResult[];
  /** Per client whose latest outcome is not settings: when the current run of bad results began. */
  brokenSince: { client: ProfileName; since: string; outcome: Outcome }[];
  /** Newest first. */
  events: AuditEvent[];
}

/**
 * Promise-returning, so that a database server (PostgreSQL, pg-results.ts) is an adapter like SQLite
 * (sqlite-results.ts). record() of one domain and client is serialised by the store: concurrent writers (the
 * workers of a queue) compare each result with the one stored before it, never with a stale one.
 */
export interface ResultStore {
  /** What messages name: the file path, or the URL without its password. */
  readonly label: string;
  /**
   * Set when workers on other machines can write this store themselves (PostgreSQL): an id of the database's
   * results schema, which queued jobs carry with the run id so that a worker writes only into the same store.
   */
  readonly sharedId?: string | undefined;
  startRun(clients: readonly ProfileName[], addresses: number): Promise<number>;
  /** Stores a result and returns the events it raises against the previous result of the same domain and client. */
  record(runId: number, result: AuditResult, report: DiscoveryReport): Promise<AuditEvent[]>;
  finishRun(runId: number, interrupted: boolean): Promise<void>;
  history(domain: string, limit?: number): Promise<DomainHistory>;
  /** The latest result of every domain and client (for /metrics), streamed. */
  latest(): AsyncIterable<AuditResult>;
  /** The most recent runs, newest first. */
  runs(limit?: number): Promise<RunInfo[]>;
  close(): Promise<void>;
}

/** Days before expiry at which a certificate-expiring event is raised (once per threshold crossed). */
export const EXPIRY_THRESHOLDS = [30, 14, 7] as const;

const DAY_MS = 86_400_000;

export function daysLeft(notAfter: string, at: string): number {
  return Math.floor((Date.parse(notAfter) - Date.parse(at)) / DAY_MS);
}

/** The facts stored per result, from a diagnosed report. */
export function resultOf(domain: string, report: DiscoveryReport, at: string): AuditResult {
  return {
    domain,
    client: report.client,
    at,
    outcome: report.outcome,
    codes: [...new Set(report.findings.map((f) => f.code))].sort(),
    certNotAfter: usedCertificateExpiry(report),
    ms: report.timing?.wallMs ?? null,
  };
}

/**
 * The certificates a client uses: those it accepted on its way (a step whose TLS has no error) and those of the
 * hosts the settings hand out (service checks that passed). The earliest expiry of them.
 */
export function usedCertificateExpiry(report: DiscoveryReport): string | null {
  const dates: string[] = [];
  for (const step of report.steps) {
    if (step.tls && step.tls.error === null && step.tls.certificate) dates.push(step.tls.certificate.notAfter);
  }
  for (const check of report.serviceChecks ?? []) {
    if (check.result === 'ok' && check.tls?.certificate) dates.push(check.tls.certificate.notAfter);
  }
  dates.sort();
  return dates[0] ?? null;
}

/** What changed from `previous` (null: first seen) to `current`. */
export function compareResults(previous: AuditResult | null, current: AuditResult, runId: number): AuditEvent[] {
  const base = {
    domain: current.domain,
    client: current.client,
    at: current.at,
    runId,
    outcome: current.outcome,
    previousOutcome: previous?.outcome ?? null,
  };
  const events: AuditEvent[] = [];
  const before = new Set(previous?.codes ?? []);
  const now = new Set(current.codes);
  const added = current.codes.filter((c) => !before.has(c));
  const removed = (previous?.codes ?? []).filter((c) => !now.has(c));
  const worse = current.outcome !== 'settings' && previous?.outcome !== current.outcome;
  const better = previous !== null && previous.outcome !== 'settings' && current.outcome === 'settings';
  if (worse || added.length > 0) events.push({ ...base, kind: 'new-problem', codes: added });
  if (better || removed.length > 0) events.push({ ...base, kind: 'fixed', codes: removed });
  if (current.certNotAfter !== null) {
    const left = daysLeft(current.certNotAfter, current.at);
    const previousLeft =
      previous?.certNotAfter != null ? daysLeft(previous.certNotAfter, previous.at) : Number.POSITIVE_INFINITY;
    // Raised when a threshold is crossed (30, 14, 7 days): not at every run while the date approaches.
    const crossed = EXPIRY_THRESHOLDS.some((t) => left <= t && previousLeft > t);
    if (crossed)
      events.push({
        ...base,
        kind: 'certificate-expiring',
        codes: [],
        daysLeft: left,
        certNotAfter: current.certNotAfter,
      });
  }
  return events;
}
