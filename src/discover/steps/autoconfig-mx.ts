/**
 * Thunderbird's MX step (comm-central FetchConfig.sys.mjs `fetchConfigForMX`, docs/lookups.md): when the domain's
 * own autoconfig finds nothing, Thunderbird takes the most preferred MX host of the domain and asks the autoconfig
 * of that host's domain, over HTTPS only and without the .well-known URL: first the MX host minus its first label
 * (when that is not yet the base domain: mail.protection.outlook.com for …mail.protection.outlook.com), then the
 * base domain (outlook.com). It also asks Mozilla's ISPDB for those domains, which this offline tool does not.
 * Nothing is asked when the MX host's base domain is the address's domain itself (Thunderbird compares exactly: a
 * subdomain address whose MX is in its parent domain does ask the parent).
 */
import { getDomain } from 'tldts';
import type { AddressParts } from '../candidates.js';
import type { Lookup, Next } from '../context.js';
import type { Step } from '../report.js';
import { autoconfigStep } from './autoconfig.js';
import { markNoRecord, recordLookupStep } from './record-lookup.js';

/** The domains Thunderbird asks for an MX host, in its priority order (empty: nothing new to ask). */
export function mxLookupDomains(mxHost: string, domain: string): string[] {
  const host = mxHost.toLowerCase().replace(/\.$/, '');
  const base = getDomain(host, { allowPrivateDomains: true });
  if (!base || base === domain) return [];
  // Services.eTLD.getNextSubDomain: the host without its first label, when that is still below the base domain.
  const parent = host.split('.').slice(1).join('.');
  return parent !== base && parent.endsWith(`.${base}`) ? [parent, base] : [base];
}

export async function autoconfigMxSteps(
  lookup: Lookup,
  template: string,
  address: AddressParts,
  round: number,
  record: (step: Step) => void,
): Promise<Next> {
  const { domain, email } = address;
  const started = lookup.ports.now();
  const answer = await lookup.once(`mx:${domain}`, () => lookup.ports.dns.resolveMx(domain));
  const step = recordLookupStep(lookup, 'autoconfig-mx', domain, email, round, started);
  if (answer.status !== 'ok') {
    markNoRecord(step, answer);
    step.detail =
      answer.status === 'error'
        ? `The MX lookup of ${domain} failed (${answer.message}): Thunderbird has no provider to ask.`
        : `${domain} has no MX record: Thunderbird has no provider to ask.`;
    record(step);
    return { kind: 'continue' };
  }
  const records = [...answer.records].sort((a, b) => a.priority - b.priority);
  step.records = records.map((r) => ({ preference: r.priority, exchange: r.exchange.replace(/\.$/, '') }));
  // Thunderbird takes one host of the most preferred records (a "." exchange is RFC 7505's "no mail here").
  const mxHost = records.find((r) => r.exchange.replace(/\.$/, '') !== '')?.exchange.replace(/\.$/, '');
  if (!mxHost) {
    step.detail = `${domain} says it receives no mail (null MX): Thunderbird has no provider to ask.`;
    record(step);
    return { kind: 'continue' };
  }
  const domains = mxLookupDomains(mxHost, domain);
  if (domains.length === 0) {
    step.result = 'skipped';
    step.detail = `The MX host ${mxHost} is in ${domain} itself: the MX step would ask nothing new.`;
    record(step);
    return { kind: 'continue' };
  }
  const urls = domains.map(
    (d) => new URL(template.replaceAll('{mxDomain}', d).replaceAll('{email}', encodeURIComponent(email))),
  );
  // No step of its own for a lookup that found a provider: its records and its reading go on the first request,
  // so that every step with a result is a request (the lookup step above exists only when nothing is asked).
  const why = `Mail for ${domain} goes to ${mxHost}: Thunderbird asks the autoconfig of ${domains.join(', then ')} (HTTPS only; Mozilla's ISPDB for ${domains.join(' and ')} is on the internet and not asked here).`;
  for (const [i, url] of urls.entries()) {
    const run = await autoconfigStep(lookup, url, email, round, 'autoconfig-mx');
    if (i === 0) {
      run.step.records = step.records;
      run.step.ms = Math.round((run.step.ms + step.ms) * 10) / 10;
      run.step.detail = `${why} ${run.step.detail}`;
    }
    record(run.step);
    if (run.next.kind !== 'continue') return run.next;
  }
  return { kind: 'continue' };
}
