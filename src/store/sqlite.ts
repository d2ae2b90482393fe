import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AutodiscoError } from '../errors.js';
import type { Config, DomainSettings, UserRecord } from '../settings/schema.js';
import { MIGRATIONS } from './migrations.js';
import type { ListQuery, ManagedStore, Page, StoredContents } from './store.js';

export interface UserRow {
  email: string;
  display_name: string | null;
  login_name: string | null;
  mailbox_server: string | null;
  legacy_dn: string | null;
  mailbox_id: string | null;
  redirect_addr: string | null;
  redirect_url: string | null;
}

export function rowToUser(row: UserRow): UserRecord {
  const user: UserRecord = { email: row.email };
  if (row.display_name !== null) user.displayName = row.display_name;
  if (row.login_name !== null) user.loginName = row.login_name;
  if (row.mailbox_server !== null) user.mailboxServer = row.mailbox_server;
  if (row.legacy_dn !== null) user.legacyDN = row.legacy_dn;
  if (row.mailbox_id !== null) user.mailboxId = row.mailbox_id;
  if (row.redirect_addr !== null) user.redirectAddr = row.redirect_addr;
  if (row.redirect_url !== null) user.redirectUrl = row.redirect_url;
  return user;
}

export function userToRow(user: UserRecord): UserRow {
  return {
    email: user.email,
    display_name: user.displayName ?? null,
    login_name: user.loginName ?? null,
    mailbox_server: user.mailboxServer ?? null,
    legacy_dn: user.legacyDN ?? null,
    mailbox_id: user.mailboxId ?? null,
    redirect_addr: user.redirectAddr ?? null,
    redirect_url: user.redirectUrl ?? null,
  };
}

/** Freezes a parsed JSON value all the way down: cached settings are shared by every request. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new AutodiscoError(
      'ADK_ERR_STORE_NEWER_SCHEMA',
      `the database has schema version ${current}; this autodisco knows versions up to ${latest}`,
    );
  }
  const pending = MIGRATIONS.filter((m) => m.version > current);
  if (pending.length === 0) return;
  db.transaction(() => {
    for (const m of pending) db.exec(m.sql);
    db.pragma(`user_version = ${latest}`);
  })();
}

/**
 * The embedded default store: one SQLite file (or `:memory:`).
 *
 * Domains are few and read on every request, so they are kept parsed (and frozen: every caller shares them) in
 * a name → settings map. The map is dropped when the database changes: by this store's own writes, and by any
 * other connection or process (`autodisco import` while `serve` runs), which `PRAGMA data_version` reveals.
 * Users are not cached: they can be millions, and every request reads its user's row.
 *
 * The lookups a request makes (findDomain, findUser, findUserByLegacyDN) share one read transaction per turn of
 * the event loop: it begins at the first lookup of a turn (checking data_version once) and ends when the turn
 * does. Each read transaction of its own costs system calls (the WAL read lock, its release, a stat of the file):
 * under load they were about a third of a request's CPU (bench/profile-issue-12.md). All requests answered in
 * one turn see one snapshot; a commit by another process is seen from the next turn on, so every request that
 * arrives after the commit sees it. Every other method ends the turn's transaction before it runs.
 */
