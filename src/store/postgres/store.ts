/**
 * The PostgreSQL store: what several `serve` instances share.
 *
 * - Domains are few and read on every request: each process keeps them parsed (and frozen) in a name → settings
 *   map, dropped when another instance or command changes the contents (changes.ts: LISTEN/NOTIFY) and after
 *   this store's own writes. Users are read from the database on every lookup (prepared statements).
 * - Degraded mode (see the README): when the database is away, lookups answer from the last domain map and from
 *   the last few thousand users read (recent-users.ts); any other address gets HTTP 503 rather than a guess.
 *   While away, no query is sent per request: one probe a second looks for the database's return, and then the
 *   map and the recent users are dropped, since changes made meanwhile were not heard.
 */
import postgres, { type Sql } from 'postgres';
import { AutodiscoError } from '../../errors.js';
import type { Config, DomainSettings, UserRecord } from '../../settings/schema.js';
import { rowToUser, type UserRow } from '../sqlite.js';
import type { ListQuery, ManagedStore, Page, StoredContents, StoreHealth } from '../store.js';
import { listenForChanges, newSenderId, sendChange } from './changes.js';
import { connectionReason, isConnectionError, openError, StoreUnavailableError } from './errors.js';
import { hasSchema, migrate } from './migrations.js';
import { RecentUsers } from './recent-users.js';
import * as records from './records.js';
import {
  countUsers,
  type Queryable,
  readDomains,
  streamUsers,
  USER_COLUMNS,
  writeDomains,
  writeUsers,
} from './rows.js';
import { maskUrl } from './url.js';

export interface PostgresStoreOptions {
  /** false: the database must already hold the autodisco tables (export, serve without --config). */
  create: boolean;
  /** Keep the domain map fresh through LISTEN (serve). Commands that only import or export do not listen. */
  listen?: boolean;
  /** Users kept for the degraded mode (default 10,000; 0 keeps none). */
  recentUsers?: number;
  /** Connections in the pool (default 10). */
  max?: number;
  /** Seconds to wait for a connection before a lookup counts the database as away (default 5). */
  connectTimeout?: number;
  /**
   * Milliseconds a lookup waits for its answer before the database counts as away (default 5000): a connection
   * that hangs (a network partition) rather than fails must not hold every request.
   */
  lookupTimeout?: number;
  /** Called when the database goes away and comes back: serve logs it. */
  onHealthChange?: (health: StoreHealth) => void;
}

