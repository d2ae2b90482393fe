/**
 * The SRV method: `_autodiscover._tcp.<domain>`; each target, in RFC 2782 order, is asked with the POX POST at
 * https://<target>/autodiscover/autodiscover.xml after the user agrees. Outlook ignores the port (it always uses
 * 443); Thunderbird too. A port other than 443 is noted.
 */
import type { Lookup, StepRun } from '../context.js';
import { redirectPromptMessage } from '../messages.js';
import type { StepProtocol } from '../profiles.js';
import type { Step } from '../report.js';
import { soapUrlOf } from '../soap-answer.js';
import { orderSrv } from '../srv.js';
import { needsConsent } from './consent.js';
import { postStep } from './post.js';
import { markNoRecord, recordLookupStep } from './record-lookup.js';
import { soapProbe } from './soap-probe.js';

/**
 * The most SRV targets tried. MS-OXDISCO only says the query "produces an ordered list of hosts"; no client
 * documents a limit, and real domains publish one or two. Without a cap, 1,000 hanging targets would each cost a
 * full --timeout; 10 keeps every real failover set while a hostile answer costs at most 10 steps.
 */
export const SRV_TARGET_CAP = 10;

export async function srvSteps(
  lookup: Lookup,
  name: string,
  email: string,
  domain: string,
  round: number,
  record: (step: Step) => void,
  /** `soap`: the targets are asked with GetUserSettings at /autodiscover/autodiscover.svc (the ews profile). */
  protocol?: StepProtocol,
): Promise<StepRun['next']> {
  const started = lookup.ports.now();
  const answer = await lookup.once(`srv:${name}`, () => lookup.ports.dns.resolveSrv(name));
  const step = recordLookupStep(lookup, 'srv', name, email, round, started);
  if (answer.status !== 'ok') {
    markNoRecord(step, answer);
    step.detail =
      answer.status === 'nxdomain'
        ? `${name} does not exist in DNS: no SRV record.`
        : answer.status === 'nodata'
          ? `${name} has no SRV record.`
          : `The SRV lookup of ${name} failed: ${answer.message}`;
    record(step);
    return { kind: 'continue' };
  }
  const ordered = orderSrv(answer.records, () => lookup.ports.random());
  step.records = answer.records.map((r) => ({ priority: r.priority, weight: r.weight, port: r.port, target: r.name }));
  if (ordered.length === 0) {
    step.detail = `${name} says there is no service here (target ".").`;
    record(step);
    return { kind: 'continue' };
  }
  const tried = ordered.slice(0, SRV_TARGET_CAP);
  if (ordered.length > tried.length) step.capped = { limit: SRV_TARGET_CAP, found: ordered.length };
  const urls = tried.map((r) => {
    const host = r.name.replace(/\.$/, '');
    return protocol === 'soap' ? soapUrlOf(host) : new URL(`https://${host}/autodiscover/autodiscover.xml`);
  });
  step.result = 'redirect-url';
  step.redirectTo = urls[0]?.href ?? null;
  const odd = [...new Set(tried.filter((r) => r.port !== 443).map((r) => r.port))];
  const cap =
    ordered.length > tried.length
      ? ` Only the first ${SRV_TARGET_CAP} are tried (the rest are ignored, so a long list cannot cost a --timeout each).`
      : '';
  step.detail = `${ordered.length} SRV target(s): ${tried.map((r) => `${r.name}:${r.port}`).join(', ')}${
    ordered.length > tried.length ? `, and ${ordered.length - tried.length} more` : ''
  }.${cap}${odd.length > 0 ? ` Port ${odd.join(', ')} is ignored: ${lookup.profile.short} always connects to 443.` : ''}`;
  record(step);

  for (const url of urls) {
    if (lookup.budgetSpent('srv', email, url.hostname, round, record)) return { kind: 'fail' };
    if (needsConsent(lookup, url, domain) && !lookup.options.accept.redirect) {
      const prompt: Step = {
        method: 'srv',
        email,
        url: url.href,
        host: url.hostname,
        addresses: [],
        result: 'prompt',
        status: null,
        redirectTo: null,
        detail: `The SRV record points to ${url.hostname}: ${lookup.profile.short} asks ${lookup.profile.consentBy ?? 'the user'} before sending anything there.`,
        ms: 0,
        round,
      };
      record(prompt);
      return {
        kind: 'prompt',
        prompt: {
          kind: 'redirect',
          url: url.href,
          host: url.hostname,
          message: redirectPromptMessage(email, url.href),
        },
      };
    }
    let target = url;
    if (protocol === 'soap') {
      const svc = await soapProbe(lookup, 'srv', email, url.hostname, round, record);
      if (!svc) continue;
      target = svc;
    }
    const run = await postStep(lookup, {
      method: 'srv',
      url: target,
      email,
      round,
      foreign: true,
      consented: true,
      ...(protocol ? { protocol } : {}),
    });
    record(run.step);
    if (run.next.kind !== 'continue') return run.next;
  }
  return { kind: 'continue' };
}
