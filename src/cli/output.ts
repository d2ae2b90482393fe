/** How the CLI speaks: results on stdout, problems on stderr, exit codes the same for every command. */
import { isAutodiscoError } from '../errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, prompt: 3 } as const;

/** Prints an error the way an admin should read it at 2 a.m.: what, where, what to do. */
export function reportError(err: unknown): number {
  if (isAutodiscoError(err)) {
    process.stderr.write(`autodisco: ${err.describe()}\n`);
    if (err.code === 'ADK_ERR_INVALID_ARGUMENT') return EXIT.usage;
    return EXIT.failed;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`autodisco: unexpected failure: ${message}\n`);
  return EXIT.failed;
}
