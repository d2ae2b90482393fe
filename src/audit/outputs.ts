/**
 * Where an audit's reports go: NDJSON (one `discover --json` report per line), CSV (one row per address) or
 * one JSON document (`{schema, reports: [...], summary}`, written as it goes: the reports are streamed into
 * the array, the summary closes the document). Written to the --out file or to standard output.
 */
import { closeSync, fsyncSync, writeSync } from 'node:fs';
import type { DiscoveryReport, ProfileName } from '../discover/report.js';
import { csvHeader, csvRow } from './csv.js';
import type { AuditTarget } from './input.js';
import { reportJson } from './report-json.js';
import type { AuditSummary } from './summary.js';

export type AuditFormat = 'ndjson' | 'csv' | 'json';

export const AUDIT_SCHEMA_ID = 'autodisco.audit/1';

/** A file descriptor written synchronously (each line reaches the OS whole before the next report), or stdout. */
export interface Sink {
  write(text: string): void;
  close(): void;
}

export function fdSink(fd: number): Sink {
  return {
    write(text) {
      const bytes = Buffer.from(text);
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
    },
    close() {
      fsyncSync(fd);
      closeSync(fd);
    },
  };
}

export function stdoutSink(): Sink {
  return { write: (text) => void process.stdout.write(text), close: () => undefined };
}

export interface AuditWriter {
  report(target: AuditTarget, report: DiscoveryReport): void;
  addressDone(target: AuditTarget, reports: DiscoveryReport[]): void;
  finish(summary: AuditSummary): void;
}

/** `fresh`: whether the file starts empty (a resumed CSV already has its header). */
export function createWriter(
  format: AuditFormat,
  sink: Sink,
  clients: readonly ProfileName[],
  fresh: boolean,
): AuditWriter {
  switch (format) {
    case 'ndjson':
      return {
        report: (_t, report) => sink.write(`${reportJson(report)}\n`),
        addressDone: () => undefined,
        finish: () => sink.close(),
      };
    case 'csv':
      if (fresh) sink.write(csvHeader(clients));
      return {
        report: () => undefined,
        addressDone: (target, reports) => sink.write(csvRow(target, clients, reports)),
        finish: () => sink.close(),
      };
    case 'json': {
      let first = true;
      sink.write(`{"schema":${JSON.stringify(AUDIT_SCHEMA_ID)},"reports":[`);
      return {
        report(_t, report) {
          sink.write(`${first ? '\n' : ',\n'}${reportJson(report)}`);
          first = false;
        },
        addressDone: () => undefined,
        finish(summary) {
          sink.write(`\n],"summary":${JSON.stringify(summary)}}\n`);
          sink.close();
        },
      };
    }
  }
}
