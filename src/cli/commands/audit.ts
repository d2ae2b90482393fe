/**
 * `autodisco audit FILE|-`: every address (or every domain of --from-config) through the same engine and
 * diagnosis as `discover`, for each client, politely (global and per-server limits, one DNS cache, shared
 * handshakes), streaming NDJSON, CSV or JSON, with a progress line and a summary; --resume continues an
 * interrupted --out file. `audit history DOMAIN` reads the results store.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { startAudit } from '../../audit/execute.js';
import { type Journal, readCsvJournal, readNdjsonJournal } from '../../audit/journal.js';
import { openResultStore, resultsLabel } from '../../audit/open-results.js';
import { type AuditFormat, type AuditWriter, createWriter, fdSink, stdoutSink } from '../../audit/outputs.js';
import { Progress } from '../../audit/progress.js';
import type { BullmqAuditQueue } from '../../audit/queue/bullmq.js';
import { DeadLetterError, printableQueueUrl, redisConnection } from '../../audit/queue/redis-url.js';
import { renderSummary } from '../../audit/render.js';
import type { ResultStore } from '../../audit/results.js';
import { SummaryBuilder } from '../../audit/summary.js';
import { isDatabaseUrl, urlHasPassword } from '../../store/postgres/url.js';
import {
  type AuditCliOptions,
  lookupSettings,
  parseAuditOptions,
  readAuditInput,
  registerAuditRunOptions,
} from '../audit-options.js';
import { fileReason } from '../files.js';
import { usage } from '../options.js';
import { EXIT, reportError } from '../output.js';
import { registerHistoryCommand } from './audit-history.js';

interface AuditCommandOptions extends AuditCliOptions {
  ndjson?: boolean;
  csv?: boolean;
  json?: boolean;
  out?: string;
  resume?: boolean;
  progress: boolean;
  queue?: string;
  queueRun?: string;
}

/** Exit status of an interrupted audit (Ctrl-C): 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;

function formatOf(opts: AuditCommandOptions): AuditFormat | null {
  const chosen = (['ndjson', 'csv', 'json'] as const).filter((f) => opts[f]);
  if (chosen.length > 1) throw usage(`--${chosen.join(' and --')}: choose one output format`);
  return chosen[0] ?? null;
}

export async function auditCommand(file: string | undefined, opts: AuditCommandOptions): Promise<number> {
  const parsed = await parseAuditOptions(opts);
  let format = formatOf(opts);
  if (opts.out !== undefined && format === null) format = 'ndjson';
  if (opts.resume && opts.out === undefined) throw usage('--resume continues an --out file: give --out PATH too');
  if (opts.resume && format === 'json') {
    throw usage(
      '--resume works with --ndjson or --csv (a JSON document cannot be continued); use one of them with --out',
    );
  }
  if (opts.out !== undefined && !opts.resume && existsSync(opts.out) && statSync(opts.out).size > 0) {
    throw usage(`--out ${opts.out}: the file exists; add --resume to continue it, or remove it to start again`);
  }
  if (opts.queueRun !== undefined && opts.queue === undefined) {
    throw usage(`--queue-run ${opts.queueRun}: give --queue redis://HOST:PORT too (the Redis of that run)`);
  }
  const remote = opts.queue !== undefined ? await openRemoteQueue(opts) : undefined;
  const input = await readAuditInput(file, opts.fromConfig);
  if (remote && opts.queue !== undefined) {
    try {
      await remote.connect(printableQueueUrl(opts.queue));
    } catch (error) {
      // BullMQ's own duplicate connections keep retrying a Redis that never answered, and close() would wait for
      // it: nothing has started, so the process ends here.
      await remote.close(true);
      process.exit(reportError(error));
    }
  }
  for (const s of input.skipped) process.stderr.write(`autodisco: line ${s.line} skipped: ${s.reason}\n`);

  const summary = new SummaryBuilder(parsed.clients);
  summary.skippedLines = input.skipped.length;
  let journal: Journal | undefined;
  if (opts.resume && opts.out !== undefined) {
    const feed = (facts: Parameters<SummaryBuilder['add']>[0]) => summary.add(facts);
    journal =
      format === 'csv' ? readCsvJournal(opts.out, parsed.clients, feed) : await readNdjsonJournal(opts.out, feed);
    if (journal.existed)
      process.stderr.write(`autodisco: resuming ${opts.out}: ${summary.lookups} lookup(s) already written\n`);
  }

  let writer: AuditWriter | undefined;
  if (format !== null) {
    let sink = stdoutSink();
    if (opts.out !== undefined) {
      try {
        sink = fdSink(openSync(opts.out, 'a'));
      } catch (cause) {
        throw usage(`--out ${opts.out}: ${fileReason(cause)}`);
      }
    }
    writer = createWriter(format, sink, parsed.clients, !journal?.existed);
  }
  let store: ResultStore | undefined;
  if (parsed.db !== null) store = await openResultStore(parsed.db);

  const run = await startAudit(
    {
      ...lookupSettings(parsed),
      targets: input.targets,
      ...(journal ? { done: journal.done } : {}),
      ...(writer ? { writer } : {}),
      ...(store ? { store } : {}),
      ...(remote ? { remote } : {}),
      onError: (target, error) =>
        process.stderr.write(
          error instanceof DeadLetterError
            ? `autodisco: the lookup for ${target.domain} (line ${target.line}) ${error.message}\n`
            : `autodisco: the lookup for ${target.domain} (line ${target.line}) crashed: ${String(error)}\n`,
        ),
    },
    summary,
  );
  const progress = opts.progress
    ? new Progress(() => ({ done: run.doneAddresses(), total: input.targets.length, counts: summary.counts() }))
    : undefined;
  progress?.start();
  // The human summary goes where it cannot mix with a machine format: stdout when that is free.
  const summaryStream = format !== null && opts.out === undefined ? process.stderr : process.stdout;
  const stored =
    parsed.db !== null && run.runId !== null
      ? `Results stored in ${resultsLabel(parsed.db)} (run ${run.runId}); see${isDatabaseUrl(parsed.db) && urlHasPassword(parsed.db) ? ' (with the password in PGPASSWORD)' : ''} npx autodisco audit history DOMAIN --db ${resultsLabel(parsed.db)}`
      : '';

  // Once: after Ctrl-C the waiting below ends too, and must not finish the run a second time as complete.
  let finishing: Promise<number> | undefined;
  const finish = (interrupted: boolean): Promise<number> => {
    finishing ??= finishRun(interrupted);
    return finishing;
  };
  const finishRun = async (interrupted: boolean): Promise<number> => {
    summary.interrupted = interrupted;
    progress?.stop();
    const built = summary.build();
    writer?.finish(built);
    if (run.runId !== null) await store?.finishRun(run.runId, interrupted);
    await store?.close();
    const extra = [
      stored,
      interrupted && opts.out ? `Continue with the same command and --resume.` : '',
      // The jobs stay queued and the workers go on: their results can still be collected.
      interrupted && remote
        ? `The workers go on with the queued addresses; add --queue-run ${remote.runKey} to collect them.`
        : '',
    ].filter(Boolean);
    summaryStream.write(renderSummary(built, extra));
    if (interrupted) return EXIT_INTERRUPTED;
    return summary.anyWithoutSettings ? EXIT.failed : EXIT.ok;
  };

  const onSigint = () => {
    // The reports in flight are lost on purpose (--resume redoes them); everything written stays.
    run.queue.stop();
    void finish(true).then(
      (code) => process.exit(code),
      (error: unknown) => process.exit(reportError(error)),
    );
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  // Said once Ctrl-C is handled: whoever reads it may interrupt at once.
  if (remote && opts.queue !== undefined) {
    process.stderr.write(
      `autodisco: ${run.queue.pending} address(es) go to the workers of ${printableQueueUrl(opts.queue)} as run ${remote.runKey}; if this audit stops, the same command with --queue-run ${remote.runKey} picks their results up\n`,
    );
  }
  try {
    await run.finished;
  } catch (error) {
    // The results store failed mid-run: what is written stays; the run is marked interrupted where possible.
    progress?.stop();
    if (run.runId !== null) await store?.finishRun(run.runId, true).catch(() => undefined);
    await store?.close().catch(() => undefined);
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await remote?.close();
  }
  return finish(false);
}

/** --queue: the run's jobs go to workers through Redis; the lookup options are then the workers' own. */
async function openRemoteQueue(opts: AuditCommandOptions): Promise<BullmqAuditQueue> {
  const raw = opts.queue as string;
  let connection: ReturnType<typeof redisConnection>;
  try {
    connection = redisConnection(raw);
  } catch (cause) {
    throw usage(`--queue "${raw.replace(/:[^:@/]*@/, ':***@')}": ${(cause as Error).message}`);
  }
  for (const [option, given] of [
    ['--dns', opts.dns.length > 0],
    ['--ca', opts.ca.length > 0],
  ] as const) {
    if (given) throw usage(`${option} with --queue: the workers make the lookups; give ${option} to autodisco worker`);
  }
  const runKey = opts.queueRun ?? `run-${randomBytes(6).toString('hex')}`;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(runKey)) {
    throw usage(`--queue-run "${runKey}": expected 1 to 64 letters, digits, - or _ (as printed by an earlier audit)`);
  }
  // Loaded only now: BullMQ and its Redis client are a third of the command's start-up.
  const { BullmqAuditQueue } = await import('../../audit/queue/bullmq.js');
  return new BullmqAuditQueue(connection, runKey);
}

