/**
 * `autodisco watch FILE --every 1h`: the audit on a schedule. Every run is kept in the results store and
 * compared with the previous result of each domain and client; what changed (a new problem, a fix, a
 * certificate crossing 30/14/7 days) is an event, printed on stdout, POSTed to --webhook (signed, retried, in
 * the background) and reflected in --metrics. Each run is made by a process of its own (watch-round.ts says why).
 */
import type { Server } from 'node:http';
import type { Command } from 'commander';
import { startAudit } from '../../audit/execute.js';
import { listenMetrics, WatchMetrics } from '../../audit/metrics.js';
import { openResultStore } from '../../audit/open-results.js';
import type { AuditEvent } from '../../audit/results.js';
import { WEBHOOK_SCHEMA_ID, WebhookQueue } from '../../audit/webhook.js';
import {
  type AuditCliOptions,
  lookupSettings,
  parseAuditOptions,
  readAuditInput,
  registerAuditRunOptions,
} from '../audit-options.js';
import { parseHostPort, secretFromEnv, usage } from '../options.js';
import { EXIT, reportError } from '../output.js';
import { describeEvent } from './audit-history.js';
import { awaitRunStart, RunProcess, RunProcessFailed, releaseWatch, WATCH_RUN_ENV } from './watch-round.js';

