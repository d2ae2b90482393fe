/**
 * In-process certificate factory: roots, intermediates, server certificates and CSRs, generated with
 * `@peculiar/x509` over node:crypto WebCrypto. Nothing is cached: every call makes fresh keys.
 */
export {
  type Authority,
  type AuthorityOptions,
  createAuthority,
  createIntermediate,
  type IntermediateOptions,
} from './authority.js';
export { type CertificateSigningRequest, type CsrOptions, createCsr } from './csr.js';
export { type IssuedCertificate, type IssueOptions, issueCertificate } from './issue.js';
export type { KeyType } from './keys.js';
export type { Validity, ValidityOptions } from './validity.js';
