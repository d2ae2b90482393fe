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
import { AutodiscoError } from '../../errors.js';

export const PG_MIGRATIONS: readonly { version: number; description: string; sql: string }[] = [
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

/** Any constant: the advisory lock that serialises migrations between instances. */
const MIGRATION_LOCK = 0x61647363; // "adsc"

/** Whether the database holds an autodisco schema (the commands that only read refuse one that does not). */
export async function hasSchema(sql: Sql | TransactionSql): Promise<boolean> {
  const [row] = await sql<{ found: string | null }[]>`SELECT to_regclass('autodisco_schema_migrations')::text AS found`;
  return row?.found != null;
}

export async function migrate(sql: Sql, label: string): Promise<void> {
  const latest = PG_MIGRATIONS.at(-1)?.version ?? 0;
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    // Only when missing: even CREATE … IF NOT EXISTS needs the CREATE right, which a serving user need not have.
    if (!(await hasSchema(tx))) {
      await tx`CREATE TABLE autodisco_schema_migrations (
        version integer PRIMARY KEY,
        description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
    }
    const [row] = await tx<{ v: number | null }[]>`SELECT max(version) AS v FROM autodisco_schema_migrations`;
    const current = row?.v ?? 0;
    if (current > latest) {
      throw new AutodiscoError(
        'ADK_ERR_STORE_NEWER_SCHEMA',
        `the database ${label} has schema version ${current}; this autodisco knows versions up to ${latest}`,
      );
    }
    for (const m of PG_MIGRATIONS.filter((m) => m.version > current)) {
      await tx.unsafe(m.sql);
      await tx`INSERT INTO autodisco_schema_migrations (version, description) VALUES (${m.version}, ${m.description})`;
    }
  });
}
