/**
 * The discovery report: the public, scriptable contract of `autodisco discover --json` (docs/discover-contract.md,
 * published as schemas/discovery-report.schema.json). The types are inferred from the one definition in
 * report-schema.ts, from which the published schema is generated. Fields may be added; none listed in the contract
 * may be renamed, removed or change meaning.
 */
import type { z } from 'zod';
import type { StepTls as TlsEvidence } from '../tls/index.js';
import type {
  certificateSummary,
  discoveredSettings,
  discoveryComparison,
  discoveryReport,
  finding,
  outcome,
  profileName,
  prompt,
  protocolSettings,
  refusal,
  serviceCheck,
  step,
  stepMethod,
  stepResult,
  stepTls,
} from './report-schema.js';

export { COMPARISON_SCHEMA_ID, REPORT_SCHEMA_ID } from './report-schema.js';

export type ProfileName = z.infer<typeof profileName>;
export type StepMethod = z.infer<typeof stepMethod>;
export type StepResult = z.infer<typeof stepResult>;
export type Outcome = z.infer<typeof outcome>;
export type Refusal = z.infer<typeof refusal>;
export type StepTls = z.infer<typeof stepTls>;
export type Step = z.infer<typeof step>;
export type ServiceCheck = z.infer<typeof serviceCheck>;
export type ProtocolSettings = z.infer<typeof protocolSettings>;
export type DiscoveredSettings = z.infer<typeof discoveredSettings>;
export type Prompt = z.infer<typeof prompt>;
export type Finding = z.infer<typeof finding>;
export type DiscoveryReport = z.infer<typeof discoveryReport>;
export type Comparison = z.infer<typeof discoveryComparison>;

/**
 * The TLS module writes its evidence (src/tls/evidence.ts) without depending on the report: the two shapes must
 * stay one. A compile error here means they drifted.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const tlsShapesAgree: Same<TlsEvidence, StepTls> &
  Same<TlsEvidence['certificate'], z.infer<typeof certificateSummary> | null> = true;
void tlsShapesAgree;
