/** Redirect rules: consent prompts, http:// targets, loops and the limit of 10. */
import { certVars, type Draft, indexed, type Rule } from '../finding.js';

export const redirectRules: Rule = ({ report }) => {
  const drafts: Draft[] = [];
  const steps = indexed(report);
  for (const { step, index } of steps) {
    if (step.result !== 'refused') continue;
    if (step.refusal === 'insecure-redirect') {
      const producer =
        step.method === 'http-redirect'
          ? undefined
          : steps
              .slice(0, index)
              .reverse()
              .find((s) => s.step.redirectTo === step.url)?.step;
      const from = step.method === 'http-redirect' ? step.url : producer?.url;
      drafts.push({
        // A SOAP answer's RedirectUrl has its own code: the fix is in the Autodiscover server, not a web redirect.
        code: producer?.soap?.errorCode === 'RedirectUrl' ? 'SOAP_REDIRECT_URL_INSECURE' : 'INSECURE_REDIRECT',
        steps: [index],
        vars: {
          ...certVars(step),
          url: step.method === 'http-redirect' ? (step.redirectTo ?? '') : step.url,
          from: from ?? 'A previous step',
        },
      });
    }
    if (step.refusal === 'redirect-loop' || step.refusal === 'redirect-limit') {
      // The hops of this chain: an EWS application's SOAP and POX lookups are two chains (docs/lookups.md).
      const hops = steps.filter(
        (s) =>
          s.index < index &&
          (s.step.result === 'redirect-url' || s.step.result === 'redirect-addr') &&
          s.step.protocol === step.protocol,
      );
      // http://autodiscover.<domain> sending the client to https://autodiscover.<domain>, already tried as a
      // candidate (and failed there for its own reason): the client declines to ask again, but nothing loops.
      const candidateAgain =
        step.refusal === 'redirect-loop' &&
        hops.every((s) => s.step.method === 'http-redirect') &&
        steps.some((s) => s.index < index && s.step.method !== 'redirect' && s.step.url === step.url);
      if (candidateAgain) continue;
      // Where it started, then every place it was sent, ending where the client refused to go again.
      const places = [hops[0]?.step.url ?? hops[0]?.step.email, ...hops.map((s) => s.step.redirectTo)];
      if (step.method !== 'redirect') places.push(step.redirectTo ?? undefined);
      const chain = places.filter((p, i): p is string => !!p && p !== places[i - 1]);
      const shown = chain.length > 7 ? [...chain.slice(0, 3), '…', ...chain.slice(-3)] : chain;
      drafts.push({
        code: 'REDIRECT_LIMIT',
        steps: [...hops.map((s) => s.index), index],
        vars: { count: hops.length, chain: shown.join(' → ') },
      });
    }
  }
  // Settings (or the lookup) depend on a target the client asks about.
  const promptStep = report.prompt?.kind === 'redirect' ? steps.findLast((s) => s.step.result === 'prompt') : undefined;
  const consented =
    report.outcome === 'settings' &&
    (report.settings?.method === 'srv' ||
      (report.settings?.method === 'redirect' &&
        steps.some((s) => s.step.method === 'http-redirect' && s.step.result === 'redirect-url')));
  if (promptStep || consented) {
    const target = promptStep?.step ?? steps.findLast((s) => s.step.result === 'settings')?.step;
    const url = report.prompt?.url ?? target?.url ?? '';
    let host = '';
    try {
      host = new URL(url).hostname;
    } catch {
      host = target?.host ?? '';
    }
    const via = steps.some((s) => s.step.method === 'srv' && s.step.url === url)
      ? 'an SRV record'
      : 'the HTTP redirect method';
    drafts.push({
      code: 'REDIRECT_NEEDS_CONSENT',
      steps: steps.filter((s) => s.step.url === url || s.step.redirectTo === url).map((s) => s.index),
      vars: {
        url,
        host,
        via,
        email: report.email,
        domain: report.email.slice(report.email.lastIndexOf('@') + 1),
        // An EWS application has no user to ask: its redirection-validation callback decides (docs/lookups.md).
        whoAsks:
          report.client === 'ews'
            ? `An EWS application looking up ${report.email} asks its AutodiscoverRedirectionUrlValidationCallback about this URL and goes on only if it approves; the EWS Managed API's default callback refuses every redirect.`
            : `Outlook shows "Allow this website to configure ${report.email} server settings?" (phones and Thunderbird ask in their own words) and goes on only if the user agrees; Outlook asks again at later runs unless "Don’t ask me again" is ticked.`,
        policyFix:
          report.client === 'ews'
            ? ''
            : `For managed Windows clients, pre-approve ${host} under the RedirectServers policy key.`,
      },
    });
  }
  return drafts;
};
