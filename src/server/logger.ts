import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Structured JSON logs. Secrets are redacted by construction: Authorization headers and any password field
 * never reach a log line, whatever a caller passes.
 *
 * By default lines go to stderr (fd 2) through pino's own writer, one write(2) per line without Node's stream
 * machinery (process.stderr); synchronous, so no line is lost when the process dies and lines stay in order with
 * the command's own messages. (An asynchronous writer gathering lines up to 4 KiB was measured too: no cheaper per
 * line, and lines could be lost.)
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
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
