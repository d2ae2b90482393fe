/**
 * The readable trace `autodisco discover` prints without --json: one line per step (method, request, result,
 * the reason in words), the served certificate's names when TLS failed, the outcome, and the settings as a table.
 */
import { PROFILE_NAMES, PROFILES } from './profiles.js';
import {
  COMPARISON_SCHEMA_ID,
  type Comparison,
  type DiscoveryReport,
  type ProtocolSettings,
  type Step,
} from './report.js';
import { renderComparedFindings, renderFindings } from './text-findings.js';

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

function requestOf(step: Step): string {
  if (!step.url)
    return step.method === 'srv' ? `SRV ${step.host}` : step.method === 'scp' && step.host ? `LDAP ${step.host}` : '';
  return `${step.httpMethod ?? (['http-redirect', 'autoconfig', 'autoconfig-mx'].includes(step.method) ? 'GET' : 'POST')} ${step.url}`;
}

function certificateLine(step: Step): string | undefined {
  const tls = step.tls;
  if (!tls?.error || !tls.certificate) return undefined;
  const c = tls.certificate;
  const names = c.dnsNames.length > 0 ? c.dnsNames.join(', ') : `(no DNS names) ${c.subject}`;
  return `certificate served: ${names}; issued by ${c.issuer}; valid ${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)}${c.selfSigned ? '; self-signed' : ''}; SHA-256 ${c.sha256.slice(0, 23)}…`;
}

/** DNS time and the step's whole time, told apart (a slow server is not a slow DNS lookup). */
function timing(step: Step): string {
  if (!step.ms) return '';
  return step.dnsMs === undefined ? ` (step ${step.ms} ms)` : ` (DNS ${step.dnsMs} ms; step ${step.ms} ms in all)`;
}

function value(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

function protocolRow(p: ProtocolSettings): string[] {
  const url = (p['ewsUrl'] ??
    p['url'] ??
    (p['external'] as { owaUrl?: string } | undefined)?.owaUrl ??
    (p['mailStore'] as { externalUrl?: string } | undefined)?.externalUrl) as string | undefined;
  return [
    p.type,
    value(p['server']),
    value(p['port']),
    value(p['ssl'] ?? p['encryption']),
    value(p['loginName'] ?? p['authPackage']),
    value(url),
  ];
}

/**
 * Exchange 2013+ answers a client that sends `X-ClientCanHandle: ExHttpInfo` with two EXHTTP blocks, the
 * internal one first, then the external one (docs/protocol.md, POX `Type`): say which row is which, or the table
 * reads as the same protocol twice.
 */
function labelSides(rows: string[][]): string[][] {
  const exhttp = rows.filter((r) => r[0] === 'EXHTTP');
  if (exhttp.length < 2) return rows;
  let seen = 0;
  return rows.map((r) => {
    if (r[0] !== 'EXHTTP') return r;
    seen++;
    const label = exhttp.length === 2 ? (seen === 1 ? 'internal' : 'external') : `#${seen}`;
    return [`EXHTTP ${label}`, ...r.slice(1)];
  });
}

export function renderText(report: DiscoveryReport): string {
  const profile = PROFILES[report.client];
  const lines: string[] = [`${profile?.title ?? report.client}: looking up ${report.email}`, ''];
  report.steps.forEach((step, i) => {
    const who = step.round ? ` [${step.email}]` : '';
    lines.push(
      `${pad(String(i + 1), 3)}${pad(step.method, 20)}${pad(step.result, 17)}${requestOf(step)}${who}`.trimEnd(),
    );
    if (step.addresses.length > 0) lines.push(`     ${step.host} → ${step.addresses.join(', ')}${timing(step)}`);
    lines.push(`     ${step.detail}`);
    const cert = certificateLine(step);
    if (cert) lines.push(`     ${cert}`);
  });
  lines.push('');
  if (report.outcome === 'settings' && report.settings) {
    const s = report.settings;
    lines.push(
      `Outcome: settings for ${s.email}${s.user.displayName ? ` (${s.user.displayName})` : ''} from ${s.url} (${s.method})`,
    );
    const rows = [
      ['type', 'server', 'port', 'ssl', 'login / auth', 'url'],
      ...labelSides(s.protocols.map(protocolRow)),
    ];
    const widths = rows[0]?.map((_, col) => Math.min(48, Math.max(...rows.map((r) => (r[col] ?? '').length)))) ?? [];
    for (const r of rows)
      lines.push(
        `  ${r
          .map((c, col) => pad(c, (widths[col] ?? 0) + 1))
          .join('')
          .trimEnd()}`,
      );
  } else if (report.outcome === 'prompt' && report.prompt) {
    lines.push(`Outcome: the client stops at a ${report.prompt.kind} prompt for ${report.prompt.url}:`);
    lines.push(`  "${report.prompt.message}"`);
    lines.push(`  (--accept ${report.prompt.kind} answers it as a user who presses Yes.)`);
  } else {
    lines.push('Outcome: no settings.');
  }
  lines.push(...renderFindings(report.findings));
  if (report.timing) {
    lines.push(
      '',
      `Took ${report.timing.wallMs} ms here; the client, asking one URL after another with its own timeouts, would take about ${Math.round(report.timing.clientSequentialMs)} ms.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Where a lookup ended, in one line: the step that decided it and why. */
function verdict(report: DiscoveryReport): string {
  if (report.outcome === 'settings' && report.settings)
    return `settings from ${report.settings.url} (${report.settings.method})`;
  if (report.outcome === 'prompt' && report.prompt) {
    return `stops at a ${report.prompt.kind} prompt for ${report.prompt.url}`;
  }
  const last = [...report.steps].reverse().find((s) => s.result !== 'skipped');
  return `no settings${last ? `; last: ${last.method} ${last.result}` : ''}`;
}

/** `--client all --json`: every client's report (schemas/discovery-comparison.schema.json). */
export function compareReports(reports: DiscoveryReport[]): Comparison {
  return { schema: COMPARISON_SCHEMA_ID, email: reports[0]?.email ?? '', reports };
}

/** --client all: each client's path in one block, then the findings of all of them (see text-findings.ts). */
export function renderComparison(reports: readonly DiscoveryReport[]): string {
  const who = reports.length === PROFILE_NAMES.length ? 'Every client' : reports.map((r) => r.client).join(' and ');
  const lines: string[] = [`${who} looking up ${reports[0]?.email ?? ''}`, ''];
  for (const report of reports) {
    const profile = PROFILES[report.client];
    lines.push(`${pad(report.client, 14)}${pad(report.outcome, 10)}${verdict(report)}`);
    lines.push(`${' '.repeat(14)}${profile?.title ?? ''}`);
    // SOAP steps (an EWS application's) are marked: the same method is asked again over POX later.
    const path = report.steps
      .filter((s) => s.result !== 'skipped')
      .map((s) => `${s.method}${s.protocol === 'soap' ? '/soap' : ''}:${s.result}`);
    lines.push(`${' '.repeat(14)}path: ${path.join(' → ') || 'nothing tried'}`, '');
  }
  lines.push(...renderComparedFindings(reports));
  return `${lines.join('\n')}\n`;
}
