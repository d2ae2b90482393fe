/**
 * The diagnosis: rules over the recorded steps (never new network calls) that say what is wrong, why, and how to
 * fix it, preferred fix first. Findings are ordered errors first, then by the first step they point at.
 */
import type { DiscoveryReport, Finding } from '../discover/report.js';
import { type Rule, toFinding } from './finding.js';
import { certificateRules, expiryRule } from './rules/certificates.js';
import { missingNamesRule, noEndpointRule, plainHttpRule, srvPortRule } from './rules/dns.js';
import { rootDomainBesideScpRule } from './rules/parallel.js';
import { redirectRules } from './rules/redirects.js';
import { errorResponseRule, unauthorizedRule } from './rules/responses.js';
import { serviceRules } from './rules/services.js';

export const RULES: readonly Rule[] = [
  certificateRules,
  rootDomainBesideScpRule,
  expiryRule,
  redirectRules,
  srvPortRule,
  plainHttpRule,
  missingNamesRule,
  errorResponseRule,
  unauthorizedRule,
  serviceRules,
  noEndpointRule,
];

const RANK = { error: 0, warning: 1, info: 2 } as const;

export function diagnose(report: DiscoveryReport, now: Date = new Date()): Finding[] {
  const findings = RULES.flatMap((rule) => rule({ report, now })).map(toFinding);
  return findings.sort((a, b) => RANK[a.severity] - RANK[b.severity] || (a.steps[0] ?? 1e9) - (b.steps[0] ?? 1e9));
}
