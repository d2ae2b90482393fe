/**
 * Opening the results database: the URL checked first (one line naming the option and the URL without its
 * password), then a pool, then the schema (created or migrated when `create`, else only looked for). Failures
 * read as the settings store's do (src/store/postgres/errors.ts), with the option that named the URL.
 */
import postgres, { type Sql } from 'postgres';
import { AutodiscoError } from '../../errors.js';
import { openError } from '../../store/postgres/errors.js';
import { maskUrl } from '../../store/postgres/url.js';
import { hasResultsSchema, migrateResults } from './migrations.js';

export interface ResultsConnection {
  sql: Sql;
  label: string;
  /** Whether the results tables are there (always, after `create`). */
  hasSchema: boolean;
}

/** Throws ADK_ERR_STORE_URL (a usage error) unless `url` is a postgres:// URL that parses. */
export function checkResultsUrl(url: string, field: string): void {
  let reason: string | undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') reason = `scheme ${parsed.protocol}`;
    else if (parsed.hostname === '') reason = 'the host is missing';
  } catch {
    reason = 'not a valid URL';
  }
  if (reason !== undefined) {
    throw new AutodiscoError(
      'ADK_ERR_STORE_URL',
      `${field} ${maskUrl(url)}: ${reason}; expected postgres://USER@HOST:PORT/DATABASE (the password in PGPASSWORD or in the URL), or the path of an SQLite file`,
    );
  }
}

/** Names the option in the settings store's message ("--db …" there). */
function withField(error: AutodiscoError, field: string): AutodiscoError {
  if (field === '--db') return error;
  return new AutodiscoError(error.code, error.message.replace(/^--db /, `${field} `), { cause: error.cause });
}

export async function connectResults(
  url: string,
  options: { field: string; create: boolean; max?: number },
): Promise<ResultsConnection> {
  checkResultsUrl(url, options.field);
  const label = maskUrl(url);
  const sql = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: 'autodisco-results' },
  });
  try {
    let hasSchema = await hasResultsSchema(sql);
    if (options.create || hasSchema) {
      await migrateResults(sql, label);
      hasSchema = true;
    }
    return { sql, label, hasSchema };
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    if (err instanceof AutodiscoError) throw err;
    throw withField(openError(url, err), options.field);
  }
}
