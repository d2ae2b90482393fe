/**
 * Stale or hijackable settings: a host the client is sent to that lies in another organisation's registrable
 * domain AND does not exist in DNS.
 *
 * Why not every foreign host: a provider's host (mail.provider.net serving customer.example) is the normal case
 * of hosted mail, so "another registrable domain" alone would flag every hosted customer. What the research calls
 * stale or hijackable is a foreign name that no longer resolves: the provider gave it up or the domain lapsed,
 * and whoever registers it receives the clients. The evidence is the DNS answer the lookup recorded for that name
 * (a service check of a settings URL, or a redirect or SRV target step): `not-found` is NXDOMAIN or NODATA, an
 * answer, never a DNS failure (`dns-error`, which says nothing). Hosts the lookup never resolved (IMAP and SMTP
 * servers, which no client step connects to) are not judged: no new lookups in a diagnosis.
 */
import { getDomain } from 'tldts';
import type { DiscoveryReport, Step } from '../../discover/report.js';
import { type Draft, indexed, type Rule, shownUrl } from '../finding.js';

export function registrableDomain(host: string): string {
  const bare = host.toLowerCase().replace(/\.$/, '');
  return getDomain(bare) ?? bare;
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The step whose answer pointed at `step` (a redirect's origin), if recorded. */
function pointer(report: DiscoveryReport, step: Step, before: number): Step | undefined {
  for (let i = before - 1; i >= 0; i--) {
    const s = report.steps[i];
    if (s?.redirectTo !== null && s?.redirectTo !== undefined && s.redirectTo === step.url) return s;
  }
  return undefined;
}

export const danglingForeignHostRule: Rule = ({ report }) => {
  const email = report.settings?.email ?? report.email;
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  const own = registrableDomain(domain);
  const drafts: Draft[] = [];
  const seen = new Set<string>();
  const consider = (
    host: string,
    answerHost: string | undefined,
    vars: { source: string; what: string },
    steps: number[],
  ) => {
    const hostDomain = registrableDomain(host);
    const answerDomain = answerHost === undefined ? own : registrableDomain(answerHost);
    if (hostDomain === own || hostDomain === answerDomain || seen.has(host)) return;
    seen.add(host);
    drafts.push({
      code: 'SETTINGS_HOST_DANGLING',
      steps,
      vars: { ...vars, host, hostDomain, email, domain, answerDomain },
    });
  };

  const settingsIndex = report.steps.findLastIndex((s) => s.result === 'settings');
  const answerHost = hostOf(report.settings?.url);
  for (const check of report.serviceChecks ?? []) {
    if (check.result !== 'not-found') continue;
    consider(
      check.host.toLowerCase(),
      answerHost,
      { source: `The settings from ${shownUrl(report.settings?.url)}`, what: `${check.service}: ${check.url}` },
      settingsIndex >= 0 ? [settingsIndex] : [],
    );
  }
  for (const { step, index } of indexed(report)) {
    if (step.result !== 'not-found' || step.url === undefined) continue;
    if (step.method !== 'redirect' && step.method !== 'srv') continue;
    const from = step.method === 'redirect' ? pointer(report, step, index) : undefined;
    consider(
      step.host.toLowerCase(),
      from?.host ?? (step.method === 'srv' ? domain : undefined),
      {
        source:
          step.method === 'srv'
            ? `The SRV record _autodiscover._tcp.${domain}`
            : `A redirect from ${shownUrl(from?.url) ?? 'an earlier answer'}`,
        what: `${step.method === 'srv' ? 'SRV target' : 'redirect target'}: ${shownUrl(step.url)}`,
      },
      [index],
    );
  }
  return drafts;
};
