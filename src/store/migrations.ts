/**
 * Versioned schema migrations. Append only: a released migration is never edited, a change is a new entry.
 * The store applies every entry above the database's `user_version` in one transaction.
 */
export const MIGRATIONS: readonly { version: number; description: string; sql: string }[] = [
  {
    version: 1,
    description: 'domains, aliases and users',
    sql: `
      CREATE TABLE domains (
        name TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        settings TEXT NOT NULL           -- JSON of DomainSettings
      ) WITHOUT ROWID;
      CREATE TABLE domain_names (
        name TEXT PRIMARY KEY,           -- the domain's own name and each alias
        domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE TABLE users (
        email TEXT PRIMARY KEY,
        display_name TEXT,
        login_name TEXT,
        mailbox_server TEXT,
        legacy_dn TEXT,
        mailbox_id TEXT,
        redirect_addr TEXT,
        redirect_url TEXT
      ) WITHOUT ROWID;
      CREATE INDEX users_legacy_dn ON users(legacy_dn COLLATE NOCASE) WHERE legacy_dn IS NOT NULL;
    `,
  },
];
