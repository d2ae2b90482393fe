/**
 * The step of a DNS record lookup (SRV, MX) that decides what a client asks next: it starts as "no record" and
 * keeps the distinction the contract makes between an answer that says so (NXDOMAIN, NODATA: `not-found`) and a
 * lookup that got no answer (`dns-error`), which says nothing about whether the record exists.
 */
import type { DnsResult } from '../../dns/resolver.js';
import type { Lookup } from '../context.js';
import type { Step, StepMethod } from '../report.js';

export function recordLookupStep(
  lookup: Lookup,
  method: StepMethod,
  host: string,
  email: string,
  round: number,
  started: number,
): Step {
  return {
    method,
    email,
    host,
    addresses: [],
    result: 'not-found',
    status: null,
    redirectTo: null,
    detail: '',
    ms: Math.round((lookup.ports.now() - started) * 10) / 10,
    round,
  };
}

/** Sets the result of a lookup that found no record: `dns-error` (phase dns) when DNS gave no answer at all. */
export function markNoRecord(step: Step, answer: Exclude<DnsResult<unknown>, { status: 'ok' }>): void {
  step.result = answer.status === 'error' ? 'dns-error' : 'not-found';
  if (answer.status === 'error') step.phase = 'dns';
}
