/**
 * Where `--db` points for audit results: an SQLite file (the default, data/audit.sqlite) or a PostgreSQL URL
 * (postgres://USER@HOST:PORT/DATABASE, the password in PGPASSWORD or in the URL). The PostgreSQL driver is
 * loaded only for a URL.
 */
import { existsSync } from 'node:fs';
import { command, shellQuote } from '../cli/invocation.js';
import { AutodiscoError } from '../errors.js';
import { isDatabaseUrl, isPostgresUrl, maskUrl } from '../store/postgres/url.js';
import type { ResultStore } from './results.js';
import { openSqliteResultStore } from './sqlite-results.js';

export interface OpenResultsOptions {
  /** The option that named the location, for messages (default --db). */
  field?: string;
  /** Refuse a store that does not exist yet rather than create it (commands that only read). */
  mustExist?: boolean;
}

/** The location as messages and printed commands show it: a URL without its password. */
export const resultsLabel = (location: string) => (isDatabaseUrl(location) ? maskUrl(location) : location);

function notFound(field: string, location: string): AutodiscoError {
  const label = resultsLabel(location);
  return new AutodiscoError(
    'ADK_ERR_STORE_NOT_FOUND',
    `${field} ${label}: no results store there; run ${command(`audit FILE --db ${shellQuote(label)}`)} first`,
  );
}

export async function openResultStore(location: string, options: OpenResultsOptions = {}): Promise<ResultStore> {
  const field = options.field ?? '--db';
  if (isPostgresUrl(location)) {
    const { connectResults } = await import('./pg/connect.js');
    if (options.mustExist) {
      const probe = await connectResults(location, { field, create: false, max: 1 });
      await probe.sql.end({ timeout: 1 });
      if (!probe.hasSchema) throw notFound(field, location);
    }
    const { PostgresResultStore } = await import('./pg/results.js');
    return PostgresResultStore.open(location, field);
  }
  if (isDatabaseUrl(location)) {
    throw new AutodiscoError(
      'ADK_ERR_STORE_URL',
      `${field} ${maskUrl(location)}: only PostgreSQL URLs (postgres://USER@HOST:PORT/DATABASE) and SQLite file paths are supported`,
    );
  }
  if (options.mustExist && !existsSync(location)) throw notFound(field, location);
  return openSqliteResultStore(location);
}