export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description("audit many addresses at once: each client's lookup and diagnosis, as discover does, for every line")
    .argument('[file]', 'addresses, one a line (a bare domain means postmaster@domain); - for standard input')
    .addHelpText('after', '\nExit status: 0 every lookup got settings, 1 any did not, 2 bad usage, 130 interrupted.');
  registerAuditRunOptions(audit)
    .option('--ndjson', 'one discover --json report per line and client on stdout (or --out), nothing else')
    .option(
      '--csv',
      'one row per address: domain, address, each client’s outcome, most severe finding, severity, its fix',
    )
    .option('--json', 'one JSON document: {schema, reports, summary}')
    .option('--out <path>', 'write the output there instead of stdout (NDJSON unless --csv or --json)')
    .option('--resume', 'continue the --out file of an interrupted run: what it holds is not done again')
    .option('--no-progress', 'no progress line on stderr')
    .option(
      '--queue <redis-url>',
      'hand the lookups to `autodisco worker` processes through this Redis (redis://HOST:PORT); the workers’ --dns, --ca and --timeout apply',
    )
    .option(
      '--queue-run <id>',
      'with --queue: re-attach to the run an earlier audit printed (nothing is enqueued twice)',
    )
    .action(async (file: string | undefined, opts: AuditCommandOptions) => {
      try {
        process.exitCode = await auditCommand(file, opts);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  registerHistoryCommand(audit);
}
