/**
 * Certificate evidence: summaries in the report's shape, the three name verdicts, chain analysis, and the probe
 * that collects them from a live server. Everything but `probeTls` is pure and works on certificates in memory.
 */
export {
  type CertificateInput,
  isIssuedBy,
  isSelfSigned,
  parsePemBundle,
  toX509,
} from './certificate.js';
export {
  type AnalyzeChainOptions,
  analyzeChain,
  type ChainAnalysis,
  type ChainElement,
  type ChainProblem,
  type ChainProblemCode,
  type ChainVerdict,
} from './chain.js';
export { VERIFY_ERROR_MESSAGES, verifyErrorMessage } from './codes.js';
export { type StepTls, stepTls, stepTlsWithVerdicts } from './evidence.js';
export { matchName, type NameMatch, normalizeHost } from './names.js';
export { probeTls, type ServedChainMethod, type TlsProbeOptions, type TlsProbeResult, walkPeerChain } from './probe.js';
export {
  type CertificateDetails,
  type CertificateSummary,
  describeCertificate,
  summarizeCertificate,
} from './summary.js';
export { trustContext } from './trust.js';
