/**
 * Opening the store from the command line, and importing into it, so that no typo loses data:
 * - a `--db` path that does not exist is an error, except for the commands whose job is to fill a store
 *   (`import`, `serve --config`): a mistyped path must never start an empty store that `export` then prints;
 * - `--db postgres://…` opens PostgreSQL (the database must exist; `import` creates the tables in it); other
 *   URLs are refused (the folder `mysql:` is not a database); messages show URLs without their password;
 * - an import that would delete every stored domain needs `--allow-empty`;
 * - every import that changes a non-empty store first writes the replaced contents next to the database, as a
 *   configuration file the same `import` restores.
 */
import { existsSync, statSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AutodiscoError } from '../errors.js';
import type { Config, DomainSettings, UserRecord } from '../settings/schema.js';
import type { PostgresStoreOptions } from '../store/postgres/store.js';
import { isDatabaseUrl, isPostgresUrl, maskUrl, urlHasPassword, urlParts } from '../store/postgres/url.js';
import { SqliteStore } from '../store/sqlite.js';
import type { ManagedStore, StoredContents } from '../store/store.js';
import { streamConfigChunks, writeFileChunks } from './config-yaml.js';
import { command, shellQuote } from './invocation.js';

export const DEFAULT_DB = 'data/autodisco.sqlite';

/** `--db` as messages show it: a path as given, a URL without its password. */
export function displayDb(db: string): string {
  return isDatabaseUrl(db) ? maskUrl(db) : db;
}

/**
 * Opens the store at `path` (an SQLite file or a PostgreSQL URL). With `create: false` the file (or the tables
 * in the PostgreSQL database) must exist. Returns whether it was created, so the caller can say so.
 */
export async function openStore(
  path: string,
  options: { create: boolean } & Omit<PostgresStoreOptions, 'create'>,
): Promise<{ store: ManagedStore; created: boolean }> {
  if (isPostgresUrl(path)) {
    // The database itself is never created: that takes rights on the server autodisco should not need.
    // Loaded only here: SQLite users (and every other command) never load the PostgreSQL driver.
    const { PostgresStore } = await import('../store/postgres/store.js');
    try {
      return { store: await PostgresStore.open(path, options), created: false };
    } catch (err) {
      if (err instanceof AutodiscoError && err.code === 'ADK_ERR_STORE_NOT_FOUND') {
        throw new AutodiscoError(
          'ADK_ERR_STORE_NOT_FOUND',
          `--db ${maskUrl(path)}: the database holds no autodisco tables (nothing was created); check the URL, or fill it with: ${command(`import <file> --db ${shellQuote(maskUrl(path))}`)}`,
        );
      }
      throw err;
    }
  }
  if (isDatabaseUrl(path)) {
    throw new AutodiscoError(
      'ADK_ERR_STORE_URL',
      `--db ${maskUrl(path)}: only PostgreSQL URLs (postgres://user@host:5432/db) and SQLite file paths are supported`,
    );
  }
  const exists = path !== ':memory:' && path !== '' && existsSync(path);
  if (exists && statSync(path).isDirectory()) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `--db ${path}: it is a folder; name the database file in it, e.g. --db ${shellQuote(join(path, 'autodisco.sqlite'))}`,
    );
  }
  if (!exists && !options.create) {
    throw new AutodiscoError(
      'ADK_ERR_STORE_NOT_FOUND',
      `--db ${path}: no database there (nothing was created); check the path, or create one with: ${command(`import <file> --db ${shellQuote(path)}`)}`,
    );
  }
  return { store: new SqliteStore(path), created: !exists && path !== ':memory:' };
}

/**
 * The file name for a snapshot of `db` taken now: `<db>.before-import-2026-12-06T20-34-01.123Z.yaml`, next to an
 * SQLite file; for a PostgreSQL URL, in the current folder, named after the server and database
 * (`autodisco-db.example-5432-autodisco.before-import-….yaml`).
 */
export function snapshotPath(db: string, now = new Date()): string {
  const time = now.toISOString().replaceAll(':', '-');
  if (isDatabaseUrl(db)) {
    const { host, port, database } = urlParts(db);
    const name = `autodisco-${host}-${port}-${database}`.replace(/[^A-Za-z0-9._-]/g, '_');
    return `${name}.before-import-${time}.yaml`;
  }
  return `${db}.before-import-${time}.yaml`;
}

