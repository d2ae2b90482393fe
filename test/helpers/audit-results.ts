/** Audit results for the results-store tests: one domain, one client, a day of March 2026 each. */
import type { AuditResult } from '../../src/audit/results.js';

/** 10:00 UTC on that day of March 2026. */
export const dayAt = (day: number): string => `2026-03-${String(day).padStart(2, '0')}T10:00:00.000Z`;

/** contoso.test's `outlook` result of that day, with settings and no finding, unless `over` says otherwise. */
export function auditResult(day: number, over: Partial<AuditResult> = {}): AuditResult {
  return {
    domain: 'contoso.test',
    client: 'outlook',
    at: dayAt(day),
    outcome: 'settings',
    codes: [],
    certNotAfter: null,
    ms: 5,
    ...over,
  };
}
