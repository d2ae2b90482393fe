/**
 * Opening the store from the command line, and importing into it, so that no typo loses data:
 * - a `--db` path that does not exist is an error, except for the commands whose job is to fill a store
 *   (`import`, `serve --config`): a mistyped path must never start an empty store that `export` then prints;
 * - `--db` URLs are refused (only SQLite files exist in this version; the folder `postgres:` is not a database);
 * - an import that would delete every stored domain needs `--allow-empty`;
 * - every import that changes a non-empty store first writes the replaced contents next to the database, as a
 *   configuration file the same `import` restores.
 */
import { existsSync, statSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AutodiscoError } from '../errors.js';
import type { Config, DomainSettings, UserRecord } from '../settings/schema.js';
import { SqliteStore } from '../store/sqlite.js';
import type { StoredContents } from '../store/store.js';
import { configChunks, writeFileChunks } from './config-yaml.js';
import { command, shellQuote } from './invocation.js';

export const DEFAULT_DB = 'data/autodisco.sqlite';

/** `postgres://user:secret@host/db` → `postgres://host/db`: the refusal never repeats a password. */
function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

/**
 * Opens the store at `path`. With `create: false` the file must exist. Returns whether it was created, so the
 * caller can say so.
 */
export function openStore(path: string, options: { create: boolean }): { store: SqliteStore; created: boolean } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new AutodiscoError(
      'ADK_ERR_STORE_URL',
      `--db ${withoutCredentials(path)}: PostgreSQL and other database URLs are not supported yet in this version; give the path of an SQLite file`,
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

/** The file name for a snapshot of `db` taken now: `<db>.before-import-2026-12-06T20-34-01.123Z.yaml`. */
export function snapshotPath(db: string, now = new Date()): string {
  return `${db}.before-import-${now.toISOString().replaceAll(':', '-')}.yaml`;
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
function sameContents(previous: StoredContents, next: ImportContents): boolean {
  if (previous.userCount !== next.userCount) return false;
  if (JSON.stringify(previous.domains) !== JSON.stringify(next.domains)) return false;
  const theirs = next.users()[Symbol.iterator]();
  try {
    for (const mine of previous.users()) {
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
    await writeFileChunks(partial, configChunks(previous.domains, previous.users()), { flags: 'wx', mode: 0o600 });
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
  store: SqliteStore,
  next: ImportContents,
  options: { db: string; source: string; allowEmpty: boolean },
): Promise<ImportResult> {
  const result: ImportResult = { previous: { domains: 0, users: 0 } };
  await store.replaceStreaming(next, async (previous) => {
    result.previous = { domains: previous.domains.length, users: previous.userCount };
    if (next.domains.length === 0 && previous.domains.length > 0 && !options.allowEmpty) {
      throw new AutodiscoError(
        'ADK_ERR_IMPORT_EMPTY',
        `${options.source} has no domains: importing it would delete the ${previous.domains.length} domain(s) and ${previous.userCount} user(s) stored in ${options.db}; nothing was changed (add --allow-empty if an empty store is what you want)`,
      );
    }
    const empty = previous.domains.length === 0 && previous.userCount === 0;
    if (empty || sameContents(previous, next)) return;
    const path = snapshotPath(options.db);
    await writeSnapshot(path, previous);
    result.snapshot = path;
  });
  return result;
}

/** importContents for a configuration already in memory (`serve --config`, tests). */
export async function importConfig(
  store: SqliteStore,
  config: Config,
  options: { db: string; source: string; allowEmpty: boolean },
): Promise<ImportResult> {
  const users = [...config.users].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  return importContents(store, { domains: config.domains, userCount: users.length, users: () => users }, options);
}

/** What an import prints after its first line: where the replaced contents are and how to get them back. */
export function describeSnapshot(result: ImportResult, db: string): string {
  if (!result.snapshot) return '';
  return (
    `the previous contents (${result.previous.domains} domain(s), ${result.previous.users} user(s)) are saved in ${result.snapshot}\n` +
    `  to restore them: ${command(`import ${shellQuote(result.snapshot)} --db ${shellQuote(db)}`)}\n`
  );
}
