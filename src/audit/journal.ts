/**
 * --resume: the --out file is the journal. Every complete line (NDJSON) or row (CSV) is a finished piece of
 * work; a last line cut short by a crash is discarded (the file is truncated to the end of the last complete
 * one) and that work is done again. What was already written is read back for the summary and never
 * rewritten, so nothing written is lost.
 */
import { closeSync, createReadStream, existsSync, ftruncateSync, openSync, readFileSync, statSync } from 'node:fs';
import { usage } from '../cli/options.js';
import type { ProfileName } from '../discover/report.js';
import { REPORT_SCHEMA_ID } from '../discover/report.js';
import { csvHeader, OUTCOMES, parseCsv } from './csv.js';
import type { ReportEssentials } from './summary.js';

export interface Journal {
  /** `email\tclient` for NDJSON; for CSV every client of an address counts as done together. */
  done: Set<string>;
  /** Whether the file had content (a CSV then has its header already). */
  existed: boolean;
}

export const pairKey = (email: string, client: ProfileName): string => `${email.toLowerCase()}\t${client}`;

/** Truncates `path` to `length` bytes (the end of the last complete line). */
function truncateTo(path: string, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, length);
  } finally {
    closeSync(fd);
  }
}

export async function readNdjsonJournal(path: string, onEarlier: (facts: ReportEssentials) => void): Promise<Journal> {
  const done = new Set<string>();
  if (!existsSync(path) || statSync(path).size === 0) return { done, existed: false };
  // Byte offsets, so that a cut last line can be truncated exactly.
  let offset = 0;
  let completeEnd = 0;
  let pending = Buffer.alloc(0);
  let lineNo = 0;
  for await (const chunk of createReadStream(path)) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    let nl = pending.indexOf(0x0a);
    while (nl >= 0) {
      lineNo++;
      const line = pending.subarray(0, nl).toString('utf8');
      offset += nl + 1;
      pending = pending.subarray(nl + 1);
      nl = pending.indexOf(0x0a);
      let report: {
        schema?: unknown;
        email?: unknown;
        client?: unknown;
        outcome?: unknown;
        findings?: unknown;
        timing?: { wallMs?: number };
      };
      try {
        report = JSON.parse(line);
      } catch {
        throw usage(`--resume ${path}: line ${lineNo} is not a JSON report; is this the --ndjson output of an audit?`);
      }
      if (report.schema !== REPORT_SCHEMA_ID || typeof report.email !== 'string' || typeof report.client !== 'string') {
        throw usage(
          `--resume ${path}: line ${lineNo} is not an ${REPORT_SCHEMA_ID} report; is this the --ndjson output of an audit?`,
        );
      }
      completeEnd = offset;
      done.add(pairKey(report.email, report.client as ProfileName));
      onEarlier({
        domain: report.email.slice(report.email.lastIndexOf('@') + 1),
        client: report.client as ProfileName,
        outcome: report.outcome as ReportEssentials['outcome'],
        findings: Array.isArray(report.findings)
          ? (report.findings as { code: string; severity: 'error' | 'warning' | 'info' }[]).map((f) => ({
              code: f.code,
              severity: f.severity,
            }))
          : [],
        ms: report.timing?.wallMs ?? null,
      });
    }
  }
  if (completeEnd < statSync(path).size) truncateTo(path, completeEnd);
  return { done, existed: completeEnd > 0 };
}

/**
 * A CSV journal: each complete row is an address whose clients are all done. The header must name the same
 * clients as this run (the columns would not line up otherwise). Only the most severe finding of each earlier
 * address is in the file, so the resumed summary counts only that one for the earlier part.
 */
export function readCsvJournal(
  path: string,
  clients: readonly ProfileName[],
  onEarlier: (facts: ReportEssentials) => void,
): Journal {
  const done = new Set<string>();
  if (!existsSync(path) || statSync(path).size === 0) return { done, existed: false };
  const text = readFileSync(path, 'utf8');
  const { rows, complete } = parseCsv(text);
  const header = csvHeader(clients).trimEnd();
  const [first, ...data] = rows;
  if (first === undefined || first.join(',') !== header) {
    throw usage(
      `--resume ${path}: its header is not "${header}"; resume with the same --client list as the run that wrote it`,
    );
  }
  for (const [i, row] of data.entries()) {
    const [domain = '', email = '', ...rest] = row;
    const outcomes = rest.slice(0, clients.length);
    const [code = '', severity = ''] = rest.slice(clients.length);
    if (!email.includes('@') || outcomes.some((o) => !OUTCOMES.includes(o as never))) {
      throw usage(
        `--resume ${path}: row ${i + 2} is not an audit row (domain, address, ${clients.join(', ')}, finding, severity, fix)`,
      );
    }
    for (const client of clients) done.add(pairKey(email, client));
    for (const [c, client] of clients.entries()) {
      onEarlier({
        domain,
        client,
        outcome: outcomes[c] as ReportEssentials['outcome'],
        findings: c === 0 && code !== '' ? [{ code, severity: severity as 'error' | 'warning' | 'info' }] : [],
        ms: null,
      });
    }
  }
  // `complete` counts characters; the text is UTF-8, so convert before truncating.
  const completeBytes = Buffer.byteLength(text.slice(0, complete));
  if (completeBytes < Buffer.byteLength(text)) truncateTo(path, completeBytes);
  return { done, existed: true };
}
