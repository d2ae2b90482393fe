/**
 * The diagnosis: rules over the recorded steps (never new network calls) that say what is wrong, why, and how to
 * fix it, preferred fix first. Findings are ordered errors first, then by the first step they point at.
 */
import type { DiscoveryReport, Finding } from '../discover/report.js';
import { type Rule, toFinding } from './finding.js';
import { addressRules } from './rules/addresses.js';
import { certificateRules, expiryRule } from './rules/certificates.js';
import { dnsUnavailableRule, missingNamesRule, noEndpointRule, plainHttpRule, srvPortRule } from './rules/dns.js';
import { danglingForeignHostRule } from './rules/foreign-hosts.js';
import { rootDomainBesideScpRule } from './rules/parallel.js';
import { redirectRules } from './rules/redirects.js';
import { errorResponseRule, unauthorizedRule } from './rules/responses.js';
import { serviceRules } from './rules/services.js';
import { ewsUrlMissingRule, soapEndpointMissingRule } from './rules/soap.js';
import { candidateTimeoutRule } from './rules/timeouts.js';
import { plainHttpConfigRule, plaintextLoginRule } from './rules/transport.js';

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
  soapEndpointMissingRule,
  ewsUrlMissingRule,
  plainHttpConfigRule,
  plaintextLoginRule,
  danglingForeignHostRule,
  candidateTimeoutRule,
  addressRules,
  dnsUnavailableRule,
  noEndpointRule,
];

const RANK = { error: 0, warning: 1, info: 2 } as const;

/**
 * A consequence finding comes right before the facts it names in `because` (same severity and first step: the
 * sort is stable and the rules emit the consequence first); `because` holds their indexes in the final list.
 */
export function diagnose(report: DiscoveryReport, now: Date = new Date()): Finding[] {
  const drafts = RULES.flatMap((rule) => rule({ report, now }));
  const sorted = drafts
    .map((draft) => ({ draft, finding: toFinding(draft) }))
    .sort(
      (a, b) =>
        RANK[a.finding.severity] - RANK[b.finding.severity] ||
        (a.finding.steps[0] ?? 1e9) - (b.finding.steps[0] ?? 1e9),
    );
  // An EWS application walks the HTTP redirect and SRV methods twice (SOAP, then POX): the same fact seen twice is
  // one finding, pointing at both steps.
  const unique: typeof sorted = [];
  for (const entry of sorted) {
    const same = unique.find(
      (u) =>
        u.finding.code === entry.finding.code &&
        u.finding.detail === entry.finding.detail &&
        u.draft.key === undefined &&
        entry.draft.key === undefined,
    );
    if (same) same.finding.steps = [...new Set([...same.finding.steps, ...entry.finding.steps])];
    else unique.push(entry);
  }
  const position = new Map(unique.map(({ draft }, i) => [draft.key, i]));
  return unique.map(({ draft, finding }) => {
    const because = (draft.because ?? []).map((key) => position.get(key)).filter((i) => i !== undefined);
    return because.length > 0 ? { ...finding, because } : finding;
  });
}
