/**
 * `autodisco worker --queue redis://HOST:PORT`: runs the jobs `audit --queue` enqueues, as many machines as
 * wanted, each job one address through the same engine and diagnosis as an in-process audit (auditOne over the
 * shared ports of this worker). The reports go back as the job's return value; the audit writes and stores them.
 * With `--db postgres://…` (the database the audit's --db names too), the worker also records the results there
 * itself, under the audit's run: they land even when the audit is gone, and the store keeps each one once.
 * SIGTERM or Ctrl-C: no new job is taken, the jobs in hand finish, then the worker exits (a second signal stops
 * at once; BullMQ hands those jobs to another worker once their locks expire). The lookups are made by a process
 * of the worker's own, replaced by a fresh one every --recycle-after jobs (supervise.ts says why).
 */
import type { Command } from 'commander';
import { openResultStore } from '../../audit/open-results.js';
import { createAuditPorts } from '../../audit/ports.js';
import type { QueuedAuditJob } from '../../audit/queue/bullmq.js';
import { printableQueueUrl, redisConnection } from '../../audit/queue/redis-url.js';
import { type ResultStore, resultOf } from '../../audit/results.js';
import { type AuditEngineOptions, auditOne } from '../../audit/run.js';
import type { DiscoveryReport } from '../../discover/report.js';
import { AutodiscoError } from '../../errors.js';
import { isPostgresUrl, maskUrl } from '../../store/postgres/url.js';
import { caOption, dnsOption, parseDnsServers, readCaFiles, usage } from '../options.js';
import { EXIT, reportError } from '../output.js';
import { isSupervised, releaseParent, supervise, supervisedByParent } from '../supervise.js';

interface WorkerCommandOptions {
  queue?: string;
  concurrency: string;
  dns: string[];
  ca: string[];
  timeout: string;
  perHost: string;
  lockDuration: string;
  stalledInterval: string;
  recycleAfter: string;
  db?: string;
}

/**
 * The job's lookups, and with a results store, its results recorded there when the job belongs to that store. A
 * failed write fails the job: BullMQ tries it again (the store keeps a result once, whoever records it).
 */
function jobRunner(
  engine: AuditEngineOptions,
  ports: ReturnType<typeof createAuditPorts>,
  store: ResultStore | undefined,
  log: (line: string) => void,
): (job: QueuedAuditJob) => Promise<DiscoveryReport[]> {
  const foreign = new Set<string>();
  return async (job) => {
    // The clients of one address run side by side, sharing DNS answers and handshakes, as in run.ts.
    const reports = await Promise.all(job.clients.map((client) => auditOne(job.target.email, client, engine, ports)));
    const results = job.results;
    if (store && results) {
      if (results.store === store.sharedId) {
        for (const report of reports) {
          await store.record(results.runId, resultOf(job.target.domain, report, new Date().toISOString()), report);
        }
      } else if (!foreign.has(results.store)) {
        foreign.add(results.store);
        log(
          `the audit of run ${results.runId} stores its results in another database than --db ${store.label}; its reports go back to the audit only`,
        );
      }
    }
    return reports;
  };
}

function wholeNumber(option: string, raw: string, min: number, max: number): number {
  // Number('') is 0: an empty value (an unset variable in a unit file) would silently mean 0.
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw usage(`${option} "${raw}": expected a whole number from ${min} to ${max}`);
  }
  return value;
}