/** Freezes a parsed JSON value all the way down: cached settings are shared by every request. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const PROBE_MS = 1000;

/** `promise`, or a connection-class error after `ms` (a late rejection of `promise` is then ignored, not unhandled). */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export class PostgresStore implements ManagedStore {
  readonly label: string;
  readonly #sql: Sql;
  readonly #recent: RecentUsers;
  readonly #onHealthChange: ((health: StoreHealth) => void) | undefined;
  readonly #lookupTimeout: number;
  /** Tells this store's own notifications from other instances'. */
  readonly #id = newSenderId();
  /** Name or alias → settings; undefined until needed or after a change. */
  #domains: Map<string, DomainSettings> | undefined;
  /** The last map read: the degraded mode's answer. */
  #lastDomains: Map<string, DomainSettings> | undefined;
  /** Moves at each change: a map read while a change arrived is used once, not kept. */
  #generation = 0;
  #away: { reason: string; since: string } | undefined;
  #probe: NodeJS.Timeout | undefined;
  #probing = false;
  #closed = false;

  private constructor(url: string, options: PostgresStoreOptions) {
    this.label = maskUrl(url);
    this.#recent = new RecentUsers(options.recentUsers ?? 10_000);
    this.#onHealthChange = options.onHealthChange;
    this.#lookupTimeout = options.lookupTimeout ?? 5000;
    this.#sql = postgres(url, {
      max: options.max ?? 10,
      connect_timeout: options.connectTimeout ?? 5,
      onnotice: () => {},
      connection: { application_name: 'autodisco' },
    });
  }

  /** Connects, checks or creates the schema, and (with `listen`) starts hearing changes. */
  static async open(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(url, options);
    try {
      if (!options.create && !(await hasSchema(store.#sql))) {
        throw new AutodiscoError(
          'ADK_ERR_STORE_NOT_FOUND',
          `--db ${store.label}: the database holds no autodisco tables (nothing was created); check the URL, or fill it with: autodisco import <file> --db ${store.label}`,
        );
      }
      await migrate(store.#sql, store.label);
      if (options.listen) {
        await listenForChanges(store.#sql, store.#id, () => store.#changed());
      }
    } catch (err) {
      await store.#sql.end({ timeout: 1 }).catch(() => undefined);
      if (err instanceof AutodiscoError) throw err;
      throw openError(url, err);
    }
    return store;
  }

  /** The contents changed (or may have, while the database was away): forget what was read. */
  #changed(): void {
    this.#generation++;
    this.#domains = undefined;
    this.#recent.clear();
  }

  health(): StoreHealth {
    return this.#away ? { status: 'degraded', ...this.#away } : { status: 'ok' };
  }

  /** Counts the database as away after a connection failure (and starts probing); rethrows any other error. */
  #lost(err: unknown): void {
    if (this.#closed) throw err;
    if (!isConnectionError(err)) {
      // The driver's error carries the query's parameters (an address): the request log must not get them.
      const { code, message } = err as { code?: string; message?: string };
      throw new Error(`the settings database failed: ${code ?? 'error'}: ${message ?? String(err)}`);
    }
    if (this.#away) return;
    this.#away = { reason: connectionReason(err), since: new Date().toISOString() };
    this.#onHealthChange?.(this.health());
    this.#probe = setInterval(() => void this.#tryProbe(), PROBE_MS);
    this.#probe.unref();
  }

  async #tryProbe(): Promise<void> {
    // One probe at a time: a probe may wait up to the lookup deadline, longer than the interval.
    if (this.#probing) return;
    this.#probing = true;
    try {
      await withDeadline(this.#sql`SELECT 1`.execute(), this.#lookupTimeout);
    } catch {
      return;
    } finally {
      this.#probing = false;
    }
    if (!this.#away) return;
    clearInterval(this.#probe);
    this.#probe = undefined;
    this.#away = undefined;
    this.#changed();
    this.#onHealthChange?.(this.health());
  }

  /** One `SELECT 1` (with the lookup deadline) unless the database is already known to be away. */
  async ping(): Promise<void> {
    if (this.#away) return;
    try {
      await withDeadline(this.#sql`SELECT 1`.execute(), this.#lookupTimeout);
    } catch (err) {
      this.#lost(err);
    }
  }

  async findDomain(name: string): Promise<DomainSettings | undefined> {
    return (await this.#domainMap()).get(name);
  }

  async #domainMap(): Promise<Map<string, DomainSettings>> {
    if (this.#domains) return this.#domains;
    if (this.#away && this.#lastDomains) return this.#lastDomains;
    const generation = this.#generation;
    let rows: { name: string; domain: string; settings: DomainSettings }[];
    try {
      // One statement, so one consistent snapshot of names and settings.
      rows = await withDeadline(
        this.#sql<typeof rows>`SELECT n.name AS name, d.name AS domain, d.settings AS settings
          FROM autodisco_domain_names n JOIN autodisco_domains d ON d.name = n.domain`.execute(),
        this.#lookupTimeout,
      );
    } catch (err) {
      this.#lost(err);
      if (this.#lastDomains) return this.#lastDomains;
      throw new StoreUnavailableError(this.#away?.reason ?? connectionReason(err));
    }
    const parsed = new Map<string, DomainSettings>();
    const byName = new Map<string, DomainSettings>();
    for (const row of rows) {
      let settings = parsed.get(row.domain);
      if (!settings) {
        settings = deepFreeze(row.settings);
        parsed.set(row.domain, settings);
      }
      byName.set(row.name, settings);
    }
    this.#lastDomains = byName;
    if (generation === this.#generation) this.#domains = byName;
    return byName;
  }

  /** One user lookup, remembered for the degraded mode; from memory (or HTTP 503) while the database is away. */
  async #lookUp(key: string, query: () => Promise<UserRow[]>): Promise<UserRecord | undefined> {
    if (!this.#away) {
      const generation = this.#generation;
      try {
        const [row] = await withDeadline(query(), this.#lookupTimeout);
        const user = row ? rowToUser(row) : undefined;
        if (generation === this.#generation) this.#recent.remember(key, user);
        return user;
      } catch (err) {
        this.#lost(err);
      }
    }
    const recalled = this.#recent.recall(key);
    if (recalled === undefined) throw new StoreUnavailableError(this.#away?.reason ?? 'unknown');
    return recalled ?? undefined;
  }

  findUser(email: string): Promise<UserRecord | undefined> {
    return this.#lookUp(`e:${email}`, () =>
      this.#sql<UserRow[]>`SELECT ${this.#sql(USER_COLUMNS)} FROM autodisco_users WHERE email = ${email}`.execute(),
    );
  }

  findUserByLegacyDN(legacyDN: string): Promise<UserRecord | undefined> {
    return this.#lookUp(`l:${legacyDN.toLowerCase()}`, () =>
      this.#sql<UserRow[]>`SELECT ${this.#sql(USER_COLUMNS)} FROM autodisco_users
          WHERE lower(legacy_dn) = lower(${legacyDN}) AND legacy_dn IS NOT NULL ORDER BY email LIMIT 1`.execute(),
    );
  }

  /**
   * Replaces every domain and user in one transaction. The tables are locked against other writers first (not
   * against readers: serving instances see the old contents until COMMIT), so no other import slips in between
   * the read of the old contents and their replacement. The NOTIFY is part of the transaction: instances hear of
   * the change only if it commits. A connection lost before COMMIT changes nothing.
   */
  async replaceStreaming(
    next: { domains: readonly DomainSettings[]; users: () => Iterable<UserRecord> },
    keep?: (previous: StoredContents) => Promise<void> | void,
  ): Promise<void> {
    try {
      await this.#sql.begin(async (tx) => {
        await tx`LOCK TABLE autodisco_domains, autodisco_domain_names, autodisco_users IN EXCLUSIVE MODE`;
        if (keep) {
          await keep({
            domains: await readDomains(tx),
            userCount: await countUsers(tx),
            users: () => streamUsers(tx),
          });
        }
        // DELETE, not TRUNCATE: TRUNCATE would block every reader until COMMIT.
        await tx`DELETE FROM autodisco_domain_names`;
        await tx`DELETE FROM autodisco_users`;
        await tx`DELETE FROM autodisco_domains`;
        await writeDomains(tx, next.domains);
        await writeUsers(tx, next.users(), false);
        await sendChange(tx, this.#id, 'replace');
      });
    } finally {
      this.#changed();
    }
  }

  async replaceAll(config: Config, keep?: (previous: Config) => Promise<void> | void): Promise<Config> {
    let previous: Config = { domains: [], users: [] };
    await this.replaceStreaming({ domains: config.domains, users: () => config.users }, async (stored) => {
      const users: UserRecord[] = [];
      for await (const u of stored.users()) users.push(u);
      previous = { domains: stored.domains, users };
      if (keep) await keep(previous);
    });
    return previous;
  }

  async upsertUsers(users: Iterable<UserRecord>): Promise<number> {
    try {
      return await this.#sql.begin(async (tx) => {
        const n = await writeUsers(tx, users, true);
        await sendChange(tx, this.#id, 'users');
        return n;
      });
    } finally {
      this.#changed();
    }
  }

  /**
   * The contents from one snapshot (a read-only REPEATABLE READ transaction on a connection of its own), the
   * users streamed through a cursor; the transaction ends when the users have been read, or at close().
   */
  async contents(): Promise<StoredContents> {
    const reserved = await this.#sql.reserve();
    let open = true;
    const close = async () => {
      if (!open) return;
      open = false;
      try {
        await reserved`COMMIT`;
      } finally {
        reserved.release();
      }
    };
    try {
      await reserved`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`;
      const domains = await readDomains(reserved);
      const userCount = await countUsers(reserved);
      return {
        domains,
        userCount,
        users: async function* () {
          try {
            yield* streamUsers(reserved);
          } finally {
            await close();
          }
        },
        close,
      };
    } catch (err) {
      open = false;
      reserved.release();
      throw err;
    }
  }

  async exportAll(): Promise<Config> {
    const contents = await this.contents();
    const users: UserRecord[] = [];
    for await (const u of contents.users()) users.push(u);
    return { domains: contents.domains, users };
  }

  async servedDomains(): Promise<string[]> {
    const rows = await this.#sql<{ name: string }[]>`SELECT name FROM autodisco_domains
      WHERE settings->'redirect' IS NULL ORDER BY position`;
    return rows.map((r) => r.name);
  }

  async sampleUser(domain: string): Promise<string | undefined> {
    const pattern = `%@${domain.replace(/[\\%_]/g, '\\$&')}`;
    const [row] = await this.#sql<{ email: string }[]>`SELECT email FROM autodisco_users
      WHERE email LIKE ${pattern} AND redirect_addr IS NULL AND redirect_url IS NULL LIMIT 1`;
    return row?.email;
  }

  /** Runs `work` in one transaction; the cached domains and recent users are dropped afterwards, as after an import. */
  #write = async <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => {
    try {
      return (await this.#sql.begin((tx) => work(tx))) as T;
    } finally {
      this.#changed();
    }
  };

  putDomain(domain: DomainSettings): Promise<DomainSettings | undefined> {
    return records.putDomain(this.#write, this.#id, domain);
  }

  deleteDomain(name: string): Promise<DomainSettings | undefined> {
    return records.deleteDomain(this.#write, this.#id, name);
  }

  putUser(user: UserRecord): Promise<UserRecord | undefined> {
    return records.putUser(this.#write, this.#id, user);
  }

  deleteUser(email: string): Promise<UserRecord | undefined> {
    return records.deleteUser(this.#write, this.#id, email);
  }

  listDomains(query: ListQuery): Promise<Page<DomainSettings>> {
    return records.listDomains(this.#sql, query);
  }

  listUsers(query: ListQuery & { domains?: readonly string[] }): Promise<Page<UserRecord>> {
    return records.listUsers(this.#sql, query);
  }

  async counts(): Promise<{ domains: number; users: number }> {
    const [row] = await this.#sql<{ domains: string; users: string }[]>`SELECT
      (SELECT count(*) FROM autodisco_domains) AS domains, (SELECT count(*) FROM autodisco_users) AS users`;
    return { domains: Number(row?.domains ?? 0), users: Number(row?.users ?? 0) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#probe);
    // No UNLISTEN first: on a connection that hangs it would never be answered. Ending the pool ends the
    // listening connection too; queries still running get 2 s, then every socket is destroyed.
    await this.#sql.end({ timeout: 2 });
  }
}