export interface ImportResult {
  previous: { domains: number; users: number };
  /** Where the replaced contents were saved; undefined when nothing was replaced (empty or unchanged store). */
  snapshot?: string;
}

/** What an import puts in the store: the domains, and the users in address order, read one at a time. */
export interface ImportContents {
  domains: readonly DomainSettings[];
  userCount: number;
  users: () => Iterable<UserRecord>;
}

const userText = (u: UserRecord) => JSON.stringify(u);

/** Whether the store already holds exactly `next`: one pass over both user lists, both in address order. */
async function sameContents(previous: StoredContents, next: ImportContents): Promise<boolean> {
  if (previous.userCount !== next.userCount) return false;
  if (JSON.stringify(previous.domains) !== JSON.stringify(next.domains)) return false;
  const theirs = next.users()[Symbol.iterator]();
  try {
    for await (const mine of previous.users()) {
      const other = theirs.next();
      if (other.done || userText(other.value) !== userText(mine)) return false;
    }
    return theirs.next().done === true;
  } finally {
    theirs.return?.();
  }
}

/**
 * Writes the replaced contents to `path`, streamed: first to `<path>.partial`, renamed when complete,
 * so an import killed while writing never leaves a truncated file under the name the restore command gives.
 */
async function writeSnapshot(path: string, previous: StoredContents): Promise<void> {
  const partial = `${path}.partial`;
  try {
    await writeFileChunks(partial, streamConfigChunks(previous.domains, previous.users()), {
      flags: 'wx',
      mode: 0o600,
    });
    // A snapshot is never overwritten (names carry the time to the millisecond; this is the 'wx' of old).
    if (existsSync(path)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    await rename(partial, path);
  } catch (cause) {
    await unlink(partial).catch(() => undefined);
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new AutodiscoError(
      'ADK_ERR_SNAPSHOT',
      `cannot write the snapshot ${path} (${code}); nothing was imported: the snapshot keeps what the import replaces`,
      { cause },
    );
  }
}

/**
 * Replaces the store's contents with `next`, refusing to delete every domain without `allowEmpty`, and
 * writing the replaced contents (as YAML, mode 0600: it holds addresses) before anything is deleted, all in
 * the store's one transaction.
 */
export async function importContents(
  store: ManagedStore,
  next: ImportContents,
  options: { db: string; source: string; allowEmpty: boolean },
): Promise<ImportResult> {
  const result: ImportResult = { previous: { domains: 0, users: 0 } };
  await store.replaceStreaming(next, async (previous) => {
    result.previous = { domains: previous.domains.length, users: previous.userCount };
    if (next.domains.length === 0 && previous.domains.length > 0 && !options.allowEmpty) {
      throw new AutodiscoError(
        'ADK_ERR_IMPORT_EMPTY',
        `${options.source} has no domains: importing it would delete the ${previous.domains.length} domain(s) and ${previous.userCount} user(s) stored in ${displayDb(options.db)}; nothing was changed (add --allow-empty if an empty store is what you want)`,
      );
    }
    const empty = previous.domains.length === 0 && previous.userCount === 0;
    if (empty || (await sameContents(previous, next))) return;
    const path = snapshotPath(options.db);
    await writeSnapshot(path, previous);
    result.snapshot = path;
  });
  return result;
}

/** importContents for a configuration already in memory (`serve --config`, tests). */
export async function importConfig(
  store: ManagedStore,
  config: Config,
  options: { db: string; source: string; allowEmpty: boolean },
): Promise<ImportResult> {
  const users = [...config.users].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  return importContents(store, { domains: config.domains, userCount: users.length, users: () => users }, options);
}

/** What an import prints after its first line: where the replaced contents are and how to get them back. */
export function describeSnapshot(result: ImportResult, db: string): string {
  if (!result.snapshot) return '';
  // The restore line never carries a password: with one in the URL, it says where the password goes instead.
  const password = isDatabaseUrl(db) && urlHasPassword(db) ? ' (with the password in PGPASSWORD)' : '';
  return (
    `the previous contents (${result.previous.domains} domain(s), ${result.previous.users} user(s)) are saved in ${result.snapshot}\n` +
    `  to restore them${password}: ${command(`import ${shellQuote(result.snapshot)} --db ${shellQuote(displayDb(db))}`)}\n`
  );
}
