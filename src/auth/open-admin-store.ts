/**
 * The AdminStore where `--db` points: the SQLite file of the settings, or the PostgreSQL database of the settings
 * (loaded only then, as the settings store is: SQLite users never load the PostgreSQL driver). The settings store
 * is opened first by the caller, so a URL that is no database or an unreachable server has been said already.
 */
import { AutodiscoError } from '../errors.js';
import { isDatabaseUrl, isPostgresUrl, maskUrl } from '../store/postgres/url.js';
import type { AdminStore } from './admin-store.js';
import { SqliteAdminStore } from './sqlite-admin-store.js';

export async function openAdminStoreAt(db: string): Promise<AdminStore> {
  if (isPostgresUrl(db)) {
    const { PostgresAdminStore } = await import('./postgres-admin-store.js');
    return PostgresAdminStore.open(db);
  }
  if (isDatabaseUrl(db)) {
    throw new AutodiscoError(
      'ADK_ERR_STORE_URL',
      `--db ${maskUrl(db)}: only PostgreSQL URLs (postgres://user@host:5432/db) and SQLite file paths are supported`,
    );
  }
  return new SqliteAdminStore(db);
}
