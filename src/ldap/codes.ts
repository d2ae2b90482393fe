/**
 * LDAP result codes (RFC 4511 §4.1.9 and Appendix A): the one table for both ends, the codes this server sends
 * and the ones a client reading a directory meets (discover/scp-failure.ts names them in its details).
 */
export const ResultCode = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  authMethodNotSupported: 7,
  strongAuthRequired: 8,
  unavailableCriticalExtension: 12,
  confidentialityRequired: 13,
  attributeOrValueExists: 20,
  noSuchObject: 32,
  invalidDNSyntax: 34,
  inappropriateAuthentication: 48,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  namingViolation: 64,
  objectClassViolation: 65,
  entryAlreadyExists: 68,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(ResultCode).map(([name, code]) => [code, name]));

/** RFC 4511's name of a result code (`invalidCredentials`), or undefined for one this table does not hold. */
export function resultCodeName(code: number): string | undefined {
  return NAMES.get(code);
}

export type ResultCodeValue = (typeof ResultCode)[keyof typeof ResultCode];

/**
 * A request that cannot be decoded. RFC 4511 §4.1.1 says the server then sends a Notice of Disconnection and
 * drops the connection, because it can no longer trust where the next message starts.
 */
export class LdapDecodeError extends Error {
  override name = 'LdapDecodeError';
}
