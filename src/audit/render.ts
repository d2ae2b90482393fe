/** The human summary at the end of an audit (or at Ctrl-C): outcomes per client, findings, the slowest lookups. */
import type { AuditSummary } from './summary.js';

function table(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map(
      (row) =>
        `  ${row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

export function renderSummary(summary: AuditSummary, extra: readonly string[] = []): string {
  const out: string[] = [];
  out.push(
    `${summary.interrupted ? 'Audit interrupted' : 'Audit finished'}: ${summary.addresses} address(es), ${summary.lookups} lookup(s)` +
      (summary.skippedLines > 0 ? `, ${summary.skippedLines} input line(s) skipped` : '') +
      (summary.errors > 0 ? `, ${summary.errors} lookup(s) crashed` : '') +
      '\n\n',
  );
  out.push('Outcomes per client:\n');
  out.push(
    table([
      ['client', 'settings', 'prompt', 'failed'],
      ...Object.entries(summary.outcomes).map(([client, c]) => [
        client,
        String(c.settings),
        String(c.prompt),
        String(c.failed),
      ]),
    ]),
  );
  out.push('\nFindings (lookups with the code; example domains):\n');
  out.push(
    summary.findings.length === 0
      ? '  none\n'
      : table(summary.findings.map((f) => [f.severity.toUpperCase(), f.code, String(f.count), f.examples.join(', ')])),
  );
  if (summary.slowest.length > 0) {
    out.push('\nSlowest lookups:\n');
    out.push(table(summary.slowest.map((s) => [s.domain, s.client, `${Math.round(s.ms)} ms`])));
  }
  for (const line of extra) out.push(`\n${line}`);
  return `${out.join('')}\n`;
}
