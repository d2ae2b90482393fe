/**
 * What authentication and the audit log keep: accounts, sessions, API tokens, one-time login links, and the
 * audit log. The web layer sees only this interface, so a PostgreSQL implementation is one more class.
 * Secrets are stored hashed (secretHash); passwords as Argon2id hashes.
 */

export interface Account {
  name: string;
  passwordHash: string;
  createdAt: string;
  failedLogins: number;
  /** ISO time until which logins are refused after too many failures; null when not locked. */
  lockedUntil: string | null;
}

export interface Session {
  account: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

export interface ApiToken {
  id: number;
  account: string;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  /** Account name (or `token:<label>` of the account) that made the change; `cli` for the command line. */
  actor: string;
  action: string;
  /** What was changed: `domain example.com`, `user c***@example.com`, `account admin`. */
  target: string;
  before: unknown;
  after: unknown;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface AdminStore {
  findAccount(name: string): Promise<Account | undefined>;
  /** Creates the account; false when the name is taken. */
  addAccount(name: string, passwordHash: string, at: Date): Promise<boolean>;
  setPassword(name: string, passwordHash: string): Promise<void>;
  countAccounts(): Promise<number>;
  /** Counts a failed login; locks the account until `lockUntil` when it reaches `lockAfter` failures. */
  recordFailedLogin(name: string, lockAfter: number, lockUntil: Date): Promise<void>;
  clearFailedLogins(name: string): Promise<void>;

  addSession(idHash: string, session: Session): Promise<void>;
  /** The session, if it exists and has not expired at `now`. */
  findSession(idHash: string, now: Date): Promise<Session | undefined>;
  deleteSession(idHash: string): Promise<void>;
  /** Logout everywhere: every session of the account; returns how many. */
  deleteSessions(account: string): Promise<number>;

  addToken(hash: string, account: string, label: string, at: Date): Promise<ApiToken>;
  /** The token's account, and marks the token used at `now`. */
  useToken(hash: string, now: Date): Promise<ApiToken | undefined>;
  listTokens(account: string): Promise<ApiToken[]>;
  deleteToken(account: string, id: number): Promise<boolean>;

  addLoginLink(hash: string, account: string, expiresAt: Date): Promise<void>;
  /** The account of a valid link, and deletes it: a link works once. */
  takeLoginLink(hash: string, now: Date): Promise<string | undefined>;

  audit(entry: Omit<AuditEntry, 'id'>): Promise<void>;
  auditLog(options: { offset: number; limit: number; search?: string }): Promise<Page<AuditEntry>>;
  /** A finished diagnosis, kept for its permalink. */
  saveDiagnosis(d: StoredDiagnosis): Promise<void>;
  findDiagnosis(id: string): Promise<StoredDiagnosis | undefined>;

  /**
   * Claims a place for a new diagnosis under limits every worker and instance sharing the store obey: at most
   * `maxRunning` running at once (a run silent for `staleMs` no longer counts: its process died), at most
   * `perRequester` started by one requester per `windowMs`. Atomic: two workers cannot both take the last place.
   */
  startRun(run: DiagnosisRun, limits: RunLimits): Promise<RunClaim>;
  /** Records an event of a running diagnosis (`seq` counts from 1) and keeps the run alive. */
  appendRunEvent(id: string, seq: number, event: unknown, at: Date): Promise<void>;
  /** The run ended (its last event is written): it no longer counts as running. */
  finishRun(id: string, at: Date): Promise<void>;
  /** The run's state and its events after `afterSeq`, in order; undefined for an unknown (or swept) run. */
  runEvents(id: string, afterSeq: number): Promise<RunEvents | undefined>;
  close(): Promise<void>;
}

export interface DiagnosisRun {
  id: string;
  /** secretHash of the account or client address: the rate limit's key, never the address itself. */
  requesterHash: string;
  at: Date;
}

export interface RunLimits {
  maxRunning: number;
  perRequester: number;
  windowMs: number;
  staleMs: number;
}

export type RunClaim =
  | { ok: true }
  | { ok: false; reason: 'busy'; running: number }
  | { ok: false; reason: 'rate-limited'; retryAfterS: number };

export interface RunEvents {
  finished: boolean;
  /** When the run last wrote an event (or started): a follower gives up on a run silent for too long. */
  updatedAt: string;
  events: { seq: number; event: unknown }[];
}

/** Runs and their events are kept this long after they start (the stored diagnosis stays): then swept. */
export const RUN_KEEP_MS = 60 * 60_000;

export interface StoredDiagnosis {
  id: string;
  createdAt: string;
  account: string | null;
  request: unknown;
  reports: unknown[];
}
