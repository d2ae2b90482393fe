/**
 * Thunderbird's ISP autoconfig: GET config-v1.1.xml from autoconfig.<domain> or <domain>/.well-known, or (method
 * `autoconfig-mx`) from autoconfig.<the MX host's domain> (steps/autoconfig-mx.ts).
 */
import { AutoconfigRejected, parseAutoconfig } from '../../formats/autoconfig.js';
import { XmlRejected } from '../../formats/xml.js';
import { autoconfigToProtocols } from '../autoconfig-settings.js';
import type { Lookup, StepRun } from '../context.js';
import type { StepMethod } from '../report.js';
import { getStep } from './connect.js';

export async function autoconfigStep(
  lookup: Lookup,
  url: URL,
  email: string,
  round: number,
  method: Extract<StepMethod, 'autoconfig' | 'autoconfig-mx'> = 'autoconfig',
): Promise<StepRun> {
  const got = await getStep(lookup, method, email, url, round);
  if ('done' in got) return got.done;
  const { step, response } = got;
  if (response.status !== 200) {
    step.result = 'http-status';
    step.detail = `HTTP ${response.status}: no autoconfig file here.`;
    return { step, next: { kind: 'continue' } };
  }
  if (/^\s*(<!doctype html|<html)/i.test(response.body)) {
    step.result = 'invalid-response';
    step.detail = 'HTTP 200, but an HTML page, not an autoconfig file.';
    return { step, next: { kind: 'continue' } };
  }
  try {
    const parsed = parseAutoconfig(response.body);
    const protocols = autoconfigToProtocols(parsed, email);
    step.result = 'settings';
    step.detail = `Autoconfig for ${parsed.id} with ${protocols.length} server(s)${url.protocol === 'http:' ? ', over plain HTTP (anyone on the path could have changed it)' : ''}.`;
    return {
      step,
      next: {
        kind: 'settings',
        settings: {
          email,
          url: url.href,
          method,
          user: { displayName: parsed.displayName ?? null, legacyDN: null, autoDiscoverSMTPAddress: null },
          protocols,
        },
      },
    };
  } catch (err) {
    if (!(err instanceof AutoconfigRejected || err instanceof XmlRejected)) throw err;
    step.result = 'invalid-response';
    step.detail = `HTTP 200, but not an autoconfig file: ${err.message}.`;
    return { step, next: { kind: 'continue' } };
  }
}
