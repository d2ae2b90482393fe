/**
 * The admin tables in PostgreSQL: the same contents as sqlite-admin-migrations.ts, on their own track
 * (autodisco_admin_schema_migrations, not the settings' autodisco_schema_migrations) so that the settings schema
 * and the admin schema evolve independently. Append only; every pending migration is applied in one transaction,
 * under an advisory lock of its own so that two workers or instances starting at once do not both migrate. A
 * database whose admin version is newer than this autodisco knows is refused, untouched.
 *
 * Times are timestamptz (compared by the server, read back as ISO strings); JSON is `json`, which keeps the
 * key order of what was written (a stored report reads back byte for byte as the API served it).
 */
import type { Sql } from 'postgres';
import { type MigrationTrack, migrateTrack, type PgMigration } from '../store/postgres/migrate.js';

export const PG_ADMIN_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'accounts, sessions, API tokens, login links, audit log, stored diagnoses',
    sql: `
      CREATE TABLE autodisco_admin_accounts (
        name text COLLATE "C" PRIMARY KEY,
        password_hash text NOT NULL,        -- Argon2id, PHC string
        created_at timestamptz NOT NULL,
        failed_logins integer NOT NULL DEFAULT 0,
        locked_until timestamptz
      );
      CREATE TABLE autodisco_admin_sessions (
        id_hash text PRIMARY KEY,           -- SHA-256 of the cookie value
        account text COLLATE "C" NOT NULL REFERENCES autodisco_admin_accounts(name) ON DELETE CASCADE,
        csrf_token text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX autodisco_admin_sessions_account ON autodisco_admin_sessions (account);
      CREATE INDEX autodisco_admin_sessions_expires ON autodisco_admin_sessions (expires_at);
      CREATE TABLE autodisco_admin_tokens (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        hash text NOT NULL UNIQUE,          -- SHA-256 of the token, which is shown once
        account text COLLATE "C" NOT NULL REFERENCES autodisco_admin_accounts(name) ON DELETE CASCADE,
        label text NOT NULL,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz
      );
      CREATE INDEX autodisco_admin_tokens_account ON autodisco_admin_tokens (account);
      CREATE TABLE autodisco_admin_login_links (
        hash text PRIMARY KEY,
        account text COLLATE "C" NOT NULL REFERENCES autodisco_admin_accounts(name) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL
      );
      CREATE TABLE autodisco_admin_audit (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        before json,
        after json
      );
      CREATE TABLE autodisco_admin_diagnoses (
        id text PRIMARY KEY,                -- random, the permalink
        created_at timestamptz NOT NULL,
        account text,                       -- null for a public diagnosis
        request json NOT NULL,              -- never with credentials
        reports json NOT NULL               -- array of discover reports
      );
    `,
  },
  {
    version: 2,
    description: 'running diagnoses and their events, shared by the workers of serve --workers N',
    sql: `
      CREATE TABLE autodisco_admin_runs (
        id text PRIMARY KEY,                -- the diagnosis id
        requester_hash text NOT NULL,       -- SHA-256 of the account or client address (rate limit key)
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,    -- the last event: a run silent too long is not running
        finished_at timestamptz
      );
      CREATE INDEX autodisco_admin_runs_requester ON autodisco_admin_runs (requester_hash, started_at);
      CREATE INDEX autodisco_admin_runs_started ON autodisco_admin_runs (started_at);
      CREATE TABLE autodisco_admin_run_events (
        id text NOT NULL REFERENCES autodisco_admin_runs(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        event json NOT NULL,                -- as sent to the browser (never credentials)
        PRIMARY KEY (id, seq)
      );
    `,
  },
];

const TRACK: MigrationTrack = {
  table: 'autodisco_admin_schema_migrations',
  lock: 0x6164736d, // "adsm": not the settings' lock
  name: 'admin schema',
  migrations: PG_ADMIN_MIGRATIONS,
};

export async function migrateAdmin(sql: Sql, label: string): Promise<void> {
  await migrateTrack(sql, TRACK, label);
}
