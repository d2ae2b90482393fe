/**
 * The discovery report: the public, scriptable contract of `autodisco discover --json`
 * (../shared/docs/discover-contract.md, published as schemas/discovery-report.schema.json). Fields may be added;
 * none listed in the contract may be renamed, removed or change meaning.
 */
import type { StepTls } from '../tls/index.js';

export type { StepTls };

export const REPORT_SCHEMA_ID = 'autodisco.discovery/1';

export type ProfileName = 'outlook' | 'outlook-2013' | 'activesync' | 'thunderbird';

export type StepMethod =
  | 'scp'
  | 'root-domain'
  | 'autodiscover-domain'
  | 'http-redirect'
  | 'srv'
  | 'redirect'
  | 'autoconfig'
  | 'json-v2';

export type StepResult =
  | 'settings'
  | 'redirect-addr'
  | 'redirect-url'
  | 'error-response'
  | 'not-found'
  /** Addition: DNS could not be asked or gave no answer (timeout, SERVFAIL, REFUSED, no network): `detail` says which. Unlike `not-found`, it says nothing about whether the name exists. */
  | 'dns-error'
  | 'connect-failed'
  | 'timeout'
  | 'tls-error'
  | 'http-status'
  | 'invalid-response'
  | 'prompt'
  | 'refused'
  | 'skipped';

export type Outcome = 'settings' | 'prompt' | 'failed';

export interface Step {
  method: StepMethod;
  email: string;
  url?: string;
  host: string;
  addresses: string[];
  result: StepResult;
  status: number | null;
  tls?: StepTls;
  redirectTo: string | null;
  detail: string;
  ms: number;
  /* Additions to the contract below. */
  /** The part of `ms` spent on this step's DNS lookup (0 when an earlier step already paid for the same name). */
  dnsMs?: number;
  /** The HTTP method used, when a request was made. */
  httpMethod?: 'GET' | 'POST';
  /** Whether credentials went with this request. */
  credentialsSent?: boolean;
  /** Authentication schemes a 401 offered (WWW-Authenticate). */
  authSchemes?: string[];
  /** DNS SRV records or SCP entries a lookup step found. */
  records?: unknown[];
  /** Which address lookup round this step belongs to (0, then 1 after the first redirectAddr...). */
  round?: number;
  /** Why a `refused` step was refused, as a stable word. */
  refusal?: Refusal;
  /** Where a `timeout` or failure happened: DNS, the connection, TLS, or the HTTP exchange. */
  phase?: 'dns' | 'connect' | 'tls' | 'http';
}

export type Refusal =
  | 'insecure-redirect'
  | 'redirect-loop'
  | 'redirect-limit'
  | 'not-autodiscover-path'
  | 'plain-http-answer'
  | 'invalid-address';

/** The certificate served for a URL the settings hand out (EWS, OAB, Outlook Anywhere...): evidence for the diagnosis. */
export interface ServiceCheck {
  service: string;
  url: string;
  host: string;
  addresses: string[];
  result: 'ok' | 'tls-error' | 'not-found' | 'dns-error' | 'connect-failed' | 'timeout';
  tls?: StepTls;
  detail: string;
}

export interface ProtocolSettings {
  type: string;
  [key: string]: unknown;
}

export interface DiscoveredSettings {
  email: string;
  url: string;
  method: StepMethod;
  user: { displayName: string | null; legacyDN: string | null; autoDiscoverSMTPAddress: string | null };
  protocols: ProtocolSettings[];
}

export interface Prompt {
  kind: 'certificate' | 'redirect';
  url: string;
  host: string;
  message: string;
}

export interface Finding {
  code: string;
  severity: 'error' | 'warning' | 'info';
  title: string;
  detail: string;
  fixes: string[];
  steps: number[];
  /**
   * Addition: indexes into `findings` of the certificate facts (CERT_NAME_MISMATCH, CERT_UNTRUSTED, …) that this
   * finding explains the consequence of, e.g. ROOT_DOMAIN_BLOCKS_FALLBACK → [the CERT_NAME_MISMATCH of that step].
   */
  because?: number[];
}

export interface DiscoveryReport {
  schema: typeof REPORT_SCHEMA_ID;
  email: string;
  client: ProfileName;
  outcome: Outcome;
  settings: DiscoveredSettings | null;
  prompt: Prompt | null;
  steps: Step[];
  findings: Finding[];
  /** Addition: the certificates of the hosts the settings point to (checked after settings were found). */
  serviceChecks?: ServiceCheck[];
  /** Addition: DNS evidence gathered for the diagnosis when the lookup failed (MX of the domain). */
  evidence?: { mx?: string[] };
  /** Addition: how long the lookup took here, and what the real (sequential) client would have taken. */
  timing?: { wallMs: number; sequentialMs: number; clientSequentialMs: number };
}
