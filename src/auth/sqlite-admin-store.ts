/** The AdminStore in the same SQLite file as the settings, on its own connection and its own migration track. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AutodiscoError } from '../errors.js';
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
import { ADMIN_MIGRATIONS } from './sqlite-admin-migrations.js';

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS admin_schema (version INTEGER NOT NULL)');
  const current = (db.prepare('SELECT max(version) FROM admin_schema').pluck().get() as number | null) ?? 0;
  const latest = ADMIN_MIGRATIONS.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new AutodiscoError(
      'ADK_ERR_STORE_NEWER_SCHEMA',
      `the database has admin schema version ${current}; this autodisco knows versions up to ${latest}`,
    );
  }
  db.transaction(() => {
    for (const m of ADMIN_MIGRATIONS.filter((m) => m.version > current)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO admin_schema (version) VALUES (?)').run(m.version);
    }
  })();
}

interface AccountRow {
  name: string;
  password_hash: string;
  created_at: string;
  failed_logins: number;
  locked_until: string | null;
}
interface TokenRow {
  id: number;
  account: string;
  label: string;
  created_at: string;
  last_used_at: string | null;
}
interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
}

const toToken = (r: TokenRow): ApiToken => ({
  id: r.id,
  account: r.account,
  label: r.label,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

export class SqliteAdminStore implements AdminStore {
  readonly #db: Database.Database;

  constructor(path: string) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('foreign_keys = ON');
      this.#db.pragma('busy_timeout = 5000');
      migrate(this.#db);
    } catch (cause) {
      if (cause instanceof AutodiscoError) throw cause;
      throw new AutodiscoError('ADK_ERR_STORE', `cannot open the database ${path}: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  async findAccount(name: string): Promise<Account | undefined> {
    const r = this.#db.prepare<[string], AccountRow>('SELECT * FROM admin_accounts WHERE name = ?').get(name);
    return r
      ? {
          name: r.name,
          passwordHash: r.password_hash,
          createdAt: r.created_at,
          failedLogins: r.failed_logins,
          lockedUntil: r.locked_until,
        }
      : undefined;
  }

  async addAccount(name: string, passwordHash: string, at: Date): Promise<boolean> {
    const r = this.#db
      .prepare('INSERT OR IGNORE INTO admin_accounts (name, password_hash, created_at) VALUES (?, ?, ?)')
      .run(name, passwordHash, at.toISOString());
    return r.changes === 1;
  }

  async setPassword(name: string, passwordHash: string): Promise<void> {
    this.#db
      .prepare('UPDATE admin_accounts SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE name = ?')
      .run(passwordHash, name);
  }

  async countAccounts(): Promise<number> {
    return this.#db.prepare('SELECT count(*) FROM admin_accounts').pluck().get() as number;
  }

  async recordFailedLogin(name: string, lockAfter: number, lockUntil: Date): Promise<void> {
    this.#db
      .prepare(
        `UPDATE admin_accounts SET failed_logins = failed_logins + 1,
           locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END WHERE name = ?`,
      )
      .run(lockAfter, lockUntil.toISOString(), name);
  }

  async clearFailedLogins(name: string): Promise<void> {
    this.#db.prepare('UPDATE admin_accounts SET failed_logins = 0, locked_until = NULL WHERE name = ?').run(name);
  }

  async addSession(idHash: string, s: Session): Promise<void> {
    // Expired sessions and login links go when new sessions come: the tables stay as small as the live ones.
    this.#db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?').run(s.createdAt);
    this.#db.prepare('DELETE FROM admin_login_links WHERE expires_at <= ?').run(s.createdAt);
    this.#db
      .prepare(
        'INSERT INTO admin_sessions (id_hash, account, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(idHash, s.account, s.csrfToken, s.createdAt, s.expiresAt);
  }

  async findSession(idHash: string, now: Date): Promise<Session | undefined> {
    const r = this.#db
      .prepare<[string, string], { account: string; csrf_token: string; created_at: string; expires_at: string }>(
        'SELECT * FROM admin_sessions WHERE id_hash = ? AND expires_at > ?',
      )
      .get(idHash, now.toISOString());
    return r
      ? { account: r.account, csrfToken: r.csrf_token, createdAt: r.created_at, expiresAt: r.expires_at }
      : undefined;
  }

  async deleteSession(idHash: string): Promise<void> {
    this.#db.prepare('DELETE FROM admin_sessions WHERE id_hash = ?').run(idHash);
  }

  async deleteSessions(account: string): Promise<number> {
    return this.#db.prepare('DELETE FROM admin_sessions WHERE account = ?').run(account).changes;
  }

  async addToken(hash: string, account: string, label: string, at: Date): Promise<ApiToken> {
    const r = this.#db
      .prepare('INSERT INTO admin_tokens (hash, account, label, created_at) VALUES (?, ?, ?, ?)')
      .run(hash, account, label, at.toISOString());
    return { id: Number(r.lastInsertRowid), account, label, createdAt: at.toISOString(), lastUsedAt: null };
  }

  async useToken(hash: string, now: Date): Promise<ApiToken | undefined> {
    const r = this.#db.prepare<[string], TokenRow>('SELECT * FROM admin_tokens WHERE hash = ?').get(hash);
    if (!r) return undefined;
    this.#db.prepare('UPDATE admin_tokens SET last_used_at = ? WHERE id = ?').run(now.toISOString(), r.id);
    return toToken({ ...r, last_used_at: now.toISOString() });
  }

  async listTokens(account: string): Promise<ApiToken[]> {
    return this.#db
      .prepare<[string], TokenRow>('SELECT * FROM admin_tokens WHERE account = ? ORDER BY id')
      .all(account)
      .map(toToken);
  }

  async deleteToken(account: string, id: number): Promise<boolean> {
    return this.#db.prepare('DELETE FROM admin_tokens WHERE account = ? AND id = ?').run(account, id).changes === 1;
  }

  async addLoginLink(hash: string, account: string, expiresAt: Date): Promise<void> {
    this.#db
      .prepare('INSERT INTO admin_login_links (hash, account, expires_at) VALUES (?, ?, ?)')
      .run(hash, account, expiresAt.toISOString());
  }

  async takeLoginLink(hash: string, now: Date): Promise<string | undefined> {
    return this.#db.transaction(() => {
      const r = this.#db
        .prepare<[string, string], { account: string }>(
          'SELECT account FROM admin_login_links WHERE hash = ? AND expires_at > ?',
        )
        .get(hash, now.toISOString());
      this.#db.prepare('DELETE FROM admin_login_links WHERE hash = ?').run(hash);
      return r?.account;
    })();
  }

  async audit(e: Omit<AuditEntry, 'id'>): Promise<void> {
    this.#db
      .prepare('INSERT INTO admin_audit (at, actor, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        e.at,
        e.actor,
        e.action,
        e.target,
        e.before === undefined ? null : JSON.stringify(e.before),
        e.after === undefined ? null : JSON.stringify(e.after),
      );
  }

  async auditLog(options: { offset: number; limit: number; search?: string }): Promise<Page<AuditEntry>> {
    const like = `%${(options.search ?? '').replace(/[\\%_]/g, '\\$&')}%`;
    const where =
      "WHERE actor LIKE @like ESCAPE '\\' OR action LIKE @like ESCAPE '\\' OR target LIKE @like ESCAPE '\\'";
    const total = this.#db.prepare(`SELECT count(*) FROM admin_audit ${where}`).pluck().get({ like }) as number;
    const rows = this.#db
      .prepare<[{ like: string; limit: number; offset: number }], AuditRow>(
        `SELECT * FROM admin_audit ${where} ORDER BY id DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ like, limit: options.limit, offset: options.offset });
    const parse = (t: string | null) => (t === null ? null : JSON.parse(t));
    return { total, items: rows.map((r) => ({ ...r, before: parse(r.before), after: parse(r.after) })) };
  }

  async saveDiagnosis(d: StoredDiagnosis): Promise<void> {
    this.#db
      .prepare(
        'INSERT OR REPLACE INTO admin_diagnoses (id, created_at, account, request, reports) VALUES (?, ?, ?, ?, ?)',
      )
      .run(d.id, d.createdAt, d.account, JSON.stringify(d.request), JSON.stringify(d.reports));
  }

  async findDiagnosis(id: string): Promise<StoredDiagnosis | undefined> {
    const r = this.#db
      .prepare<[string], { id: string; created_at: string; account: string | null; request: string; reports: string }>(
        'SELECT * FROM admin_diagnoses WHERE id = ?',
      )
      .get(id);
    return r
      ? {
          id: r.id,
          createdAt: r.created_at,
          account: r.account,
          request: JSON.parse(r.request),
          reports: JSON.parse(r.reports),
        }
      : undefined;
  }

  async startRun(run: DiagnosisRun, limits: RunLimits): Promise<RunClaim> {
    const at = run.at.getTime();
    const iso = (ms: number) => new Date(ms).toISOString();
    // IMMEDIATE: the write lock is taken before counting, so two workers cannot both count the same free place.
    return this.#db
      .transaction((): RunClaim => {
        this.#db.prepare('DELETE FROM admin_runs WHERE started_at < ?').run(iso(at - RUN_KEEP_MS));
        const running = this.#db
          .prepare('SELECT count(*) FROM admin_runs WHERE finished_at IS NULL AND updated_at > ?')
          .pluck()
          .get(iso(at - limits.staleMs)) as number;
        if (running >= limits.maxRunning) return { ok: false, reason: 'busy', running };
        const recent = this.#db
          .prepare<[string, string], string>(
            'SELECT started_at FROM admin_runs WHERE requester_hash = ? AND started_at > ? ORDER BY started_at',
          )
          .pluck()
          .all(run.requesterHash, iso(at - limits.windowMs));
        if (recent.length >= limits.perRequester) {
          const frees = Date.parse(recent[recent.length - limits.perRequester] ?? iso(at)) + limits.windowMs;
          return { ok: false, reason: 'rate-limited', retryAfterS: Math.max(1, Math.ceil((frees - at) / 1000)) };
        }
        this.#db
          .prepare('INSERT INTO admin_runs (id, requester_hash, started_at, updated_at) VALUES (?, ?, ?, ?)')
          .run(run.id, run.requesterHash, iso(at), iso(at));
        return { ok: true };
      })
      .immediate();
  }

  async appendRunEvent(id: string, seq: number, event: unknown, at: Date): Promise<void> {
    this.#db
      .transaction(() => {
        this.#db
          .prepare('INSERT INTO admin_run_events (id, seq, event) VALUES (?, ?, ?)')
          .run(id, seq, JSON.stringify(event));
        this.#db.prepare('UPDATE admin_runs SET updated_at = ? WHERE id = ?').run(at.toISOString(), id);
      })
      .immediate();
  }

  async finishRun(id: string, at: Date): Promise<void> {
    this.#db
      .prepare('UPDATE admin_runs SET finished_at = ?, updated_at = ? WHERE id = ?')
      .run(at.toISOString(), at.toISOString(), id);
  }

  async runEvents(id: string, afterSeq: number): Promise<RunEvents | undefined> {
    const run = this.#db
      .prepare<[string], { updated_at: string; finished_at: string | null }>(
        'SELECT updated_at, finished_at FROM admin_runs WHERE id = ?',
      )
      .get(id);
    if (!run) return undefined;
    const events = this.#db
      .prepare<[string, number], { seq: number; event: string }>(
        'SELECT seq, event FROM admin_run_events WHERE id = ? AND seq > ? ORDER BY seq',
      )
      .all(id, afterSeq)
      .map((r) => ({ seq: r.seq, event: JSON.parse(r.event) as unknown }));
    return { finished: run.finished_at !== null, updatedAt: run.updated_at, events };
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
