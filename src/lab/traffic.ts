/**
 * What the lab's hosts received, next to what a discovery report says was sent. The contract (README,
 * "Discovering"): every HTTP request a server receives is a step of the report, so an access log read next to the
 * trace shows the client's traffic and nothing else. Each request is written as one comparable line:
 * `POST https://autodiscover.contoso.test/autodiscover/autodiscover.xml credentials:no`.
 */
import type { DiscoveryReport } from '../discover/report.js';
import type { LabRequest } from './lab.js';

/** The requests the report's steps made, in step order (a step with `httpMethod` made exactly one). */
export function stepRequests(report: DiscoveryReport): string[] {
  return report.steps.flatMap((s) =>
    s.httpMethod && s.url ? [line(s.httpMethod, s.url, s.credentialsSent === true)] : [],
  );
}

/** The requests the lab's hosts logged, oldest first. */
export function loggedRequests(entries: readonly LabRequest[]): string[] {
  return entries.map((e) =>
    line(e.method, `${e.scheme}://${e.hostHeader ?? e.servername ?? e.host}${e.url}`, e.authScheme !== undefined),
  );
}

function line(method: string, url: string, credentials: boolean): string {
  let href = url;
  try {
    href = new URL(url).href;
  } catch {
    // Kept as written: the comparison then shows it as it was.
  }
  return `${method.toUpperCase()} ${href} credentials:${credentials ? 'sent' : 'no'}`;
}

/** What one list has that the other lacks, counting repeats (a multiset difference both ways). */
export function trafficDifference(
  expected: readonly string[],
  actual: readonly string[],
): { missing: string[]; extra: string[] } {
  const left = new Map<string, number>();
  for (const l of expected) left.set(l, (left.get(l) ?? 0) + 1);
  const extra: string[] = [];
  for (const l of actual) {
    const n = left.get(l) ?? 0;
    if (n > 0) left.set(l, n - 1);
    else extra.push(l);
  }
  const missing = [...left].flatMap(([l, n]) => Array<string>(n).fill(l));
  return { missing, extra };
}

/**
 * What must not depend on concurrency, one line per item: the outcome (and where the settings or the prompt came
 * from), then each step in order with its method, URL, result, status, redirect and whether credentials went with it.
 */
export function behaviour(report: DiscoveryReport): string[] {
  const from = report.settings ? ` from ${report.settings.url}` : report.prompt ? ` at ${report.prompt.url}` : '';
  return [
    `outcome ${report.outcome}${from}`,
    ...report.steps.map(
      (s, i) =>
        `#${i} round ${s.round ?? 0} ${s.method} ${s.httpMethod ?? '-'} ${s.url ?? s.host} → ${s.result}` +
        `${s.status === null ? '' : ` ${s.status}`}${s.redirectTo ? ` → ${s.redirectTo}` : ''}` +
        ` credentials:${s.credentialsSent === true ? 'sent' : 'no'}`,
    ),
  ];
}