interface WatchOptions extends AuditCliOptions {
  every: string;
  jitter?: string;
  webhook?: string;
  webhookSecret?: string;
  metrics?: string;
  runs?: string;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Events per webhook POST: a first run over thousands of broken domains is sent in several bodies. */
const EVENTS_PER_POST = 500;

export function parseDuration(option: string, raw: string): number {
  if (raw.trim() === '0') return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * (UNITS[match[2] ?? ''] ?? 0) : Number.NaN;
  if (!Number.isFinite(ms)) throw usage(`${option} "${raw}": expected a duration such as 30s, 15m, 1h or 1d`);
  return Math.round(ms);
}

export function eventLine(e: AuditEvent): string {
  return `${e.at} ${e.domain} ${e.client}: ${describeEvent(e)}\n`;
}

/**
 * The process of one run (watch-round.ts): the addresses come from the watch; the events and the run's end go back
 * to it. What the watch prints about the run it prints itself; a failure is said here, on the shared stderr.
 */
async function watchRun(parsed: Awaited<ReturnType<typeof parseAuditOptions>>, db: string): Promise<number> {
  const { targets, onStop, send } = await awaitRunStart();

  const store = await openResultStore(db);
  try {
    const current = await startAudit({
      ...lookupSettings(parsed),
      targets,
      store,
      onEvents: (raised) => void send({ type: 'events', events: raised }),
      onError: (target, error) =>
        process.stderr.write(`autodisco watch: the lookup for ${target.domain} crashed: ${String(error)}\n`),
    });
    let stopped = false;
    onStop(() => {
      stopped = true;
      current.queue.stop();
    });
    await current.finished;
    const runId = current.runId ?? 0;
    await store.finishRun(runId, stopped);
    await store.close();
    await send({ type: 'done', runId, counts: current.summary.counts() });
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return EXIT.ok;
}

async function watch(file: string | undefined, opts: WatchOptions): Promise<number> {
  const parsed = await parseAuditOptions(opts);
  if (parsed.db === null)
    throw usage('--no-db: watch compares each run with the stored previous one; give --db PATH (or leave the default)');
  if (process.env[WATCH_RUN_ENV] !== undefined) return watchRun(parsed, parsed.db);
  // FILE is read again at every run; standard input can be read once (a second read never ends).
  if (file === '-') throw usage('FILE -: watch reads FILE again at every run, standard input only once; give a file');
  const everyMs = parseDuration('--every', opts.every);
  if (everyMs < 1000) throw usage(`--every "${opts.every}": expected at least 1s`);
  const jitterMs = opts.jitter === undefined ? Math.round(everyMs / 10) : parseDuration('--jitter', opts.jitter);
  const runs = opts.runs === undefined ? Number.POSITIVE_INFINITY : Number(opts.runs);
  if (!(runs >= 1) || (Number.isFinite(runs) && !Number.isInteger(runs)))
    throw usage(`--runs "${opts.runs}": expected a whole number from 1`);
  if (opts.webhook !== undefined) {
    let url: URL;
    try {
      url = new URL(opts.webhook);
    } catch {
      throw usage(`--webhook "${opts.webhook}": expected an http:// or https:// URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw usage(`--webhook "${opts.webhook}": expected an http:// or https:// URL`);
    if (opts.webhookSecret === undefined) {
      throw usage(
        '--webhook needs --webhook-secret VAR (an environment variable holding the HMAC key): receivers must be able to check who sent the events',
      );
    }
  }
  const secret = secretFromEnv('--webhook-secret', opts.webhookSecret);
  const listen = opts.metrics ? parseHostPort(opts.metrics, '--metrics') : undefined;
  // Checked before the first run: a typo in FILE fails now, not in an hour.
  await readAuditInput(file, opts.fromConfig);

  const log = (line: string) => process.stderr.write(`autodisco watch: ${line}\n`);
  const store = await openResultStore(parsed.db);
  const metrics = new WatchMetrics();
  const webhook =
    opts.webhook && secret ? new WebhookQueue({ url: opts.webhook, secret, log: (line) => log(line) }) : undefined;
  let server: Server | undefined;
  if (listen) {
    server = await listenMetrics(metrics, listen.host, listen.port);
    const address = server.address();
    log(
      `metrics on http://${listen.host}:${typeof address === 'object' && address ? address.port : listen.port}/metrics`,
    );
  }

  let stopping = false;
  let exitCode: number = EXIT.ok;
  let wake: (() => void) | undefined;
  let current: RunProcess | undefined;
  let previous: Awaited<ReturnType<typeof readAuditInput>> | undefined;
  const stop = () => {
    if (stopping) {
      log('stopped at once: lookups in flight and pending webhook deliveries are dropped');
      current?.kill();
      process.exit(130);
    }
    stopping = true;
    log(
      current === undefined
        ? 'stopping: no run in progress; watch exits'
        : 'stopping: the run in progress finishes its lookups in flight, then watch exits',
    );
    current?.stop();
    wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    for (let run = 1; run <= runs && !stopping; run++) {
      const startedAt = new Date();
      // FILE rewritten at the wrong moment must not end the watch: the run takes the list it last read.
      const input = await readAuditInput(file, opts.fromConfig).catch((error: unknown) => {
        if (previous === undefined) throw error;
        log(`${error instanceof Error ? error.message : String(error)}; this run audits the list read before`);
        return previous;
      });
      previous = input;
      const events: AuditEvent[] = [];
      current = new RunProcess(run, [...input.targets], (raised) => {
        for (const e of raised) {
          process.stdout.write(eventLine(e));
          events.push(e);
        }
      });
      // A Ctrl-C while the run's process started is passed on to it as soon as it listens.
      if (stopping) current.stop();
      const ended = await current.finished.catch((error: unknown) => {
        if (!(error instanceof RunProcessFailed)) throw error;
        log(`${error.message}; watch stops (the runs before it are stored)`);
        exitCode = error.status;
        return undefined;
      });
      current = undefined;
      if (ended === undefined) break;
      const { runId, counts, pid } = ended;
      const finishedAt = new Date();
      log(
        `run ${runId}: ${input.targets.length} address(es) in ${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(1)} s (process ${pid}); ${counts.settings} settings, ${counts.prompt} prompt, ${counts.failed} failed; ${events.length} event(s)`,
      );
      if (webhook) {
        for (let i = 0; i < events.length; i += EVENTS_PER_POST) {
          webhook.send({
            schema: WEBHOOK_SCHEMA_ID,
            run: { id: runId, startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString() },
            events: events.slice(i, i + EVENTS_PER_POST),
          });
        }
      }
      metrics.runs.inc();
      metrics.lastRun.set(finishedAt.getTime() / 1000);
      await metrics.update(store.latest(), new Set(input.targets.map((t) => t.domain)));
      if (run >= runs || stopping) break;
      const waitMs = Math.max(0, startedAt.getTime() + everyMs + Math.random() * jitterMs - Date.now());
      log(`next run at ${new Date(Date.now() + waitMs).toISOString()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    // The last events get their delivery (with its retries), however the watch ends; a second Ctrl-C does not wait.
    if (webhook) await webhook.idle();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await store.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
  return exitCode;
}

export function registerWatchCommand(program: Command): void {
  const command = program
    .command('watch')
    .description(
      'run the audit on a schedule, keep every run, and report what changed (events) to a webhook and /metrics',
    )
    .argument('[file]', 'addresses, one a line (re-read at every run); or --from-config');
  registerAuditRunOptions(command)
    .requiredOption('--every <duration>', 'time between the starts of two runs, e.g. 15m, 1h')
    .option('--jitter <duration>', 'a random delay up to this much is added to each wait (default: a tenth of --every)')
    .option('--webhook <url>', 'POST each run’s events there as JSON, signed (X-Autodisco-Signature: sha256=HMAC)')
    .option('--webhook-secret <VAR>', 'environment variable holding the HMAC-SHA256 key of the webhook')
    .option('--metrics <host:port>', 'Prometheus /metrics on this listener, e.g. 127.0.0.1:9465')
    .option('--runs <n>', 'stop after this many runs (default: run until stopped)')
    .action(async (file: string | undefined, opts: WatchOptions) => {
      try {
        process.exitCode = await watch(file, opts);
      } catch (err) {
        process.exitCode = reportError(err);
      } finally {
        // A run's process: nothing of the run is left, and the channel to the watch would keep it alive.
        releaseWatch();
      }
    });
}
