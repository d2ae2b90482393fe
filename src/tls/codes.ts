/**
 * OpenSSL's text for the verify codes Node reports in `authorizationError` (which carries only the code).
 * Verified on Node 20.20 / OpenSSL 3.0 (docs/tls.md §2.1); used to give a probe result the same
 * `message` a rejecting client would have thrown.
 */
export const VERIFY_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  INVALID_PURPOSE: 'unsuitable certificate purpose',
  INVALID_CA: 'invalid CA certificate',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CERT_CHAIN_TOO_LONG: 'certificate chain too long',
  PATH_LENGTH_EXCEEDED: 'path length constraint exceeded',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
};

/** The message for a verify code, or the code itself when we have no text for it. */
export function verifyErrorMessage(code: string): string {
  return VERIFY_ERROR_MESSAGES[code] ?? code;
}
