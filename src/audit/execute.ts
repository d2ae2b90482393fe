/**
 * One audit, start to end, as `audit` and each round of `watch` run it: the jobs (minus what a resumed run has
 * already), the shared ports, the output writer, the summary, the results store and its events.
 */
import type { DiscoveryReport, ProfileName } from '../discover/report.js';
import type { AuditTarget } from './input.js';
import { pairKey } from './journal.js';
import type { AuditWriter } from './outputs.js';
import { createAuditPorts } from './ports.js';
import { InProcessQueue, type RemoteQueue, type WorkQueue } from './queue.js';
import { type AuditEvent, type ResultStore, resultOf } from './results.js';
import { type AuditEngineOptions, type AuditJob, type AuditRunHandlers, runAudit } from './run.js';
import { essentials, SummaryBuilder } from './summary.js';

export interface ExecuteOptions {
  targets: readonly AuditTarget[];
  clients: readonly ProfileName[];
  engine: AuditEngineOptions;
  dnsServers: readonly string[];
  concurrency: number;
  perHost: number;
  /** Pairs already done (--resume): skipped. */
  done?: ReadonlySet<string>;
  writer?: AuditWriter;
  store?: ResultStore;
  onEvents?(events: AuditEvent[]): void;
  /** A lookup that crashed: a bug, reported by domain only. */
  onError?(target: AuditTarget, error: unknown): void;
  /**
   * Results-store writes in flight at most before the next address waits for them (in process): a slow store
   * slows the run down rather than filling memory with reports waiting to be written. @default 256
   */
  maxPendingWrites?: number;
  /** Jobs run by workers elsewhere (audit --queue): their reports come back here; nothing runs in this process. */
  remote?: RemoteQueue<AuditJob, DiscoveryReport[]>;
}

export interface AuditExecution {
  summary: SummaryBuilder;
  queue: Pick<WorkQueue<AuditJob>, 'stop' | 'pending'>;
  /** Addresses fully done so far (resumed ones included). */
  doneAddresses(): number;
  runId: number | null;
  /**
   * Resolves when every job is done and its results are stored, or after queue.stop() when the jobs in flight
   * are. Rejects when the results store fails (the run stops then: results would be lost).
   */
  finished: Promise<void>;
}

export async function startAudit(
  options: ExecuteOptions,
  summary = new SummaryBuilder(options.clients),
): Promise<AuditExecution> {
  const jobs: AuditJob[] = [];
  let alreadyDone = 0;
  for (const target of options.targets) {
    const clients = options.clients.filter((c) => !options.done?.has(pairKey(target.email, c)));
    if (clients.length === 0) alreadyDone++;
    else jobs.push({ target, clients: [...clients] });
  }
  summary.addresses = options.targets.length;
  const runId = (await options.store?.startRun(options.clients, options.targets.length)) ?? null;
  let completed = alreadyDone;
  // The store's writes in flight: the run is finished when they are; the first failure stops it.
  const writes = new Set<Promise<void>>();
  let writeError: { error: unknown } | undefined;
  let stopQueue = () => {};
  const maxPendingWrites = Math.max(1, options.maxPendingWrites ?? 256);
  /** Until fewer than maxPendingWrites writes are in flight (each settles, failed or not). */
  const caughtUp = async (): Promise<void> => {
    while (writes.size >= maxPendingWrites) await Promise.race(writes);
  };
  const stored = async (done: Promise<void>): Promise<void> => {
    await done;
    while (writes.size > 0) await Promise.all(writes);
    if (writeError) throw writeError.error;
  };
  const handlers: AuditRunHandlers = {
    report(target: AuditTarget, report: DiscoveryReport) {
      summary.add(essentials(target.domain, report));
      options.writer?.report(target, report);
      if (options.store && runId !== null) {
        const write = options.store
          .record(runId, resultOf(target.domain, report, new Date().toISOString()), report)
          .then(
            (events) => {
              if (events.length > 0) options.onEvents?.(events);
            },
            (error: unknown) => {
              writeError ??= { error };
              stopQueue();
            },
          );
        writes.add(write);
        void write.finally(() => writes.delete(write));
      }
    },
    addressDone(target, reports) {
      completed++;
      options.writer?.addressDone(target, reports);
    },
    error(target, error) {
      summary.errors++;
      completed++;
      options.onError?.(target, error);
    },
    ready: () => (writes.size < maxPendingWrites ? undefined : caughtUp()),
  };
  const remote = options.remote;
  if (remote) {
    if (options.store?.sharedId && runId !== null) remote.storeResultsIn?.({ id: options.store.sharedId, runId });
    stopQueue = () => remote.stop();
    const finished = remote.run(
      jobs,
      ({ target }, reports) => {
        for (const report of reports) handlers.report(target, report);
        handlers.addressDone?.(target, reports);
      },
      ({ target }, error) => handlers.error(target, error),
    );
    return { summary, queue: remote, doneAddresses: () => completed, runId, finished: stored(finished) };
  }
  const queue = new InProcessQueue(jobs, options.concurrency);
  const ports = createAuditPorts({
    dnsServers: options.dnsServers,
    timeoutMs: options.engine.timeoutMs,
    perHost: options.perHost,
    concurrency: options.concurrency,
  });
  stopQueue = () => queue.stop();
  const finished = stored(runAudit(queue, options.engine, ports, handlers));
  return { summary, queue, doneAddresses: () => completed, runId, finished };
}
