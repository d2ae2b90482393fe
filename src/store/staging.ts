/**
 * Users read from a configuration file, held in a private temporary SQLite database while the file is checked:
 * a million users do not fit in memory as objects, but fit in a B-tree on disk with a bounded page cache.
 * The primary key (the address) finds duplicates as rows arrive. Nothing here touches the real store: the
 * file is checked completely before the store is even opened, so a bad file changes (or creates) nothing.
 */
import Database from 'better-sqlite3';
import type { UserRecord } from '../settings/schema.js';
import { rowToUser, type UserRow, userToRow } from './sqlite.js';

export class UserStaging {
  // '' is SQLite's anonymous temporary database: a file in the temporary folder, deleted when closed.
  readonly #db = new Database('');
  readonly #insert;
  readonly #insertInvalid;
  readonly #firstAt;
  #count = 0;

  constructor() {
    const db = this.#db;
    // Throwaway data: no journal, no fsync; 16 MiB of page cache, whatever the number of users.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -16384');
    // Keyed by address only (one B-tree): reading in address order, as the store is filled, is sequential.
    db.exec(`CREATE TABLE users (
      email TEXT PRIMARY KEY, idx INTEGER NOT NULL, line INTEGER, valid INTEGER NOT NULL DEFAULT 1, display_name TEXT, login_name TEXT,
      mailbox_server TEXT, legacy_dn TEXT, mailbox_id TEXT, redirect_addr TEXT, redirect_url TEXT) WITHOUT ROWID`);
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO users (idx, line, email, display_name, login_name, mailbox_server, legacy_dn, mailbox_id, redirect_addr, redirect_url)
       VALUES (@idx, @line, @email, @display_name, @login_name, @mailbox_server, @legacy_dn, @mailbox_id, @redirect_addr, @redirect_url)`,
    );
    this.#insertInvalid = db.prepare(
      'INSERT OR IGNORE INTO users (idx, line, email, valid) VALUES (@idx, @line, @email, 0)',
    );
    this.#firstAt = db.prepare<[string], { idx: number; line: number | null }>(
      'SELECT idx, line FROM users WHERE email = ?',
    );
    db.exec('BEGIN');
  }

  /** Adds a valid user; when its address is already staged, returns where (index, line) and stages nothing. */
  add(index: number, line: number | undefined, user: UserRecord): { idx: number; line: number | null } | undefined {
    const info = this.#insert.run({ idx: index, line: line ?? null, ...userToRow(user) });
    if (info.changes === 0) return this.#firstAt.get(user.email);
    this.#count++;
    return undefined;
  }

  /**
   * Stages the readable address of an invalid record, so that its duplicates are reported with it (a file with
   * an invalid record is never imported, so this row never reaches the store).
   */
  addInvalid(index: number, line: number | undefined, email: string): { idx: number; line: number | null } | undefined {
    const info = this.#insertInvalid.run({ idx: index, line: line ?? null, email });
    if (info.changes === 0) return this.#firstAt.get(email);
    return undefined;
  }

  /** The users that leave the chain of redirects (redirectAddr or redirectUrl): all a cycle can go through. */
  *redirecting(): Generator<{ index: number; value: UserRecord }> {
    const rows = this.#db.prepare<[], UserRow & { idx: number }>(
      'SELECT * FROM users WHERE valid = 1 AND (redirect_addr IS NOT NULL OR redirect_url IS NOT NULL)',
    );
    for (const row of rows.iterate()) yield { index: row.idx, value: rowToUser(row) };
  }

  get count(): number {
    return this.#count;
  }

  /** Addresses (in address order) with their index and line: for the checks that need every domain first. */
  *addresses(): Generator<{ idx: number; line: number | null; email: string }> {
    yield* this.#db
      .prepare<[], { idx: number; line: number | null; email: string }>(
        'SELECT idx, line, email FROM users WHERE valid = 1',
      )
      .iterate();
  }

  /** The users in address order (the store's order, so an unchanged import is found by one linear pass). */
  *byEmail(): Generator<UserRecord> {
    for (const row of this.#db.prepare<[], UserRow>('SELECT * FROM users ORDER BY email').iterate()) {
      yield rowToUser(row);
    }
  }

  close(): void {
    if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
    this.#db.close();
  }
}
