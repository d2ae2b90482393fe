/**
 * The CSV output: one row per address, RFC 4180 quoting (a field holding a comma, a quote or a line break is
 * quoted, quotes doubled). Columns: domain, address, one outcome column per client (named after it), the most
 * severe finding code over every client, its severity, and its first (preferred) fix.
 */
import type { DiscoveryReport, Outcome, ProfileName } from '../discover/report.js';
import type { AuditTarget } from './input.js';
import { mostSevere } from './summary.js';

export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function csvHeader(clients: readonly ProfileName[]): string {
  return csvLine(['domain', 'address', ...clients, 'finding', 'severity', 'fix']);
}

export function csvRow(
  target: AuditTarget,
  clients: readonly ProfileName[],
  reports: readonly DiscoveryReport[],
): string {
  const byClient = new Map(reports.map((r) => [r.client, r]));
  const worst = mostSevere(reports.flatMap((r) => r.findings));
  return csvLine([
    target.domain,
    target.email,
    ...clients.map((c) => byClient.get(c)?.outcome ?? ''),
    worst?.code ?? '',
    worst?.severity ?? '',
    worst?.fixes[0] ?? '',
  ]);
}

/**
 * Parses CSV text into rows (quoted fields may hold commas, quotes and line breaks). A last row without its
 * line break is returned separately: it may have been cut short by a crash.
 */
export function parseCsv(text: string): { rows: string[][]; complete: number } {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let complete = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      complete = i + 1;
    } else field += ch;
  }
  return { rows, complete };
}

export const OUTCOMES: readonly Outcome[] = ['settings', 'prompt', 'failed'];
