import type { Config, DomainSettings, UserRecord } from '../settings/schema.js';

/** Rows read one at a time: synchronously from SQLite, asynchronously from a database server. */
export type Rows<T> = Iterable<T> | AsyncIterable<T>;

/** What a store holds, with the users read one at a time, in address order (there may be millions). */
export interface StoredContents {
  domains: DomainSettings[];
  userCount: number;
  users(): Rows<UserRecord>;
  /** Ends the read (a database server's snapshot transaction); reading all users ends it too. */
  close?(): Promise<void>;
}

/** Whether the store answers from the database or from what this process last read (PostgreSQL, connection lost). */
export interface StoreHealth {
  status: 'ok' | 'degraded';
  /** Why, without credentials: `connection refused`, `the server shut down`. */
  reason?: string;
  /** ISO time the database was first found away. */
  since?: string;
}

/**
 * Where settings live. Routes only see this interface, so another database (PostgreSQL) is one more
 * implementation, not a change to the server. Methods are async for that reason, even where SQLite is not.
 */
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
  /** Absent: the store is local and either answers or throws (SQLite). */
  health?(): StoreHealth;
  /** Asks the database server now (the health check), so that health() is current even when lookups come from memory. */
  ping?(): Promise<void>;
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

/** What the commands need beyond serving: streamed import and export, and the lines serve prints at start. */
export interface ManagedStore extends SettingsStore {
  /** What messages call this store: the file path, or the URL without its password. */
  readonly label: string;
  /** The stored domains and users (read lazily, in address order), from one consistent snapshot. */
  contents(): StoredContents | Promise<StoredContents>;
  /**
   * Replaces every domain and user in one transaction, reading the new users one at a time. `keep` runs inside
   * the transaction, before anything is deleted, and sees what is stored: if it throws, nothing changes.
   */
  replaceStreaming(
    next: { domains: readonly DomainSettings[]; users: () => Iterable<UserRecord> },
    keep?: (previous: StoredContents) => Promise<void> | void,
  ): Promise<void>;
  /** Names of the domains that answer with settings (not moved elsewhere), in file order. */
  servedDomains(): Promise<string[]>;
  /** A stored address of `domain` that gets settings (no redirect), for example commands; undefined if none. */
  sampleUser(domain: string): Promise<string | undefined>;
}
