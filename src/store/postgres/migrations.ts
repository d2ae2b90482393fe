/**
 * The PostgreSQL schema, versioned as SQLite's is: append only, a released migration is never edited. The
 * applied versions are rows of autodisco_schema_migrations; every pending one is applied in one transaction,
 * under an advisory lock so that two instances starting at once do not both migrate. A database whose
 * version is newer than this autodisco knows is refused, untouched.
 *
 * Tables carry an `autodisco_` prefix: the database may be shared with other software. Text that is sorted
 * or compared uses the "C" collation, so that addresses sort by bytes as in SQLite (an import compares the
 * stored users with the file's, both in address order), whatever the database's locale.
 */
import type { Sql, TransactionSql } from 'postgres';
import { hasTrackTable, type MigrationTrack, migrateTrack, type PgMigration } from './migrate.js';

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'domains, aliases and users',
    sql: `
      CREATE TABLE autodisco_domains (
        name text COLLATE "C" PRIMARY KEY,
        position integer NOT NULL,
        settings json NOT NULL             -- DomainSettings as written (json keeps the key order, jsonb would not)
      );
      CREATE TABLE autodisco_domain_names (
        name text COLLATE "C" PRIMARY KEY, -- the domain's own name and each alias
        domain text COLLATE "C" NOT NULL REFERENCES autodisco_domains(name) ON DELETE CASCADE
      );
      CREATE TABLE autodisco_users (
        email text COLLATE "C" PRIMARY KEY,
        display_name text,
        login_name text,
        mailbox_server text,
        legacy_dn text COLLATE "C",
        mailbox_id text,
        redirect_addr text,
        redirect_url text
      );
      CREATE INDEX autodisco_users_legacy_dn ON autodisco_users (lower(legacy_dn)) WHERE legacy_dn IS NOT NULL;
    `,
  },
];

const TRACK: MigrationTrack = {
  table: 'autodisco_schema_migrations',
  lock: 0x61647363, // "adsc"
  name: 'schema',
  migrations: PG_MIGRATIONS,
};

/** Whether the database holds an autodisco schema (the commands that only read refuse one that does not). */
export async function hasSchema(sql: Sql | TransactionSql): Promise<boolean> {
  return hasTrackTable(sql, TRACK.table);
}

export async function migrate(sql: Sql, label: string): Promise<void> {
  await migrateTrack(sql, TRACK, label);
}
