/**
 * The HTTP redirect method (MS-OXDISCO 3.1.5.4): an unauthenticated GET to http://autodiscover.<domain>/…,
 * no automatic following; only a 3xx to an https:// autodiscover.xml URL is used, and only after the user
 * agrees. An XML answer over plain HTTP is ignored.
 */
import { isAutodiscoverRedirectTarget, resolveLocation } from '../candidates.js';
import type { Lookup, StepRun } from '../context.js';
import { redirectPromptMessage } from '../messages.js';
import { getStep } from './connect.js';
import { needsConsent } from './consent.js';

export async function httpRedirectStep(
  lookup: Lookup,
  url: URL,
  email: string,
  domain: string,
  round: number,
): Promise<StepRun> {
  const got = await getStep(lookup, 'http-redirect', email, url, round);
  if ('done' in got) return got.done;
  const { step, response } = got;
  if (![301, 302, 303, 307, 308].includes(response.status)) {
    step.result = response.status === 200 ? 'refused' : 'http-status';
    if (response.status === 200) step.refusal = 'plain-http-answer';
    step.detail =
      response.status === 200
        ? 'HTTP 200 over plain HTTP: clients ignore settings sent without TLS; only a redirect to https:// is used.'
        : `HTTP ${response.status}: no redirect here.`;
    return { step, next: { kind: 'continue' } };
  }
  const to = resolveLocation(response.headers.location, url);
  step.redirectTo = to?.href ?? null;
  if (!to) {
    step.result = 'http-status';
    step.detail = `HTTP ${response.status} without a usable Location header.`;
    return { step, next: { kind: 'continue' } };
  }
  if (!isAutodiscoverRedirectTarget(to)) {
    step.result = 'refused';
    step.refusal = to.protocol !== 'https:' ? 'insecure-redirect' : 'not-autodiscover-path';
    step.detail =
      to.protocol !== 'https:'
        ? `The redirect points to ${to.href}: only https:// targets are followed.`
        : `The redirect points to ${to.href}, which is not an /autodiscover/autodiscover.xml URL; clients ignore it.`;
    return { step, next: { kind: 'continue' } };
  }
  if (needsConsent(lookup, to, domain) && !lookup.options.accept.redirect) {
    step.result = 'prompt';
    step.detail = `HTTP ${response.status} to ${to.href}: ${lookup.profile.short} asks ${lookup.profile.consentBy ?? 'the user'} before using it.`;
    return {
      step,
      next: {
        kind: 'prompt',
        prompt: { kind: 'redirect', url: to.href, host: to.hostname, message: redirectPromptMessage(email, to.href) },
      },
    };
  }
  step.result = 'redirect-url';
  step.detail = `HTTP ${response.status} to ${to.href}${lookup.options.accept.redirect ? ' (allowed with --accept redirect)' : ''}.`;
  return { step, next: { kind: 'redirect-url', url: to } };
}
