/** Probe result → the `tls` object of a `discover` step (docs/discover-contract.md), with our additions. */
import type { TlsProbeResult } from './probe.js';
import type { CertificateSummary } from './summary.js';

export interface StepTls {
  protocol: string | null;
  /** Node's code when the connection or certificate was refused, null when accepted. */
  error: string | null;
  certificate: CertificateSummary | null;
  /** What the server sent, leaf first. */
  chain: CertificateSummary[];
  /* Additions to the contract below. */
  /** Name verdicts under the three rule sets (docs/tls.md §1): they differ on partial wildcards and CNs. */
  names?: { strict: boolean; node: boolean; outlook: boolean };
  /** trusted | incomplete | untrusted-root | self-signed */
  chainVerdict?: string;
  /** The SNI name sent (null: none). */
  servername?: string | null;
}

/**
 * The contract has a `tls` object "whenever a TLS handshake was attempted": a probe that never got a TCP
 * connection (refused, unreachable, connect timeout) attempted none, so it has no `tls` object (null).
 */
export function stepTls(result: TlsProbeResult): StepTls | null {
  if (result.failedAt === 'connect') return null;
  return { protocol: result.protocol, error: result.code, certificate: result.certificate, chain: result.chain };
}

/** stepTls plus the additions: the three name verdicts, the chain verdict and the SNI name sent. */
export function stepTlsWithVerdicts(result: TlsProbeResult): StepTls | null {
  const tls = stepTls(result);
  if (!tls) return null;
  tls.servername = result.servername;
  if (result.names)
    tls.names = { strict: result.names.strict.ok, node: result.names.node.ok, outlook: result.names.outlook.ok };
  if (result.chainAnalysis) tls.chainVerdict = result.chainAnalysis.verdict;
  return tls;
}
