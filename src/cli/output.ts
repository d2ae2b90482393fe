/** How the CLI speaks: results on stdout, problems on stderr, exit codes the same for every command. */
import { type ErrorCode, isAutodiscoError } from '../errors.js';

/** `closedOutput`: the reader of stdout went away (`autodisco export | head`), as a shell reports SIGPIPE. */
export const EXIT = { ok: 0, failed: 1, usage: 2, prompt: 3, closedOutput: 141 } as const;

/** Whether `err` is a write to a pipe whose reader has gone (`| head` has read enough). */
export function isClosedOutput(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/**
 * When the reader of stdout goes away, stop quietly, as `cat` or `git log` do under `| head`: the reader
 * chose to stop reading, so there is nothing to report, and the exit status is the shell's one for SIGPIPE.
 */
export function stopQuietlyWhenOutputCloses(): void {
  process.stdout.on('error', (err) => {
    if (isClosedOutput(err)) process.exit(EXIT.closedOutput);
    throw err;
  });
}

/**
 * Refusals where the command as typed cannot go on and nothing was touched: the user changes the command
 * (another --db, --allow-empty). Exit 2, as bad usage.
 */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  'ADK_ERR_INVALID_ARGUMENT',
  'ADK_ERR_STORE_NOT_FOUND',
  'ADK_ERR_STORE_URL',
  'ADK_ERR_IMPORT_EMPTY',
]);

/** Prints an error the way an admin should read it at 2 a.m.: what, where, what to do. */
export function reportError(err: unknown): number {
  if (isClosedOutput(err)) return EXIT.closedOutput;
  if (isAutodiscoError(err)) {
    process.stderr.write(`autodisco: ${err.describe()}\n`);
    if (USAGE_CODES.has(err.code)) return EXIT.usage;
    return EXIT.failed;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`autodisco: unexpected failure: ${message}\n`);
  return EXIT.failed;
}
