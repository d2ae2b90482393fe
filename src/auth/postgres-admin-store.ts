/**
 * The AdminStore in PostgreSQL: what `serve --ui --db postgres://…` keeps (accounts, sessions, API tokens, login
 * links, the audit log, stored diagnoses), in the same database as the settings, on its own pool and its own
 * migration track (postgres-admin-migrations.ts). Every instance and worker serving the UI from that database
 * shares the accounts and sessions: a login on one is a session on all.
 *
 * There is no degraded mode here (unlike the settings' lookups): a login or an audit entry must be written or
 * fail. A database that is away makes the admin request answer 503 with the reason (StoreUnavailable below).
 */
import postgres, { type Sql } from 'postgres';
import { AutodiscoError } from '../errors.js';
import { connectionReason, isConnectionError, openError } from '../store/postgres/errors.js';
import { maskUrl } from '../store/postgres/url.js';
import {
  type Account,
  type AdminStore,
  type ApiToken,
  type AuditEntry,
  type DiagnosisRun,
  type Page,
  RUN_KEEP_MS,
  type RunClaim,
  type RunEvents,
  type RunLimits,
  type Session,
  type StoredDiagnosis,
} from './admin-store.js';
import { migrateAdmin } from './postgres-admin-migrations.js';

/** A request the admin layer cannot serve while the database is away: the API answers 503 with this message. */
export class AdminStoreUnavailableError extends Error {
  override name = 'AdminStoreUnavailableError';
  readonly statusCode = 503;
  readonly code = 'ADK_ERR_STORE_UNAVAILABLE';
  constructor(reason: string) {
    super(`the accounts database is away (${reason}); try again when it is back`);
  }
}

interface TokenRow {
  id: number;
  account: string;
  label: string;
  created_at: Date;
  last_used_at: Date | null;
}

/** Any constant: the advisory lock that makes claiming a diagnosis place atomic across workers. */
const RUN_CLAIM_LOCK = 0x61647372; // "adsr"

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

const toToken = (r: TokenRow): ApiToken => ({
  id: r.id,
  account: r.account,
  label: r.label,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: iso(r.last_used_at),
});

/** `%search%` for ILIKE, the search's own % _ and \ taken literally. */
const likePattern = (search: string) => `%${search.replace(/[\\%_]/g, '\\$&')}%`;

export interface PostgresAdminStoreOptions {
  /** Connections in the pool (default 4: admin requests are few beside the Autodiscover lookups). */
  max?: number;
  /** Seconds to wait for a connection (default 5). */
  connectTimeout?: number;
}

export class PostgresAdminStore implements AdminStore {
  readonly label: string;
  readonly #sql: Sql;

