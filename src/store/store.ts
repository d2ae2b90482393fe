import type { Config, DomainSettings, UserRecord } from '../settings/schema.js';

/**
 * Where settings live. Routes only see this interface, so another database (PostgreSQL) is one more
 * implementation, not a change to the server. Methods are async for that reason, even where SQLite is not.
 */
/** What a store holds, with the users read one at a time, in address order (there may be millions). */
export interface StoredContents {
  domains: DomainSettings[];
  userCount: number;
  users(): Iterable<UserRecord>;
}

export interface SettingsStore {
  /** The domain whose name or alias is `name` (ASCII, lower case). */
  findDomain(name: string): Promise<DomainSettings | undefined>;
  /** The stored row for an address (normalised: lower case, ASCII domain). */
  findUser(email: string): Promise<UserRecord | undefined>;
  findUserByLegacyDN(legacyDN: string): Promise<UserRecord | undefined>;
  /**
   * Replaces every domain and user in one transaction: all of `config` or nothing. Returns what was stored
   * before; `keep` sees it first, inside the transaction, and a failure there changes nothing.
   */
  replaceAll(config: Config, keep?: (previous: Config) => Promise<void> | void): Promise<Config>;
  /** Adds or updates users in one transaction (bulk loads; the benchmark's million rows). */
  upsertUsers(users: Iterable<UserRecord>): Promise<number>;
  /** Everything stored, in the configuration file's shape. */
  exportAll(): Promise<Config>;
  counts(): Promise<{ domains: number; users: number }>;
  close(): Promise<void>;
}
