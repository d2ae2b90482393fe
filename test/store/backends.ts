/**
 * The store suite runs against every backend: SQLite (a file in a temporary folder) and PostgreSQL (a fresh
 * database in a throw-away cluster, test/helpers/postgres.ts). A "location" is what `--db` takes; two stores
 * opened on one location share their contents, as two `serve` processes do.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { ManagedStore } from '../../src/store/store.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A new, empty location. */
  location(): Promise<string>;
  /** Opens (creating the schema) a store at the location; `listen` as serve opens it. */
  open(location: string): Promise<ManagedStore>;
  /** Stops what the backend started. */
  stop(): Promise<void>;
}

export function sqliteBackend(): Backend {
  return {
    name: 'sqlite',
    async location() {
      return join(await mkdtemp(join(tmpdir(), 'autodisco-store-')), 'store.sqlite');
    },
    async open(location) {
      return new SqliteStore(location);
    },
    async stop() {},
  };
}

export async function postgresBackend(): Promise<Backend & { cluster: PgCluster }> {
  const cluster = await startPostgres();
  // Closed at stop() even when a failed test did not: an open pool (and its LISTEN) would keep the process alive.
  const opened: ManagedStore[] = [];
  return {
    name: 'postgres',
    cluster,
    location: () => cluster.createDatabase(),
    async open(location) {
      const store = await PostgresStore.open(location, { create: true, listen: true });
      opened.push(store);
      return store;
    },
    async stop() {
      await Promise.allSettled(opened.map((s) => s.close()));
      await cluster.stop();
    },
  };
}

/** Waits until `check` passes (or throws its last failure after `ms`): for changes heard asynchronously. */
export async function eventually(check: () => Promise<void>, ms = 1000): Promise<number> {
  const start = Date.now();
  for (;;) {
    try {
      await check();
      return Date.now() - start;
    } catch (err) {
      if (Date.now() - start > ms) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