export class SqliteStore implements ManagedStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #statements;
  /** Name or alias → parsed settings; undefined until first needed or after a change. */
  #domains: Map<string, DomainSettings> | undefined;
  /** `PRAGMA data_version` when #domains was loaded. */
  #domainsVersion = -1;
  /** The read transaction of this turn of the event loop is open (#beginTurn). */
  #inTurn = false;
  /** `PRAGMA data_version` at the start of this turn's read transaction. */
  #turnVersion = -1;
  readonly #endTurn = () => this.#endTurnNow();

  constructor(path: string) {
    this.path = path;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('foreign_keys = ON');
      // Up to 64 MiB of pages in memory (SQLite's default is 2 MiB): a million users' rows fit, so a lookup
      // does not read the file again; the cache only grows as pages are actually read.
      this.#db.pragma('cache_size = -65536');
      migrate(this.#db);
    } catch (cause) {
      if (cause instanceof AutodiscoError) throw cause;
      throw new AutodiscoError('ADK_ERR_STORE', `cannot open the database ${path}: ${(cause as Error).message}`, {
        cause,
      });
    }
    const db = this.#db;
    this.#statements = {
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      // One statement, so one consistent snapshot of names and settings.
      domainNames: db.prepare<[], { name: string; domain: string; settings: string }>(
        'SELECT n.name AS name, d.name AS domain, d.settings AS settings FROM domain_names n JOIN domains d ON d.name = n.domain',
      ),
      user: db.prepare<[string], UserRow>('SELECT * FROM users WHERE email = ?'),
      userByLegacyDN: db.prepare<[string], UserRow>('SELECT * FROM users WHERE legacy_dn = ? COLLATE NOCASE LIMIT 1'),
      insertDomain: db.prepare('INSERT INTO domains (name, position, settings) VALUES (?, ?, ?)'),
      insertName: db.prepare('INSERT INTO domain_names (name, domain) VALUES (?, ?)'),
      upsertUser: db.prepare(
        `INSERT OR REPLACE INTO users (email, display_name, login_name, mailbox_server, legacy_dn, mailbox_id, redirect_addr, redirect_url)
         VALUES (@email, @display_name, @login_name, @mailbox_server, @legacy_dn, @mailbox_id, @redirect_addr, @redirect_url)`,
      ),
      allDomains: db.prepare<[], { settings: string }>('SELECT settings FROM domains ORDER BY position'),
      allUsers: db.prepare<[], UserRow>('SELECT * FROM users ORDER BY email'),
      servedDomains: db
        .prepare<[], string>(
          "SELECT name FROM domains WHERE json_extract(settings, '$.redirect') IS NULL ORDER BY position",
        )
        .pluck(),
      // Stops at the first match: quick on a large store, since the sample domain's users are many.
      sampleUser: db
        .prepare<[string], string>(
          "SELECT email FROM users WHERE email LIKE '%@' || ? ESCAPE '\\' AND redirect_addr IS NULL AND redirect_url IS NULL LIMIT 1",
        )
        .pluck(),
      countDomains: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM domains'),
      countUsers: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
    };
  }

  get label(): string {
    return this.path;
  }

  /**
   * Opens this turn's read transaction, unless it is open or this connection is inside a transaction of its own
   * (a write awaiting its caller): then lookups read in that one, as they always did.
   */
  #beginTurn(): void {
    if (this.#inTurn || this.#db.inTransaction) return;
    this.#db.exec('BEGIN');
    this.#inTurn = true;
    // The first read takes the snapshot; data_version says whether another connection committed since the map.
    this.#turnVersion = this.#statements.dataVersion.get() as number;
    setImmediate(this.#endTurn).unref();
  }

  /** Ends this turn's read transaction (at the turn's end, or before any other use of the connection). */
  #endTurnNow(): void {
    if (!this.#inTurn) return;
    this.#inTurn = false;
    if (this.#db.inTransaction) this.#db.exec('COMMIT');
  }

  async findDomain(name: string): Promise<DomainSettings | undefined> {
    return this.#domainMap().get(name);
  }

  /** The cached name → settings map, reloaded when the database changed since it was loaded. */
  #domainMap(): Map<string, DomainSettings> {
    this.#beginTurn();
    const version = this.#inTurn ? this.#turnVersion : (this.#statements.dataVersion.get() as number);
    if (this.#domains && version === this.#domainsVersion) return this.#domains;
    const parsed = new Map<string, DomainSettings>();
    const byName = new Map<string, DomainSettings>();
    for (const row of this.#statements.domainNames.iterate()) {
      let settings = parsed.get(row.domain);
      if (!settings) {
        settings = deepFreeze(JSON.parse(row.settings) as DomainSettings);
        parsed.set(row.domain, settings);
      }
      byName.set(row.name, settings);
    }
    this.#domains = byName;
    this.#domainsVersion = version;
    return byName;
  }

  async findUser(email: string): Promise<UserRecord | undefined> {
    this.#beginTurn();
    const row = this.#statements.user.get(email);
    return row ? rowToUser(row) : undefined;
  }

  async findUserByLegacyDN(legacyDN: string): Promise<UserRecord | undefined> {
    this.#beginTurn();
    const row = this.#statements.userByLegacyDN.get(legacyDN);
    return row ? rowToUser(row) : undefined;
  }

  /**
   * Replaces every domain and user in one transaction and returns what was stored before (whole: for small
   * stores, the lab and tests; an import goes through replaceStreaming). `keep` runs inside the transaction,
   * before anything is deleted; if it throws, nothing changes.
   */
  async replaceAll(config: Config, keep?: (previous: Config) => Promise<void> | void): Promise<Config> {
    let previous: Config = { domains: [], users: [] };
    await this.replaceStreaming({ domains: config.domains, users: () => config.users }, async (stored) => {
      previous = { domains: stored.domains, users: [...this.#iterateUsers()] };
      if (keep) await keep(previous);
    });
    return previous;
  }

  /**
   * Replaces every domain and user in one transaction, reading the new users one at a time (a million rows are
   * never all in memory). `keep` runs inside the transaction, before anything is deleted, and sees what is
   * stored: if it throws (a snapshot that cannot be written, a refusal), nothing changes. BEGIN IMMEDIATE takes
   * the write lock first, so no other writer can slip in between the read of the old contents and the
   * replacement; readers (a running `serve`) keep seeing the old contents until COMMIT. A process killed before
   * COMMIT leaves the old contents: SQLite rolls the transaction back when the file is next opened.
   */
  async replaceStreaming(
    next: { domains: readonly DomainSettings[]; users: () => Iterable<UserRecord> },
    keep?: (previous: StoredContents) => Promise<void> | void,
  ): Promise<void> {
    this.#endTurnNow();
    const s = this.#statements;
    const db = this.#db;
    db.exec('BEGIN IMMEDIATE');
    try {
      if (keep) {
        await keep({
          domains: s.allDomains.all().map((r) => JSON.parse(r.settings) as DomainSettings),
          userCount: s.countUsers.get()?.n ?? 0,
          users: () => this.#iterateUsers(),
        });
      }
      db.exec('DELETE FROM users; DELETE FROM domain_names; DELETE FROM domains;');
      next.domains.forEach((d, position) => {
        s.insertDomain.run(d.name, position, JSON.stringify(d));
        for (const name of [d.name, ...d.aliases]) s.insertName.run(name, d.name);
      });
      for (const u of next.users()) s.upsertUser.run(userToRow(u));
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    } finally {
      // data_version does not move for this connection's own commits: forget the cached domains here.
      this.#domains = undefined;
    }
  }

  /** Every stored user in address order, one row at a time. No other statement may run on this store meanwhile. */
  *#iterateUsers(): Generator<UserRecord> {
    for (const row of this.#statements.allUsers.iterate()) yield rowToUser(row);
  }

  /** The stored domains (file order) and users (address order, read lazily): what `export` streams. */
  contents(): StoredContents {
    this.#endTurnNow();
    return {
      domains: this.#statements.allDomains.all().map((r) => JSON.parse(r.settings) as DomainSettings),
      userCount: this.#statements.countUsers.get()?.n ?? 0,
      users: () => this.#iterateUsers(),
    };
  }

  async upsertUsers(users: Iterable<UserRecord>): Promise<number> {
    this.#endTurnNow();
    let n = 0;
    this.#db.transaction(() => {
      for (const u of users) {
        this.#statements.upsertUser.run(userToRow(u));
        n++;
      }
    })();
    return n;
  }

  async exportAll(): Promise<Config> {
    this.#endTurnNow();
    return {
      domains: this.#statements.allDomains.all().map((r) => JSON.parse(r.settings) as DomainSettings),
      users: this.#statements.allUsers.all().map(rowToUser),
    };
  }

  /** Names of the domains that answer with settings (not moved elsewhere), in file order. */
  async servedDomains(): Promise<string[]> {
    this.#endTurnNow();
    return this.#statements.servedDomains.all() as string[];
  }

  /** A stored address of `domain` that gets settings (no redirect), for example commands; undefined if none. */
  async sampleUser(domain: string): Promise<string | undefined> {
    this.#endTurnNow();
    return (this.#statements.sampleUser.get(domain.replace(/[\\%_]/g, '\\$&')) as string | undefined) ?? undefined;
  }

  async counts(): Promise<{ domains: number; users: number }> {
    this.#endTurnNow();
    return {
      domains: this.#statements.countDomains.get()?.n ?? 0,
      users: this.#statements.countUsers.get()?.n ?? 0,
    };
  }

  async putDomain(domain: DomainSettings): Promise<DomainSettings | undefined> {
    this.#endTurnNow();
    const db = this.#db;
    try {
      return db.transaction(() => {
        const row = db
          .prepare<[string], { position: number; settings: string }>(
            'SELECT position, settings FROM domains WHERE name = ?',
          )
          .get(domain.name);
        const position =
          row?.position ?? ((db.prepare('SELECT max(position) FROM domains').pluck().get() as number | null) ?? -1) + 1;
        // Deleting the row cascades to its names; its users stay (they are keyed by address, not by domain).
        db.prepare('DELETE FROM domains WHERE name = ?').run(domain.name);
        this.#statements.insertDomain.run(domain.name, position, JSON.stringify(domain));
        for (const name of [domain.name, ...domain.aliases]) this.#statements.insertName.run(name, domain.name);
        return row ? (JSON.parse(row.settings) as DomainSettings) : undefined;
      })();
    } finally {
      this.#domains = undefined;
    }
  }

  async deleteDomain(name: string): Promise<DomainSettings | undefined> {
    this.#endTurnNow();
    try {
      const row = this.#db
        .prepare<[string], { settings: string }>('DELETE FROM domains WHERE name = ? RETURNING settings')
        .get(name);
      return row ? (JSON.parse(row.settings) as DomainSettings) : undefined;
    } finally {
      this.#domains = undefined;
    }
  }

  async putUser(user: UserRecord): Promise<UserRecord | undefined> {
    this.#endTurnNow();
    return this.#db.transaction(() => {
      const before = this.#statements.user.get(user.email);
      this.#statements.upsertUser.run(userToRow(user));
      return before ? rowToUser(before) : undefined;
    })();
  }

  async deleteUser(email: string): Promise<UserRecord | undefined> {
    this.#endTurnNow();
    const row = this.#db.prepare<[string], UserRow>('DELETE FROM users WHERE email = ? RETURNING *').get(email);
    return row ? rowToUser(row) : undefined;
  }

  async listDomains(query: ListQuery): Promise<Page<DomainSettings>> {
    this.#endTurnNow();
    const like = likePattern(query.search);
    const where = "WHERE EXISTS (SELECT 1 FROM domain_names n WHERE n.domain = d.name AND n.name LIKE ? ESCAPE '\\')";
    const total = this.#db.prepare(`SELECT count(*) FROM domains d ${where}`).pluck().get(like) as number;
    const items = this.#db
      .prepare<[string, number, number], { settings: string }>(
        `SELECT settings FROM domains d ${where} ORDER BY position LIMIT ? OFFSET ?`,
      )
      .all(like, query.limit, query.offset)
      .map((r) => JSON.parse(r.settings) as DomainSettings);
    return { items, total };
  }

  async listUsers(query: ListQuery & { domains?: readonly string[] }): Promise<Page<UserRecord>> {
    this.#endTurnNow();
    const params: unknown[] = [likePattern(query.search)];
    let where = "WHERE email LIKE ? ESCAPE '\\'";
    if (query.domains) {
      // The domain is what follows the last "@" (local parts may hold a quoted "@").
      where += ` AND substr(email, length(rtrim(email, replace(email, '@', ''))) + 1) IN (${query.domains.map(() => '?').join(', ') || 'NULL'})`;
      params.push(...query.domains);
    }
    const total = this.#db
      .prepare(`SELECT count(*) FROM users ${where}`)
      .pluck()
      .get(...params) as number;
    const items = this.#db
      .prepare<unknown[], UserRow>(`SELECT * FROM users ${where} ORDER BY email LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.offset)
      .map(rowToUser);
    return { items, total };
  }

  async close(): Promise<void> {
    this.#endTurnNow();
    this.#db.close();
  }
}

/** `search` as a LIKE pattern matching any text that contains it literally (`%` and `_` are not wildcards). */
function likePattern(search: string | undefined): string {
  return `%${(search ?? '').toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
}
