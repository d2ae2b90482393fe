/**
 * startAudit and an asynchronous results store, without a network (a remote queue that answers every 10 ms): the
 * run is finished when every write is; the jobs carry a shared store's id and run; a failing write stops the run
 * and `finished` rejects with it, after the writes already made delivered their events.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAudit } from '../../src/audit/execute.js';
import type { AuditTarget } from '../../src/audit/input.js';
import type { RemoteQueue } from '../../src/audit/queue.js';
import type { AuditEvent, AuditResult, ResultStore, RunInfo } from '../../src/audit/results.js';
import type { AuditJob } from '../../src/audit/run.js';
import type { DiscoveryReport } from '../../src/discover/report.js';

const report = (email: string) =>
  ({ email, client: 'outlook', outcome: 'prompt', findings: [], steps: [] }) as unknown as DiscoveryReport;

const targets: AuditTarget[] = Array.from({ length: 10 }, (_, i) => ({
  email: `postmaster@d${i}.test`,
  domain: `d${i}.test`,
  line: i + 1,
}));

/** Answers every job with one report, 10 ms apart, until stopped. */
class InstantRemote implements RemoteQueue<AuditJob, DiscoveryReport[]> {
  stopped = false;
  tagged: { id: string; runId: number } | undefined;
  pending = 0;
  storeResultsIn(store: { id: string; runId: number }) {
    this.tagged = store;
  }
  stop() {
    this.stopped = true;
  }
  async run(jobs: readonly AuditJob[], onResult: (job: AuditJob, reports: DiscoveryReport[]) => void) {
    for (const job of jobs) {
      if (this.stopped) return;
      onResult(job, [report(job.target.email)]);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Answers each record after a delay; the `failAt`-th record fails. */
class SlowStore implements ResultStore {
  readonly label = 'test';
  recorded: string[] = [];
  constructor(
    readonly sharedId: string | undefined,
    readonly failAt = Number.POSITIVE_INFINITY,
  ) {}
  async startRun() {
    return 7;
  }
  async record(runId: number, result: AuditResult): Promise<AuditEvent[]> {
    const n = this.recorded.length + 1;
    this.recorded.push(result.domain);
    await new Promise((r) => setTimeout(r, 5));
    if (n === this.failAt) throw new Error('the database went away');
    return [
      {
        kind: 'new-problem',
        domain: result.domain,
        client: result.client,
        at: result.at,
        runId,
        outcome: 'prompt',
        previousOutcome: null,
        codes: [],
      },
    ];
  }
  async finishRun() {}
  async history(): Promise<never> {
    throw new Error('unused');
  }
  async *latest(): AsyncIterable<AuditResult> {}
  async runs(): Promise<RunInfo[]> {
    return [];
  }
  async close() {}
}

const options = (store: ResultStore, remote: InstantRemote, events: AuditEvent[]) => ({
  targets,
  clients: ['outlook' as const],
  engine: { timeoutMs: 1000, ca: [] },
  dnsServers: [],
  concurrency: 1,
  perHost: 1,
  store,
  remote,
  onEvents: (e: AuditEvent[]) => events.push(...e),
});

test('finished waits for every write; the jobs carry the shared store and the run', async () => {
  const remote = new InstantRemote();
  const events: AuditEvent[] = [];
  const run = await startAudit(options(new SlowStore('store-1'), remote, events));
  assert.equal(run.runId, 7);
  assert.deepEqual(remote.tagged, { id: 'store-1', runId: 7 });
  await run.finished;
  assert.equal(events.length, targets.length, 'every write answered before finished resolved');
});

test('a store without a shared id tags nothing', async () => {
  const remote = new InstantRemote();
  const run = await startAudit(options(new SlowStore(undefined), remote, []));
  await run.finished;
  assert.equal(remote.tagged, undefined);
});

test('a failing write stops the run and finished rejects with it; earlier events were delivered', async () => {
  const remote = new InstantRemote();
  const events: AuditEvent[] = [];
  const store = new SlowStore('store-1', 3);
  const run = await startAudit(options(store, remote, events));
  await assert.rejects(run.finished, /the database went away/);
  assert.ok(remote.stopped, 'the queue was stopped');
  assert.ok(store.recorded.length < targets.length, `stopped early: ${store.recorded.length} recorded`);
  assert.deepEqual(events.map((e) => e.domain).slice(0, 2), ['d0.test', 'd1.test']);
});

test('in process, a slow store holds the lookups back: the writes in flight stay bounded, none is lost', async () => {
  // Every lookup ends at once: the DNS server named does not exist (nothing listens on port 9 of loopback).
  const many: AuditTarget[] = Array.from({ length: 40 }, (_, i) => ({
    email: `postmaster@d${i}.test`,
    domain: `d${i}.test`,
    line: i + 1,
  }));
  let inFlight = 0;
  let most = 0;
  let recorded = 0;
  const store = new SlowStore(undefined);
  store.record = async () => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, 40));
    inFlight--;
    recorded++;
    return [];
  };
  const run = await startAudit({
    targets: many,
    clients: ['outlook', 'outlook-2013'],
    engine: { timeoutMs: 500, ca: [] },
    dnsServers: ['127.0.0.1:9'],
    concurrency: 4,
    perHost: 4,
    store,
    maxPendingWrites: 3,
  });
  await run.finished;
  assert.equal(recorded, many.length * 2, 'every report written');
  // At most the bound, plus the reports of the addresses that finished side by side before waiting.
  assert.ok(most <= 3 + 4 * 2, `${most} writes in flight at once`);
  assert.ok(most >= 3, `the bound was reached (${most}): the test measures something`);
});