  private constructor(url: string, options: PostgresAdminStoreOptions) {
    this.label = maskUrl(url);
    this.#sql = postgres(url, {
      max: options.max ?? 4,
      connect_timeout: options.connectTimeout ?? 5,
      onnotice: () => {},
      connection: { application_name: 'autodisco-admin' },
    });
  }

  /** Connects and creates or updates the admin tables (the settings tables are the caller's to check). */
  static async open(url: string, options: PostgresAdminStoreOptions = {}): Promise<PostgresAdminStore> {
    const store = new PostgresAdminStore(url, options);
    try {
      await migrateAdmin(store.#sql, store.label);
    } catch (err) {
      await store.#sql.end({ timeout: 1 }).catch(() => undefined);
      if (err instanceof AutodiscoError) throw err;
      throw openError(url, err);
    }
    return store;
  }

  /** Runs a query; a database that is away becomes a 503 with its reason instead of an internal error. */
  async #q<T>(run: (sql: Sql) => Promise<T>): Promise<T> {
    try {
      return await run(this.#sql);
    } catch (err) {
      if (isConnectionError(err)) throw new AdminStoreUnavailableError(connectionReason(err));
      throw err;
    }
  }

  async findAccount(name: string): Promise<Account | undefined> {
    const [r] = await this.#q(
      (sql) =>
        sql<
          { name: string; password_hash: string; created_at: Date; failed_logins: number; locked_until: Date | null }[]
        >`SELECT name, password_hash, created_at, failed_logins, locked_until FROM autodisco_admin_accounts WHERE name = ${name}`,
    );
    return r
      ? {
          name: r.name,
          passwordHash: r.password_hash,
          createdAt: r.created_at.toISOString(),
          failedLogins: r.failed_logins,
          lockedUntil: iso(r.locked_until),
        }
      : undefined;
  }

  async addAccount(name: string, passwordHash: string, at: Date): Promise<boolean> {
    const r = await this.#q(
      (sql) => sql`INSERT INTO autodisco_admin_accounts (name, password_hash, created_at)
        VALUES (${name}, ${passwordHash}, ${at}) ON CONFLICT (name) DO NOTHING`,
    );
    return r.count === 1;
  }

  async setPassword(name: string, passwordHash: string): Promise<void> {
    await this.#q(
      (sql) => sql`UPDATE autodisco_admin_accounts SET password_hash = ${passwordHash}, failed_logins = 0,
        locked_until = NULL WHERE name = ${name}`,
    );
  }

  async countAccounts(): Promise<number> {
    const [r] = await this.#q((sql) => sql<{ n: number }[]>`SELECT count(*)::int AS n FROM autodisco_admin_accounts`);
    return r?.n ?? 0;
  }

  async recordFailedLogin(name: string, lockAfter: number, lockUntil: Date): Promise<void> {
    // One statement: two workers counting failures of the same account at once both count.
    await this.#q(
      (sql) => sql`UPDATE autodisco_admin_accounts SET failed_logins = failed_logins + 1,
        locked_until = CASE WHEN failed_logins + 1 >= ${lockAfter} THEN ${lockUntil} ELSE locked_until END
        WHERE name = ${name}`,
    );
  }

  async clearFailedLogins(name: string): Promise<void> {
    await this.#q(
      (sql) => sql`UPDATE autodisco_admin_accounts SET failed_logins = 0, locked_until = NULL WHERE name = ${name}`,
    );
  }

  async addSession(idHash: string, s: Session): Promise<void> {
    const created = new Date(s.createdAt);
    // Expired sessions and login links go when new sessions come: the tables stay as small as the live ones.
    await this.#q((sql) =>
      sql.begin(async (tx) => {
        await tx`DELETE FROM autodisco_admin_sessions WHERE expires_at <= ${created}`;
        await tx`DELETE FROM autodisco_admin_login_links WHERE expires_at <= ${created}`;
        await tx`INSERT INTO autodisco_admin_sessions (id_hash, account, csrf_token, created_at, expires_at)
          VALUES (${idHash}, ${s.account}, ${s.csrfToken}, ${created}, ${new Date(s.expiresAt)})`;
      }),
    );
  }

  async findSession(idHash: string, now: Date): Promise<Session | undefined> {
    const [r] = await this.#q(
      (sql) => sql<{ account: string; csrf_token: string; created_at: Date; expires_at: Date }[]>`
        SELECT account, csrf_token, created_at, expires_at FROM autodisco_admin_sessions
        WHERE id_hash = ${idHash} AND expires_at > ${now}`,
    );
    return r
      ? {
          account: r.account,
          csrfToken: r.csrf_token,
          createdAt: r.created_at.toISOString(),
          expiresAt: r.expires_at.toISOString(),
        }
      : undefined;
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.#q((sql) => sql`DELETE FROM autodisco_admin_sessions WHERE id_hash = ${idHash}`);
  }

  async deleteSessions(account: string): Promise<number> {
    const r = await this.#q((sql) => sql`DELETE FROM autodisco_admin_sessions WHERE account = ${account}`);
    return r.count;
  }

  async addToken(hash: string, account: string, label: string, at: Date): Promise<ApiToken> {
    const [r] = await this.#q(
      (sql) => sql<TokenRow[]>`INSERT INTO autodisco_admin_tokens (hash, account, label, created_at)
        VALUES (${hash}, ${account}, ${label}, ${at}) RETURNING id, account, label, created_at, last_used_at`,
    );
    if (!r) throw new Error('the token was not stored');
    return toToken(r);
  }

  async useToken(hash: string, now: Date): Promise<ApiToken | undefined> {
    const [r] = await this.#q(
      (sql) => sql<TokenRow[]>`UPDATE autodisco_admin_tokens SET last_used_at = ${now} WHERE hash = ${hash}
        RETURNING id, account, label, created_at, last_used_at`,
    );
    return r ? toToken(r) : undefined;
  }

  async listTokens(account: string): Promise<ApiToken[]> {
    const rows = await this.#q(
      (sql) => sql<TokenRow[]>`SELECT id, account, label, created_at, last_used_at FROM autodisco_admin_tokens
        WHERE account = ${account} ORDER BY id`,
    );
    return rows.map(toToken);
  }

  async deleteToken(account: string, id: number): Promise<boolean> {
    const r = await this.#q((sql) => sql`DELETE FROM autodisco_admin_tokens WHERE account = ${account} AND id = ${id}`);
    return r.count === 1;
  }

  async addLoginLink(hash: string, account: string, expiresAt: Date): Promise<void> {
    await this.#q(
      (sql) =>
        sql`INSERT INTO autodisco_admin_login_links (hash, account, expires_at) VALUES (${hash}, ${account}, ${expiresAt})`,
    );
  }

  async takeLoginLink(hash: string, now: Date): Promise<string | undefined> {
    // Deleted and read in one statement: two workers given the same link at once cannot both log in.
    const [r] = await this.#q(
      (sql) => sql<{ account: string; expires_at: Date }[]>`
        DELETE FROM autodisco_admin_login_links WHERE hash = ${hash} RETURNING account, expires_at`,
    );
    return r && r.expires_at > now ? r.account : undefined;
  }

  async audit(e: Omit<AuditEntry, 'id'>): Promise<void> {
    // As text, then json: a JS string parameter typed json would be encoded a second time.
    const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
    await this.#q(
      (sql) => sql`INSERT INTO autodisco_admin_audit (at, actor, action, target, before, after)
        VALUES (${new Date(e.at)}, ${e.actor}, ${e.action}, ${e.target},
          ${json(e.before)}::text::json, ${json(e.after)}::text::json)`,
    );
  }

  async auditLog(options: { offset: number; limit: number; search?: string }): Promise<Page<AuditEntry>> {
    const like = likePattern(options.search ?? '');
    const where = (sql: Sql) =>
      sql`actor ILIKE ${like} ESCAPE '\\' OR action ILIKE ${like} ESCAPE '\\' OR target ILIKE ${like} ESCAPE '\\'`;
    return this.#q(async (sql) => {
      const [count] = await sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM autodisco_admin_audit WHERE ${where(sql)}`;
      const rows = await sql<
        { id: string; at: Date; actor: string; action: string; target: string; before: unknown; after: unknown }[]
      >`SELECT id, at, actor, action, target, before, after FROM autodisco_admin_audit WHERE ${where(sql)}
        ORDER BY id DESC LIMIT ${options.limit} OFFSET ${options.offset}`;
      return {
        total: count?.n ?? 0,
        items: rows.map((r) => ({ ...r, id: Number(r.id), at: r.at.toISOString() })),
      };
    });
  }

  async saveDiagnosis(d: StoredDiagnosis): Promise<void> {
    await this.#q(
      (sql) => sql`INSERT INTO autodisco_admin_diagnoses (id, created_at, account, request, reports)
        VALUES (${d.id}, ${new Date(d.createdAt)}, ${d.account}, ${JSON.stringify(d.request)}::text::json,
          ${JSON.stringify(d.reports)}::text::json)
        ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, account = excluded.account,
          request = excluded.request, reports = excluded.reports`,
    );
  }

  async findDiagnosis(id: string): Promise<StoredDiagnosis | undefined> {
    const [r] = await this.#q(
      (sql) => sql<{ id: string; created_at: Date; account: string | null; request: unknown; reports: unknown[] }[]>`
        SELECT id, created_at, account, request, reports FROM autodisco_admin_diagnoses WHERE id = ${id}`,
    );
    return r
      ? { id: r.id, createdAt: r.created_at.toISOString(), account: r.account, request: r.request, reports: r.reports }
      : undefined;
  }

  async startRun(run: DiagnosisRun, limits: RunLimits): Promise<RunClaim> {
    const at = run.at.getTime();
    return this.#q((sql) =>
      sql.begin(async (tx): Promise<RunClaim> => {
        // One claim at a time across every worker and instance: the count and the insert see the same rows.
        await tx`SELECT pg_advisory_xact_lock(${RUN_CLAIM_LOCK})`;
        await tx`DELETE FROM autodisco_admin_runs WHERE started_at < ${new Date(at - RUN_KEEP_MS)}`;
        const [busy] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM autodisco_admin_runs
          WHERE finished_at IS NULL AND updated_at > ${new Date(at - limits.staleMs)}`;
        const running = busy?.n ?? 0;
        if (running >= limits.maxRunning) return { ok: false, reason: 'busy', running };
        const recent = await tx<{ started_at: Date }[]>`SELECT started_at FROM autodisco_admin_runs
          WHERE requester_hash = ${run.requesterHash} AND started_at > ${new Date(at - limits.windowMs)}
          ORDER BY started_at`;
        if (recent.length >= limits.perRequester) {
          const oldest = recent[recent.length - limits.perRequester]?.started_at.getTime() ?? at;
          const retryAfterS = Math.max(1, Math.ceil((oldest + limits.windowMs - at) / 1000));
          return { ok: false, reason: 'rate-limited', retryAfterS };
        }
        await tx`INSERT INTO autodisco_admin_runs (id, requester_hash, started_at, updated_at)
          VALUES (${run.id}, ${run.requesterHash}, ${run.at}, ${run.at})`;
        return { ok: true };
      }),
    );
  }

  async appendRunEvent(id: string, seq: number, event: unknown, at: Date): Promise<void> {
    await this.#q((sql) =>
      sql.begin(async (tx) => {
        await tx`INSERT INTO autodisco_admin_run_events (id, seq, event)
          VALUES (${id}, ${seq}, ${JSON.stringify(event)}::text::json)`;
        await tx`UPDATE autodisco_admin_runs SET updated_at = ${at} WHERE id = ${id}`;
      }),
    );
  }

  async finishRun(id: string, at: Date): Promise<void> {
    await this.#q(
      (sql) => sql`UPDATE autodisco_admin_runs SET finished_at = ${at}, updated_at = ${at} WHERE id = ${id}`,
    );
  }

  async runEvents(id: string, afterSeq: number): Promise<RunEvents | undefined> {
    return this.#q(async (sql) => {
      const [run] = await sql<{ updated_at: Date; finished_at: Date | null }[]>`
        SELECT updated_at, finished_at FROM autodisco_admin_runs WHERE id = ${id}`;
      if (!run) return undefined;
      const events = await sql<{ seq: number; event: unknown }[]>`
        SELECT seq, event FROM autodisco_admin_run_events WHERE id = ${id} AND seq > ${afterSeq} ORDER BY seq`;
      return {
        finished: run.finished_at !== null,
        updatedAt: run.updated_at.toISOString(),
        events: events.map((r) => ({ seq: r.seq, event: r.event })),
      };
    });
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}
