import { type DestinationStream, type Logger, pino } from 'pino';

/** Writers holding lines of the current turn: flushed when the process exits, whatever ends it. */
const pending = new Set<TurnBufferedDestination>();
let exitHookInstalled = false;

/**
 * Hands the lines written during one turn of the event loop to `target` as one write, at the end of that turn
 * (setImmediate), and at process exit. Under load `serve` answers many requests per turn, each with an access
 * line: one write(2) per turn instead of one per line, which on a virtual machine (where a system call is dear)
 * was about a sixth of a request's CPU (bench/profile-issue-12.md). When idle, each line still goes out in the
 * turn it was written, so a line is late by microseconds, never by a timer. Lines stay in order. Only a process
 * killed outright (SIGKILL) loses lines, and only those of the turn it was killed in.
 */
export class TurnBufferedDestination implements DestinationStream {
  /** Writes synchronously (pino.destination with sync: true): a line is out when write returns. */
  readonly #target: DestinationStream;
  #lines: string[] = [];
  readonly #flushAtTurnEnd = () => this.flushSync();

  constructor(target: DestinationStream) {
    this.#target = target;
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const destination of pending) destination.flushSync();
      });
    }
  }

  write(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length === 1) {
      pending.add(this);
      setImmediate(this.#flushAtTurnEnd);
    }
  }

  /** pino's logger.flush(): what is held goes out now. */
  flush(done?: (err?: Error) => void): void {
    this.flushSync();
    done?.();
  }

  flushSync(): void {
    if (this.#lines.length === 0) return;
    const text = this.#lines.length === 1 ? (this.#lines[0] ?? '') : this.#lines.join('');
    this.#lines = [];
    pending.delete(this);
    // The target writes synchronously (pino.destination with sync: true): nothing is left to flush. Its own
    // flushSync would also fsync the file, a disk write per turn.
    this.#target.write(text);
  }
}

/**
 * Structured JSON logs. Secrets are redacted by construction: Authorization headers and any password field
 * never reach a log line, whatever a caller passes.
 *
 * By default lines go to stderr (fd 2) through pino's own synchronous writer (no Node stream machinery, so lines
 * stay in order with the command's own messages and none waits in a stream's buffer), gathered per turn of the
 * event loop by TurnBufferedDestination.
 */
export function createLogger(
  options: { level?: string; destination?: NodeJS.WritableStream | DestinationStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'autodisco' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', '*.password', 'password'],
        censor: '[redacted]',
      },
    },
    options.destination ?? new TurnBufferedDestination(pino.destination({ dest: 2, sync: true })),
  );
}
