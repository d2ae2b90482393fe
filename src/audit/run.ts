/**
 * One audit run: every address through the same engine and diagnosis as `discover`, for each client, over the
 * shared ports of the run (ports.ts). Reports are handed on as they complete and never kept: the caller streams
 * them to the output, the summary and the results store.
 */
import { addCrossClientFindings } from '../diagnose/cross-client.js';
import { diagnose } from '../diagnose/diagnose.js';
import { runDiscovery } from '../discover/engine.js';
import { PROFILES } from '../discover/profiles.js';
import type { DiscoveryReport, ProfileName } from '../discover/report.js';
import type { AuditTarget } from './input.js';
import type { AuditPorts } from './ports.js';
import type { WorkQueue } from './queue.js';

export interface AuditJob {
  target: AuditTarget;
  /** The clients still to run for this address (a resumed run skips the ones already written). */
  clients: ProfileName[];
}

export interface AuditEngineOptions {
  timeoutMs: number;
  budgetMs?: number;
  ca: readonly string[];
}

export interface AuditRunHandlers {
  /** Each (address, client) report, diagnosed, as soon as it is complete. */
  report(target: AuditTarget, report: DiscoveryReport): void;
  /** Every client of an address is done (in the order of the job's clients). */
  addressDone?(target: AuditTarget, reports: DiscoveryReport[]): void;
  /** A lookup that crashed (a bug, not a finding): the address is left out and named. */
  error(target: AuditTarget, error: unknown): void;
  /**
   * Backpressure: after each address, the next one waits for this (the results store catching up), so a slow
   * store holds back the lookups instead of piling their reports up in memory.
   */
  ready?(): Promise<void> | undefined;
}

/** The lookup of one client for one address: what `discover --client X ADDRESS --json` prints. */
export async function auditOne(
  email: string,
  client: ProfileName,
  options: AuditEngineOptions,
  ports: AuditPorts,
): Promise<DiscoveryReport> {
  const report = await runDiscovery(
    {
      email,
      profile: PROFILES[client],
      exclude: new Set(),
      // An audit answers no prompt and sends no credentials, ever.
      accept: { redirect: false, certificate: false },
      timeoutMs: options.timeoutMs,
      ...(options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {}),
      ca: options.ca,
      concurrent: true,
      prefetchRequests: false,
    },
    ports,
  );
  report.findings = diagnose(report);
  return report;
}

export async function runAudit(
  queue: WorkQueue<AuditJob>,
  options: AuditEngineOptions,
  ports: AuditPorts,
  handlers: AuditRunHandlers,
): Promise<void> {
  await queue.run(
    async ({ target, clients }) => {
      // The clients of one address run side by side: they share DNS answers and handshakes (ports.ts).
      const reports = await Promise.all(clients.map((client) => auditOne(target.email, client, options, ports)));
      // What only the clients side by side show (autoconfig and Autodiscover answering differently), as in
      // `discover --client all`: so the reports are handed over once every client of the address is done.
      addCrossClientFindings(reports);
      for (const report of reports) handlers.report(target, report);
      handlers.addressDone?.(target, reports);
      await handlers.ready?.();
    },
    (job, error) => handlers.error(job.target, error),
  );
}
