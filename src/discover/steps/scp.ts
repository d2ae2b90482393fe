/**
 * The SCP step of a domain-joined client: the directory search (one step per directory server asked), then a POX
 * POST to each URL found, in site-affinity and oldest-first order. An Autodiscover error from an SCP URL is
 * inconclusive: the next URL is tried.
 */
import type { AddressParts } from '../candidates.js';
import type { Lookup, Next } from '../context.js';
import type { StepProtocol } from '../profiles.js';
import type { Step } from '../report.js';
import { postStep } from './post.js';
import { soapProbe } from './soap-probe.js';

export type FollowRedirects = (first: Next) => Promise<Next>;

export async function scpSteps(
  lookup: Lookup,
  address: AddressParts,
  round: number,
  record: (step: Step) => void,
  follow: FollowRedirects,
  /** `soap`: each SCP URL's host is asked with GetUserSettings at /autodiscover/autodiscover.svc (ews profile). */
  protocol?: StepProtocol,
): Promise<Next> {
  const { ldap } = lookup.options;
  if (!ldap) {
    record({
      method: 'scp',
      email: address.email,
      host: '',
      addresses: [],
      result: 'skipped',
      status: null,
      redirectTo: null,
      detail: 'Not domain-joined: without --ldap there is no directory to search for Service Connection Points.',
      ms: 0,
      round,
    });
    return { kind: 'continue' };
  }
  const limit = lookup.limit(lookup.ports.now());
  const found = await lookup.ports.lookupScp({
    ldapUrl: ldap.url,
    ...(ldap.bindDN !== undefined ? { bindDN: ldap.bindDN } : {}),
    ...(ldap.password !== undefined ? { password: ldap.password } : {}),
    ...(lookup.options.site !== undefined ? { site: lookup.options.site } : {}),
    domain: address.domain,
    email: address.email,
    dns: lookup.ports.dns,
    timeoutMs: Math.max(1, limit.ms),
    deadline:
      limit.by === 'budget'
        ? `the ${limit.ms} ms left of the lookup's --budget of ${lookup.budgetMs} ms`
        : `--timeout ${lookup.options.timeoutMs} ms`,
    ca: lookup.options.ca,
    now: () => lookup.ports.now(),
  });
  for (const search of found.searches) record({ ...search, round });
  // A search that timed out under a budget-bound limit was cut by the budget: nothing starts after it.
  if (limit.by === 'budget' && found.searches.some((s) => s.result === 'timeout')) lookup.budgetCut();

  for (const scp of found.urls) {
    let url: URL;
    try {
      url = new URL(scp.url);
    } catch {
      record({
        method: 'scp',
        email: address.email,
        url: scp.url,
        host: '',
        addresses: [],
        result: 'invalid-response',
        status: null,
        redirectTo: null,
        detail: `The SCP ${scp.dn} holds "${scp.url}", which is not a URL.`,
        ms: 0,
        round,
      });
      continue;
    }
    // An EWS application takes only the host of an SCP URL for its SOAP lookup (GetAutodiscoverServiceHosts), and
    // posts there only if the host says it serves SOAP.
    if (protocol === 'soap') {
      const svc = await soapProbe(lookup, 'scp', address.email, url.hostname, round, record);
      if (!svc) continue;
      url = svc;
    }
    lookup.urlsSeen.add(`${address.email} ${url.href.toLowerCase()}`);
    // A URL published in the directory is the organisation's own: credentials may go there (if the TLS is valid).
    const run = await postStep(lookup, {
      method: 'scp',
      url,
      email: address.email,
      round,
      foreign: false,
      consented: true,
      ...(protocol ? { protocol } : {}),
    });
    record(run.step);
    const next = await follow(run.next);
    if (next.kind !== 'continue') return next;
  }
  return { kind: 'continue' };
}