export async function workerCommand(opts: WorkerCommandOptions): Promise<number> {
  if (opts.queue === undefined) throw usage('--queue is missing: give the Redis of the audits, e.g. redis://HOST:6379');
  let connection: ReturnType<typeof redisConnection>;
  try {
    connection = redisConnection(opts.queue);
  } catch (cause) {
    throw usage(`--queue "${opts.queue.replace(/:[^:@/]*@/, ':***@')}": ${(cause as Error).message}`);
  }
  const concurrency = wholeNumber('--concurrency', opts.concurrency, 1, 10_000);
  const timeoutMs = wholeNumber('--timeout', opts.timeout, 1, 600_000);
  const perHost = wholeNumber('--per-host', opts.perHost, 1, 1_000);
  const lockDurationMs = wholeNumber('--lock-duration', opts.lockDuration, 500, 3_600_000);
  const stalledIntervalMs = wholeNumber('--stalled-interval', opts.stalledInterval, 200, 3_600_000);
  const recycleAfter = wholeNumber('--recycle-after', opts.recycleAfter, 0, 1_000_000_000);
  const dnsServers = parseDnsServers(opts.dns);
  const ca = await readCaFiles(opts.ca);
  if (opts.db !== undefined && !isPostgresUrl(opts.db)) {
    throw new AutodiscoError(
      'ADK_ERR_STORE_URL',
      `--db ${maskUrl(opts.db)}: a worker writes results only to PostgreSQL (postgres://USER@HOST:PORT/DB, the database the audit's --db names), which every worker and the audit share; without --db the reports go back to the audit, which stores them`,
    );
  }
  const log = (line: string) => process.stderr.write(`autodisco worker: ${line}\n`);
  // Checked above in the supervisor too, so that a usage error is said once, before any process is started.
  if (recycleAfter > 0 && !isSupervised()) return supervise(log);
  // A working process of the supervisor hears its stop from there, from now on: until the queue is ready there is
  // nothing in hand, and a stop ends it at once.
  let onStop = (now: boolean): void => {
    if (!now) log('stopped');
    process.exit(now ? 130 : EXIT.ok);
  };
  const parent = isSupervised() ? supervisedByParent((now) => onStop(now)) : undefined;
  const ports = createAuditPorts({ dnsServers, timeoutMs, perHost, concurrency });
  const engine = { timeoutMs, ca };
  // Opened before the queue: a wrong URL or an unreachable database fails now, not at the first job.
  const store = opts.db !== undefined ? await openResultStore(opts.db) : undefined;

  // Loaded only when a worker runs: every other command starts without BullMQ and its Redis client.
  const { redisClient, startAuditWorker } = await import('../../audit/queue/bullmq.js');
  const client = redisClient(connection);
  const worker = startAuditWorker(client, jobRunner(engine, ports, store, log), {
    concurrency,
    lockDurationMs,
    stalledIntervalMs,
  });
  let lastError = '';
  worker.on('error', (error) => {
    // Redis away: ioredis reconnects by itself; say so once per distinct reason, not at every retry.
    if (error.message === lastError) return;
    lastError = error.message;
    process.stderr.write(`autodisco worker: ${error.message} (retrying)\n`);
  });
  worker.on('failed', (job, error) => {
    if (job) process.stderr.write(`autodisco worker: the job for ${job.data.target.domain} failed: ${error.message}\n`);
  });
  const where = printableQueueUrl(opts.queue);
  const slow = setTimeout(
    () => process.stderr.write(`autodisco worker: Redis at ${where} does not answer yet; still trying\n`),
    10_000,
  );
  await worker.waitUntilReady().finally(() => clearTimeout(slow));
  process.stderr.write(
    `autodisco worker: taking audit jobs from ${where}, ${concurrency} at a time${store ? `; results recorded in ${store.label}` : ''}; SIGTERM or Ctrl-C finishes the jobs in hand and stops\n`,
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    let handingOver = false;
    const stop = (now: boolean) => {
      if (stopping && !now) return;
      if (now) {
        // At once: BullMQ's close(true) only returns a graceful close already under way, which waits for the
        // lookups in flight. The jobs' locks lapse, and the stalled-job check of another worker takes them.
        log('stopping now; the jobs in hand go to another worker once their locks expire (--lock-duration)');
        client.disconnect();
        process.exit(130);
      }
      stopping = true;
      void worker.close().then(
        async () => {
          await client.quit().catch(() => undefined);
          await store?.close().catch(() => undefined);
          if (!handingOver) log('stopped');
          resolve(EXIT.ok);
        },
        () => resolve(EXIT.failed),
      );
    };
    const graceful = () => {
      // During a handover too: the signal is taken, and the supervisor then starts no fresh process (and says
      // "stopped" itself when this one has ended).
      if (!stopping || handingOver) log('stopping: finishing the jobs in hand (signal again to stop at once)');
      stop(false);
    };
    if (parent === undefined) {
      let signals = 0;
      const onSignal = () => (++signals === 1 ? graceful() : stop(true));
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      return;
    }
    // A working process of the supervisor: its stops come from there; it is replaced after --recycle-after jobs.
    onStop = (now) => (now ? stop(true) : graceful());
    let jobs = 0;
    const count = () => {
      if (++jobs !== recycleAfter || stopping) return;
      handingOver = true;
      log(
        `process ${process.pid} has taken its share (--recycle-after ${recycleAfter}): it takes no new job and ends when the jobs in hand are done, then a fresh process takes over (Node 20 keeps memory for each TLS handshake)`,
      );
      void parent.recycle().then(() => stop(false));
    };
    worker.on('completed', count);
    worker.on('failed', count);
  });
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the lookups of audits started with --queue, from a Redis job queue (as many as wanted)')
    .option('--queue <redis-url>', 'the Redis the audits enqueue on: redis://[user:password@]HOST:PORT[/DB]')
    .option('--concurrency <n>', 'addresses looked up at the same time by this worker', '8')
    .addOption(dnsOption())
    .addOption(caOption())
    .option('--timeout <ms>', 'deadline for each network step as a whole, as in discover', '10000')
    .option('--per-host <n>', 'connections at the same time to any one server address, from this worker', '4')
    .option(
      '--lock-duration <ms>',
      'a job is this worker’s for this long between renewals; a worker that dies outright loses its jobs to others after it',
      '30000',
    )
    .option('--stalled-interval <ms>', 'how often this worker looks for jobs whose worker died', '30000')
    .option(
      '--recycle-after <jobs>',
      'the lookups run in a process of their own, replaced by a fresh one after this many jobs (Node 20 keeps memory for each TLS handshake); 0: all in this process',
      '5000',
    )
    .option(
      '--db <url>',
      "also record the results in this PostgreSQL results store, the one the audit's --db names: postgres://USER@HOST:PORT/DB (the password in PGPASSWORD)",
    )
    .action(async (opts: WorkerCommandOptions) => {
      try {
        process.exitCode = await workerCommand(opts);
      } catch (err) {
        process.exitCode = reportError(err);
      } finally {
        releaseParent();
      }
    });
}
