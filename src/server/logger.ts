import { type Logger, pino } from 'pino';

/**
 * Structured JSON logs. Secrets are redacted by construction: Authorization headers and any password field
 * never reach a log line, whatever a caller passes.
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'autodisco' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', '*.password', 'password'],
        censor: '[redacted]',
      },
    },
    options.destination ?? process.stderr,
  );
}
