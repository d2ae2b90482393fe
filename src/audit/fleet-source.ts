import { existsSync } from 'node:fs';
import { AutodiscoError } from '../errors.js';
import { isDatabaseUrl, isPostgresUrl } from '../store/postgres/url.js';
import type { FleetReader } from './fleet.js';
import { resultsLabel } from './open-results.js';
import { SqliteFleetReader } from './sqlite-fleet.js';

/**
 * Where serve reads audit results: a file that may not exist yet, or a PostgreSQL database that may not hold the
 * results tables yet (the first audit creates either). It is opened on the first request after it appears, so a
 * serve started before the first audit shows the results once there are.
 */
export class FleetSource {
  #reader: FleetReader | undefined;
  /** What pages and messages show: the path, or the URL without its password. */
  readonly label: string;

  constructor(
    /** A file path or a postgres:// URL (with its password, if any: never shown). */
    readonly location: string,
    /** Whether the path is the audit command's default (the printed command then needs no --db). */
    readonly isDefault: boolean,
  ) {
    this.label = resultsLabel(location);
  }

  /** Why there is no reader yet, in words: the file or the tables are missing. */
  get missing(): string {
    return isPostgresUrl(this.location)
      ? `the database ${this.label} holds no audit results tables yet`
      : `${this.location} does not exist`;
  }

  /** The reader, or undefined while the store does not exist. Throws when it is not a results store. */
  async reader(): Promise<FleetReader | undefined> {
    if (this.#reader) return this.#reader;
    if (isPostgresUrl(this.location)) {
      const { PostgresFleetReader } = await import('./pg/fleet.js');
      this.#reader = await PostgresFleetReader.open(this.location, '--audit-db');
      return this.#reader;
    }
    if (isDatabaseUrl(this.location)) {
      throw new AutodiscoError(
        'ADK_ERR_STORE_URL',
        `--audit-db ${this.label}: only PostgreSQL URLs (postgres://USER@HOST:PORT/DATABASE) and SQLite file paths are supported`,
      );
    }
    if (!existsSync(this.location)) return undefined;
    this.#reader = new SqliteFleetReader(this.location);
    return this.#reader;
  }

  async close(): Promise<void> {
    await this.#reader?.close();
    this.#reader = undefined;
  }
}
