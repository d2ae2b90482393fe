/** LDAP result codes this server sends (RFC 4511 §4.1.9 and Appendix A). */
export const ResultCode = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  sizeLimitExceeded: 4,
  authMethodNotSupported: 7,
  unavailableCriticalExtension: 12,
  attributeOrValueExists: 20,
  noSuchObject: 32,
  invalidDNSyntax: 34,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  unavailable: 52,
  unwillingToPerform: 53,
  namingViolation: 64,
  objectClassViolation: 65,
  entryAlreadyExists: 68,
} as const;

export type ResultCodeValue = (typeof ResultCode)[keyof typeof ResultCode];

/**
 * A request that cannot be decoded. RFC 4511 §4.1.1 says the server then sends a Notice of Disconnection and
 * drops the connection, because it can no longer trust where the next message starts.
 */
export class LdapDecodeError extends Error {
  override name = 'LdapDecodeError';
}
