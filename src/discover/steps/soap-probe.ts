/**
 * The EWS Managed API's test for a SOAP Autodiscover endpoint on a host (`TryGetEnabledEndpointsForHost`,
 * docs/lookups.md): before it posts GetUserSettings to https://<host>/autodiscover/autodiscover.svc, it sends an
 * unauthenticated GET to https://<host>/autodiscover/autodiscover.xml, follows a redirect to another https host
 * (at most 10), and posts only when the answer, whatever its status, carries X-SOAP-Enabled or another
 * X-…-Enabled header. A failed request (DNS, connection, certificate: connect.ts) means no endpoint there.
 */
import { resolveLocation } from '../candidates.js';
import type { Lookup } from '../context.js';
import type { Step, StepMethod } from '../report.js';
import { soapUrlOf } from '../soap-answer.js';
import { getStep } from './connect.js';

/** The headers by which Exchange says which SOAP Autodiscover endpoints it serves; any non-empty value counts. */
const ENABLED_HEADERS = [
  'X-SOAP-Enabled',
  'X-WSSecurity-Enabled',
  'X-WSSecurity-SymmetricKey-Enabled',
  'X-WSSecurity-X509Cert-Enabled',
  'X-OAuth-Enabled',
] as const;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_HOPS = 10;

/** Probes `host`; records one step per GET. Returns the SOAP URL to post to, or undefined: no endpoint there. */
export async function soapProbe(
  lookup: Lookup,
  method: StepMethod,
  email: string,
  host: string,
  round: number,
  record: (step: Step) => void,
): Promise<URL | undefined> {
  const { short } = lookup.profile;
  let current = host;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const url = new URL(`https://${current}/autodiscover/autodiscover.xml`);
    const got = await getStep(lookup, method, email, url, round);
    if ('done' in got) {
      got.done.step.detail = `${got.done.step.detail} (The GET by which ${short} looks for a SOAP endpoint on ${current}.)`;
      record(got.done.step);
      return undefined;
    }
    const { step, response } = got;
    const to = REDIRECTS.has(response.status) ? resolveLocation(response.headers.location, url) : undefined;
    if (to && to.protocol === 'https:') {
      step.result = 'redirect-url';
      step.redirectTo = to.href;
      step.detail = `HTTP ${response.status} to ${to.href}: ${short} looks for the SOAP endpoint on ${to.hostname} instead.`;
      record(step);
      current = to.hostname;
      continue;
    }
    const enabled = ENABLED_HEADERS.filter((name) => {
      const value = response.headers[name.toLowerCase()];
      return (Array.isArray(value) ? value.join('') : (value ?? '')).trim() !== '';
    });
    step.soap = { enabled: [...enabled] };
    if (enabled.length === 0) {
      step.result = 'no-soap';
      step.detail = `HTTP ${response.status} without X-SOAP-Enabled (or another X-…-Enabled header): ${short} takes it that ${current} has no SOAP Autodiscover endpoint, and does not post there.`;
      record(step);
      return undefined;
    }
    const svc = soapUrlOf(current);
    step.result = 'soap-enabled';
    step.detail = `HTTP ${response.status} with ${enabled.join(', ')}: ${short} posts GetUserSettings to ${svc.href}.`;
    record(step);
    return svc;
  }
  return undefined;
}
