/** Probe result → the `tls` object of a `discover` step (discover-contract.md). */
import type { TlsProbeResult } from './probe.js';
import type { CertificateSummary } from './summary.js';

export interface StepTls {
  protocol: string | null;
  /** Node's code when the connection or certificate was refused, null when accepted. */
  error: string | null;
  certificate: CertificateSummary | null;
  /** What the server sent, leaf first. */
  chain: CertificateSummary[];
}

/**
 * The contract has a `tls` object "whenever a TLS handshake was attempted": a probe that never got a TCP
 * connection (refused, unreachable, connect timeout) attempted none, so it has no `tls` object (null).
 */
export function stepTls(result: TlsProbeResult): StepTls | null {
  if (result.failedAt === 'connect') return null;
  return { protocol: result.protocol, error: result.code, certificate: result.certificate, chain: result.chain };
}
