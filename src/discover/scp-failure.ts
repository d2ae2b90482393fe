/**
 * How an SCP directory search failed, in the report's words (a step `result` and a `detail` naming the server,
 * the LDAP result and, for Active Directory, the reason behind invalidCredentials). The bind password never
 * appears: server text that echoes it is redacted.
 */
import { ResultCodeError } from 'ldapts';
import { ResultCode, resultCodeName } from '../ldap/codes.js';
import type { ScpSearchResult } from './scp.js';

export interface Failure {
  result: Exclude<ScpSearchResult, 'redirect-url'>;
  detail: string;
}

/** Active Directory's `data <hex>` sub-codes of invalidCredentials (the reason Windows gives). */
const AD_BIND_REASONS: Readonly<Record<string, string>> = {
  '525': 'the account does not exist',
  '52e': 'the user name or password is wrong',
  '530': 'the account may not log on at this time',
  '531': 'the account may not log on from this computer',
  '532': 'the password has expired',
  '533': 'the account is disabled',
  '701': 'the account has expired',
  '773': 'the password must be changed first',
  '775': 'the account is locked out',
};

export const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused (nothing listens there)',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EADDRNOTAVAIL: 'the address is not available',
  EPIPE: 'the connection was closed',
};

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Server text is quoted in details; a server that echoes the password must not make us repeat it. */
function redact(text: string, secret: string | undefined): string {
  return secret === undefined || secret === '' ? text : text.split(secret).join('[password]');
}

function describeResultCode(err: ResultCodeError, secret: string | undefined): string {
  const name = resultCodeName(err.code) ?? 'result code';
  const text = redact(err.message.trim(), secret);
  const adData = /\bdata ([0-9a-f]{3,8})\b/i.exec(text)?.[1]?.toLowerCase();
  const reason =
    err.code === ResultCode.invalidCredentials && adData !== undefined ? AD_BIND_REASONS[adData] : undefined;
  return `${name} (${err.code})${reason === undefined ? '' : `: ${reason}`}${text === '' ? '' : ` [${text}]`}`;
}

/** An LDAP operation failed after the connection was up. */
export function operationFailure(
  err: unknown,
  what: string,
  where: string,
  /** The deadline in words, e.g. `--timeout 1000 ms`. */
  deadline: string,
  secret: string | undefined,
): Failure {
  if (err instanceof ResultCodeError) {
    const said = describeResultCode(err, secret);
    if (err.code === ResultCode.timeLimitExceeded)
      return { result: 'timeout', detail: `${what} on ${where} failed: ${said}` };
    if (err.code === ResultCode.busy || err.code === ResultCode.unavailable) {
      return { result: 'connect-failed', detail: `${what} on ${where} failed: the server is not available, ${said}` };
    }
    if (err.code === ResultCode.noSuchObject)
      return { result: 'not-found', detail: `${what} on ${where} failed: ${said}` };
    const hint =
      err.code === ResultCode.operationsError && /000004DC/i.test(err.message)
        ? ' (the directory does not allow anonymous searches: bind with --ldap-bind-dn and --ldap-password-env)'
        : '';
    return { result: 'refused', detail: `${what} on ${where} was refused: ${said}${hint}` };
  }
  const message = redact(err instanceof Error ? err.message : String(err), secret);
  if (/timed out/i.test(message))
    return { result: 'timeout', detail: `${what} on ${where}: no answer within ${deadline}` };
  if (/closed before message response/i.test(message) || /socket error/i.test(message)) {
    return { result: 'connect-failed', detail: `${what} on ${where}: the server closed the connection` };
  }
  return { result: 'connect-failed', detail: `${what} on ${where} failed: ${message.split('\n')[0]}` };
}
