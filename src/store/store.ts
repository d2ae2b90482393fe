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

export interface ListQuery {
  search?: string;
  offset: number;
  limit: number;
}

export interface Page<T> {
  items: T[];
  total: number;
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
  /** Adds a domain (at the end) or replaces the one named `domain.name` (in place); returns the one replaced. */
  putDomain(domain: DomainSettings): Promise<DomainSettings | undefined>;
  /** Deletes a domain by its name (not an alias); returns it, undefined when there was none. */
  deleteDomain(name: string): Promise<DomainSettings | undefined>;
  /** Adds or replaces one user; returns the one replaced. */
  putUser(user: UserRecord): Promise<UserRecord | undefined>;
  deleteUser(email: string): Promise<UserRecord | undefined>;
  /** Domains in file order whose name or an alias contains `search`, one page of them, and how many match. */
  listDomains(query: ListQuery): Promise<Page<DomainSettings>>;
  /** Users in address order whose address contains `search` (and whose domain is one of `domains`), paged. */
  listUsers(query: ListQuery & { domains?: readonly string[] }): Promise<Page<UserRecord>>;
  close(): Promise<void>;
}
