/**
 * What went wrong talking to PostgreSQL, in words an administrator acts on, and which failures mean "the
 * database is away" (serve then answers from what it last read) rather than a fault in a query.
 */
import { AutodiscoError } from '../../errors.js';
import { maskUrl, urlParts } from './url.js';

/** Node socket errors and the driver's own connection codes. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/**
 * Whether `err` means the server cannot be reached or went away: socket errors, the driver's connection
 * codes, SQLSTATE class 08 (connection exception) and 57P01-57P03 (shut down, crash recovery, starting up).
 */
export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  return CONNECTION_CODES.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code);
}

/** A short reason for logs and /healthz: never the URL's password (the driver's messages do not hold it). */
export function connectionReason(err: unknown): string {
  const code = codeOf(err);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'CONNECTION_CLOSED':
      return 'the connection was closed';
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return 'the connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case '57P01':
    case '57P02':
      return 'the server shut down';
    case '57P03':
      return 'the server is starting up';
    default:
      return `${code || 'error'}: ${(err as Error)?.message ?? String(err)}`;
  }
}

/** The one-line error for a database that cannot be opened: what failed, for which URL (no password), what to do. */
export function openError(url: string, err: unknown): AutodiscoError {
  const shown = maskUrl(url);
  const { host, port, database, user } = urlParts(url);
  const code = codeOf(err);
  let message: string;
  if (code === '28P01' || code === '28000') {
    message = `--db ${shown}: PostgreSQL refused the login of user "${user}" (${(err as Error).message}); check the user and the password (in the URL or in PGPASSWORD) and pg_hba.conf on ${host}`;
  } else if (code === '3D000') {
    message = `--db ${shown}: there is no database "${database}" on ${host}:${port}; create it first (for example: createdb -h ${host} -p ${port} -U ${user} ${database}) or fix the name`;
  } else if (isConnectionError(err)) {
    message = `--db ${shown}: cannot reach PostgreSQL at ${host}:${port} (${connectionReason(err)}); check that the server runs and listens there (listen_addresses, port, firewall)`;
  } else {
    message = `--db ${shown}: PostgreSQL failed (${connectionReason(err)})`;
  }
  return new AutodiscoError('ADK_ERR_STORE_UNREACHABLE', message, { cause: err });
}

/** Thrown by a lookup the degraded mode cannot answer: the server's error handler turns statusCode into HTTP 503. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly statusCode = 503;
  readonly code = 'ADK_ERR_STORE_UNAVAILABLE';
  constructor(reason: string) {
    super(`the settings database is away (${reason}) and this address was not read recently`);
  }
}
