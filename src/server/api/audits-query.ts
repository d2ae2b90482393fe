/**
 * The query shapes of /api/v1/audits... and of the fleet pages, and how to reach the results store: the reader,
 * or why there is none (no file yet: the command that makes one; a file that is not a results store).
 */
import { z } from 'zod';
import type { FleetReader } from '../../audit/fleet.js';
import type { FleetSource } from '../../audit/fleet-source.js';
import { command, shellQuote } from '../../cli/invocation.js';
import { PROFILE_NAMES } from '../../discover/profiles.js';
import type { ProfileName } from '../../discover/report.js';
import { connectionReason, isConnectionError } from '../../store/postgres/errors.js';

export const OUTCOME_FILTERS = ['settings', 'prompt', 'failed', 'broken'] as const;

const paging = {
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
};

export const latestQuery = z.strictObject({
  client: z.enum(PROFILE_NAMES as [ProfileName, ...ProfileName[]]).optional(),
  outcome: z.enum(OUTCOME_FILTERS).optional(),
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'expected a finding code such as CERT_NAME_MISMATCH (docs/findings.md)')
    .optional(),
  search: z.string().max(253).optional(),
  ...paging,
});

export const runsQuery = z.strictObject(paging);

export const trendQuery = z.strictObject({ runs: z.coerce.number().int().min(2).max(200).default(30) });

export const domainQuery = z.strictObject({ events: z.coerce.number().int().min(1).max(500).default(100) });

/** The command that fills the results store serve reads, as printed: runnable where the user is. */
export function auditCommand(source: FleetSource): string {
  return command(`audit <file>${source.isDefault ? '' : ` --db ${shellQuote(source.label)}`}`);
}

export type FleetAccess =
  | { ok: true; reader: FleetReader }
  | { ok: false; status: 404 | 503; error: 'no-results' | 'results-store'; message: string };

export async function fleetAccess(source: FleetSource | undefined): Promise<FleetAccess> {
  if (!source) {
    return {
      ok: false,
      status: 404,
      error: 'no-results',
      message: 'this server reads no audit results (serve --ui --audit-db <path or postgres:// URL>)',
    };
  }
  try {
    const reader = await source.reader();
    if (reader) return { ok: true, reader };
    return {
      ok: false,
      status: 404,
      error: 'no-results',
      message: `no audit results yet: ${source.missing}. Produce them with: ${auditCommand(source)} (one domain or address per line)`,
    };
  } catch (err) {
    return { ok: false, status: 503, error: 'results-store', message: (err as Error).message };
  }
}

/**
 * A read that failed because the results database went away (PostgreSQL): HTTP 503 `results-store`, naming the
 * store without its password, rather than a 500. Anything else is a fault: undefined, and it is thrown on.
 */
export function unavailable(
  source: FleetSource | undefined,
  err: unknown,
): Exclude<FleetAccess, { ok: true }> | undefined {
  if (!isConnectionError(err)) return undefined;
  return {
    ok: false,
    status: 503,
    error: 'results-store',
    message: `--audit-db ${source?.label ?? ''}: cannot read the results store now (${connectionReason(err)}); the answers come back when the database does`,
  };
}
