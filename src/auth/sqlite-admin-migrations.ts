/**
 * The admin tables' migrations. Append only, like src/store/migrations.ts, but on their own track (the
 * `admin_schema` table, not `PRAGMA user_version`): the settings schema and the admin schema then evolve
 * independently, and a settings migration never has to know about accounts.
 */
export const ADMIN_MIGRATIONS: readonly { version: number; description: string; sql: string }[] = [
  {
    version: 1,
    description: 'accounts, sessions, API tokens, login links, audit log, stored diagnoses',
    sql: `
      CREATE TABLE admin_accounts (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,        -- Argon2id, PHC string
        created_at TEXT NOT NULL,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT
      ) WITHOUT ROWID;
      CREATE TABLE admin_sessions (
        id_hash TEXT PRIMARY KEY,           -- SHA-256 of the cookie value
        account TEXT NOT NULL REFERENCES admin_accounts(name) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX admin_sessions_account ON admin_sessions(account);
      CREATE TABLE admin_tokens (
        id INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,          -- SHA-256 of the token, which is shown once
        account TEXT NOT NULL REFERENCES admin_accounts(name) ON DELETE CASCADE,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT
      );
      CREATE TABLE admin_login_links (
        hash TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES admin_accounts(name) ON DELETE CASCADE,
        expires_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE admin_audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        before TEXT,                        -- JSON
        after TEXT                          -- JSON
      );
      CREATE TABLE admin_diagnoses (
        id TEXT PRIMARY KEY,                -- random, the permalink
        created_at TEXT NOT NULL,
        account TEXT,                       -- null for a public diagnosis
        request TEXT NOT NULL,              -- JSON, never with credentials
        reports TEXT NOT NULL               -- JSON array of discover reports
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'running diagnoses and their events, shared by the workers of serve --workers N',
    sql: `
      CREATE TABLE admin_runs (
        id TEXT PRIMARY KEY,                -- the diagnosis id
        requester_hash TEXT NOT NULL,       -- SHA-256 of the account or client address (rate limit key)
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,           -- the last event: a run silent too long is not running
        finished_at TEXT
      ) WITHOUT ROWID;
      CREATE INDEX admin_runs_requester ON admin_runs(requester_hash, started_at);
      CREATE INDEX admin_runs_started ON admin_runs(started_at);
      CREATE TABLE admin_run_events (
        id TEXT NOT NULL REFERENCES admin_runs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        event TEXT NOT NULL,                -- JSON, as sent to the browser (never credentials)
        PRIMARY KEY (id, seq)
      ) WITHOUT ROWID;
    `,
  },
];
