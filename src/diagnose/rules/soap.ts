/**
 * SOAP Autodiscover rules (the `ews` profile's steps): the autodiscover.svc endpoint missing on a host whose POX
 * URL answers, and answers without the EWS URL an EWS application needs. The SOAP RedirectUrl to http:// is
 * told apart in redirects.ts, where every refused http:// redirect is.
 */
import { PROFILES } from '../../discover/profiles.js';
import type { Step } from '../../discover/report.js';
import { type Draft, indexed, type Rule, shownUrl } from '../finding.js';

const ANSWERED = new Set<Step['result']>(['settings', 'redirect-addr', 'redirect-url', 'error-response']);

function poxResult(step: Step): string {
  switch (step.result) {
    case 'settings':
      return 'with settings';
    case 'error-response':
      return 'with an Autodiscover answer (an error)';
    default:
      return 'with a redirect';
  }
}

export const soapEndpointMissingRule: Rule = ({ report }) => {
  const steps = indexed(report);
  const drafts: Draft[] = [];
  const hosts = new Set<string>();
  for (const { step, index } of steps) {
    if (step.protocol !== 'soap' || !step.url || hosts.has(step.host)) continue;
    // The probe found no X-SOAP-Enabled header, or the POST to autodiscover.svc got no SOAP answer.
    const probe = step.result === 'no-soap';
    const post =
      /\/autodiscover\.svc$/i.test(new URL(step.url).pathname) &&
      (step.result === 'http-status' || step.result === 'invalid-response');
    if (!probe && !post) continue;
    // A POX answer from the same host (HTTP 200 with Autodiscover content, or a redirect it gave).
    const pox = steps.find(
      (s) =>
        s.step.protocol !== 'soap' && s.step.host === step.host && s.step.status === 200 && ANSWERED.has(s.step.result),
    );
    if (!pox) continue;
    hosts.add(step.host);
    drafts.push({
      code: 'SOAP_ENDPOINT_MISSING',
      steps: [index, pox.index],
      vars: {
        host: step.host,
        soapEvidence: probe
          ? `The answer to GET ${step.url} carried no X-SOAP-Enabled header (the test EWS applications make before they post SOAP to a host)`
          : `${step.url} answered ${step.result === 'http-status' ? `HTTP ${step.status}` : 'with a page that is no SOAP answer'}`,
        poxUrl: shownUrl(pox.step.url),
        poxResult: poxResult(pox.step),
      },
    });
  }
  return drafts;
};

export const ewsUrlMissingRule: Rule = ({ report }) => {
  const short = PROFILES[report.client]?.short ?? 'the client';
  const client = `${short.charAt(0).toUpperCase()}${short.slice(1)}`;
  return indexed(report)
    .filter(({ step }) => (step.missingSettings?.length ?? 0) > 0)
    .map(({ step, index }) => ({
      code: 'EWS_URL_MISSING' as const,
      steps: [index],
      vars: {
        url: shownUrl(step.url),
        host: step.host,
        email: step.email,
        missing: (step.missingSettings ?? []).join(' or '),
        client,
        effect:
          step.protocol === 'soap'
            ? 'gives up on SOAP Autodiscover here and tries its POX lookup'
            : 'stops here without settings',
      },
    }));
};
