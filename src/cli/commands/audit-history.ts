/** `autodisco audit history DOMAIN`: since when is this domain broken, and what changed then (the stored events). */
import type { Command } from 'commander';
import { openResultStore } from '../../audit/open-results.js';
import type { AuditEvent, DomainHistory } from '../../audit/results.js';
import { DEFAULT_RESULTS_DB } from '../../audit/sqlite-results.js';
import { usage } from '../options.js';
import { EXIT, reportError } from '../output.js';

export function describeEvent(e: AuditEvent): string {
  const was = e.previousOutcome === null ? 'first audit' : `was ${e.previousOutcome}`;
  switch (e.kind) {
    case 'new-problem':
      return `new problem: ${e.outcome} (${was})${e.codes.length > 0 ? `; new findings ${e.codes.join(', ')}` : ''}`;
    case 'fixed':
      return `fixed: ${e.outcome} (${was})${e.codes.length > 0 ? `; gone: ${e.codes.join(', ')}` : ''}`;
    case 'certificate-expiring':
      return `certificate expiring: ${e.daysLeft} day(s) left (until ${e.certNotAfter})`;
  }
}

export function renderHistory(history: DomainHistory): string {
  const out: string[] = [];
  if (history.latest.length === 0) return `${history.domain}: no audit result stored for this domain\n`;
  out.push(`${history.domain}\n\nLatest results:\n`);
  for (const r of history.latest) {
    const codes = r.codes.length > 0 ? `; findings ${r.codes.join(', ')}` : '';
    const cert = r.certNotAfter ? `; certificate until ${r.certNotAfter}` : '';
    out.push(`  ${r.client.padEnd(13)} ${r.outcome.padEnd(9)} at ${r.at}${codes}${cert}\n`);
  }
  out.push('\n');
  if (history.brokenSince.length === 0) out.push('Every client gets settings.\n');
  for (const b of history.brokenSince) out.push(`${b.client}: without settings (${b.outcome}) since ${b.since}\n`);
  out.push('\nEvents (newest first):\n');
  if (history.events.length === 0) out.push('  none\n');
  for (const e of history.events) out.push(`  ${e.at}  ${e.client.padEnd(13)} run ${e.runId}  ${describeEvent(e)}\n`);
  return out.join('');
}

export function registerHistoryCommand(audit: Command): void {
  audit
    .command('history')
    .description('since when is a domain broken, and what changed then (from the results store)')
    .argument('<domain>', 'the domain (e.g. contoso.com)')
    .option(
      '--db <path|url>',
      `results store: an SQLite file (default: "${DEFAULT_RESULTS_DB}") or postgres://USER@HOST:PORT/DB (the password in PGPASSWORD)`,
    )
    .option('--json', 'the history as JSON')
    .option('--limit <n>', 'events shown at most', '50')
    .action(async (domain: string, local: { db?: string; json?: boolean; limit: string }, command: Command) => {
      // `audit` has --db and --json too, and commander gives them to it wherever they stand on the line.
      const opts = { ...local, ...(command.optsWithGlobals() as { db?: string; json?: boolean; limit: string }) };
      opts.db ??= DEFAULT_RESULTS_DB;
      try {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw usage(`--limit "${opts.limit}": expected a whole number from 1`);
        const db = opts.db ?? DEFAULT_RESULTS_DB;
        const store = await openResultStore(db, { mustExist: true });
        let history: DomainHistory;
        try {
          history = await store.history(domain, limit);
        } finally {
          await store.close();
        }
        process.stdout.write(opts.json ? `${JSON.stringify(history, null, 2)}\n` : renderHistory(history));
        process.exitCode = history.latest.length === 0 ? EXIT.failed : EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
