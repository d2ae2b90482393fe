/**
 * What an audit found, in constant memory: counts by client and outcome, each finding code with a few example
 * domains, and the slowest lookups. Fed one report at a time (or, on --resume, the essentials read back from
 * the out file), never holding the reports themselves.
 */
import type { DiscoveryReport, Finding, Outcome, ProfileName } from '../discover/report.js';

const EXAMPLES = 3;
const SLOWEST = 5;
const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;

/** The few facts of a report the summary needs (what --resume reads back from NDJSON or CSV). */
export interface ReportEssentials {
  domain: string;
  client: ProfileName;
  outcome: Outcome;
  findings: { code: string; severity: Finding['severity'] }[];
  ms: number | null;
}

export interface AuditSummary {
  schema: 'autodisco.audit-summary/1';
  addresses: number;
  lookups: number;
  skippedLines: number;
  /** Lookups that crashed (a bug): the address is named on stderr. */
  errors: number;
  interrupted: boolean;
  outcomes: Partial<Record<ProfileName, Record<Outcome, number>>>;
  findings: { code: string; severity: Finding['severity']; count: number; examples: string[] }[];
  slowest: { domain: string; client: ProfileName; ms: number }[];
}

export function essentials(domain: string, report: DiscoveryReport): ReportEssentials {
  return {
    domain,
    client: report.client,
    outcome: report.outcome,
    findings: report.findings.map((f) => ({ code: f.code, severity: f.severity })),
    ms: report.timing?.wallMs ?? null,
  };
}

/** The most severe finding (errors before warnings before info; the report's order within a severity). */
export function mostSevere<F extends { severity: Finding['severity'] }>(findings: readonly F[]): F | undefined {
  let best: F | undefined;
  for (const f of findings)
    if (best === undefined || SEVERITY_RANK[f.severity] < SEVERITY_RANK[best.severity]) best = f;
  return best;
}

export class SummaryBuilder {
  readonly #outcomes = new Map<ProfileName, Record<Outcome, number>>();
  readonly #findings = new Map<string, { severity: Finding['severity']; count: number; examples: string[] }>();
  #slowest: { domain: string; client: ProfileName; ms: number }[] = [];
  lookups = 0;
  errors = 0;
  skippedLines = 0;
  addresses = 0;
  interrupted = false;

  constructor(readonly clients: readonly ProfileName[]) {
    for (const c of clients) this.#outcomes.set(c, { settings: 0, prompt: 0, failed: 0 });
  }

  add(facts: ReportEssentials): void {
    this.lookups++;
    const counts = this.#outcomes.get(facts.client) ?? { settings: 0, prompt: 0, failed: 0 };
    counts[facts.outcome]++;
    this.#outcomes.set(facts.client, counts);
    // A code counts once per domain and client; the same code twice in one report is one problem.
    for (const code of new Set(facts.findings.map((f) => f.code))) {
      const severity = mostSevere(facts.findings.filter((f) => f.code === code))?.severity ?? 'info';
      const entry = this.#findings.get(code) ?? { severity, count: 0, examples: [] };
      // A code's severity may depend on the client (an error for Outlook 2013, a warning for 2016): the worst one
      // is shown, whichever lookup finished first.
      if (SEVERITY_RANK[severity] < SEVERITY_RANK[entry.severity]) entry.severity = severity;
      entry.count++;
      if (entry.examples.length < EXAMPLES && !entry.examples.includes(facts.domain)) entry.examples.push(facts.domain);
      this.#findings.set(code, entry);
    }
    if (facts.ms !== null) {
      this.#slowest.push({ domain: facts.domain, client: facts.client, ms: facts.ms });
      this.#slowest.sort((a, b) => b.ms - a.ms);
      if (this.#slowest.length > SLOWEST) this.#slowest.length = SLOWEST;
    }
  }

  /** Whether any lookup ended without settings (exit status 1). */
  get anyWithoutSettings(): boolean {
    for (const counts of this.#outcomes.values()) if (counts.prompt + counts.failed > 0) return true;
    return this.errors > 0;
  }

  counts(): Record<Outcome, number> {
    const total = { settings: 0, prompt: 0, failed: 0 };
    for (const c of this.#outcomes.values()) {
      total.settings += c.settings;
      total.prompt += c.prompt;
      total.failed += c.failed;
    }
    return total;
  }

  build(): AuditSummary {
    return {
      schema: 'autodisco.audit-summary/1',
      addresses: this.addresses,
      lookups: this.lookups,
      skippedLines: this.skippedLines,
      errors: this.errors,
      interrupted: this.interrupted,
      outcomes: Object.fromEntries(this.#outcomes),
      findings: [...this.#findings]
        .map(([code, f]) => ({ code, ...f }))
        .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.count - a.count),
      slowest: this.#slowest,
    };
  }
}
