/**
 * One way to version a PostgreSQL schema, for each of autodisco's tracks (the settings store, the admin tables,
 * the audit results): append-only migrations whose applied versions are rows of the track's own table; every
 * pending one applied in one transaction, under the track's advisory lock so that instances or workers starting
 * at once do not both migrate; a database whose version is newer than this autodisco knows is refused, untouched.
 * The tracks are apart so that each can live in a database without the others.
 */
import type { Sql, TransactionSql } from 'postgres';
import { AutodiscoError } from '../../errors.js';

export interface PgMigration {
  version: number;
  description: string;
  sql: string;
}

export interface MigrationTrack {
  /** The table of applied versions (a constant of the code, never input). */
  table: string;
  /** Any constant, one per track: the advisory lock that serialises this track's migrations. */
  lock: number;
  /** How messages name the schema: 'schema', 'admin schema', 'results schema'. */
  name: string;
  migrations: readonly PgMigration[];
}

/**
 * Whether the track's table exists: a plain query of pg_tables under the statement's snapshot, rather than
 * to_regclass(), which resolves through the session's catalog cache. With to_regclass() one concurrent start of
 * the results track was seen failing with "already exists"; a test that primes that cache and then races the
 * lock did not reproduce it here, so the query is a precaution, not a proven fix.
 */
export async function hasTrackTable(sql: Sql | TransactionSql, table: string): Promise<boolean> {
  const [row] = await sql<{ found: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ${table}) AS found`;
  return row?.found === true;
}

export async function migrateTrack(sql: Sql, track: MigrationTrack, label: string): Promise<void> {
  const latest = track.migrations.at(-1)?.version ?? 0;
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${track.lock})`;
    // Only when missing: even CREATE … IF NOT EXISTS needs the CREATE right, which a serving user need not have.
    if (!(await hasTrackTable(tx, track.table))) {
      await tx`CREATE TABLE ${tx(track.table)} (
        version integer PRIMARY KEY,
        description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
    }
    const [row] = await tx<{ v: number | null }[]>`SELECT max(version) AS v FROM ${tx(track.table)}`;
    const current = row?.v ?? 0;
    if (current > latest) {
      throw new AutodiscoError(
        'ADK_ERR_STORE_NEWER_SCHEMA',
        `the database ${label} has ${track.name} version ${current}; this autodisco knows versions up to ${latest}`,
      );
    }
    for (const m of track.migrations.filter((m) => m.version > current)) {
      await tx.unsafe(m.sql);
      await tx`INSERT INTO ${tx(track.table)} (version, description) VALUES (${m.version}, ${m.description})`;
    }
  });
}
