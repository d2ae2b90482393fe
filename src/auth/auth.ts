/**
 * Authentication as the web layer uses it, independent of HTTP: logins with rate limit and lockout, sessions
 * with their CSRF token, API tokens, one-time login links, and who is asking.
 */
import type { AdminStore, Session } from './admin-store.js';
import { verifyPassword } from './password.js';
import { RateLimiter } from './rate-limit.js';
import { newSecret, sameSecret, secretHash, TOKEN_PREFIX } from './secrets.js';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Failed logins in a row that lock an account, and for how long. */
export const LOCK_AFTER = 5;
export const LOCK_MS = 15 * 60 * 1000;
/** Login attempts per client address per window, whatever the account. */
export const LOGIN_ATTEMPTS_PER_WINDOW = 10;
export const LOGIN_WINDOW_MS = 5 * 60 * 1000;
export const LOGIN_LINK_TTL_MS = 15 * 60 * 1000;

/** Who made a request: the account, and how it proved it. */
export interface Principal {
  account: string;
  via: 'session' | 'token';
  /** The session's CSRF token (sessions only). */
  csrfToken?: string;
  /** For the audit log: `admin`, or `admin (token "deploy")`. */
  actor: string;
}

export type LoginResult =
  | { ok: true; sessionId: string; session: Session }
  | { ok: false; reason: 'invalid' | 'locked' | 'rate-limited'; retryAfterS?: number };

export class Auth {
  readonly #perClient: RateLimiter;

  constructor(
    readonly store: AdminStore,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#perClient = new RateLimiter(LOGIN_ATTEMPTS_PER_WINDOW, LOGIN_WINDOW_MS, () => this.now().getTime());
  }

  /**
   * Checks a password. Unknown names and wrong passwords get the same answer after the same work; a locked
   * account says so (the lockout is no secret to the one being locked out, and it tells an admin what happened).
   */
  async login(name: string, password: string, client: string): Promise<LoginResult> {
    const wait = this.#perClient.hit(client);
    if (wait > 0) return { ok: false, reason: 'rate-limited', retryAfterS: wait };
    const now = this.now();
    const account = await this.store.findAccount(name);
    if (account?.lockedUntil && Date.parse(account.lockedUntil) > now.getTime()) {
      return {
        ok: false,
        reason: 'locked',
        retryAfterS: Math.ceil((Date.parse(account.lockedUntil) - now.getTime()) / 1000),
      };
    }
    const good = await verifyPassword(account?.passwordHash, password);
    if (!account || !good) {
      if (account) await this.store.recordFailedLogin(account.name, LOCK_AFTER, new Date(now.getTime() + LOCK_MS));
      return { ok: false, reason: 'invalid' };
    }
    await this.store.clearFailedLogins(account.name);
    return this.startSession(account.name);
  }

  async startSession(account: string): Promise<LoginResult & { ok: true }> {
    const now = this.now();
    const sessionId = newSecret();
    const session: Session = {
      account,
      csrfToken: newSecret(),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    };
    await this.store.addSession(secretHash(sessionId), session);
    return { ok: true, sessionId, session };
  }

  async fromSession(sessionId: string): Promise<Principal | undefined> {
    const session = await this.store.findSession(secretHash(sessionId), this.now());
    if (!session) return undefined;
    return { account: session.account, via: 'session', csrfToken: session.csrfToken, actor: session.account };
  }

  async fromToken(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const found = await this.store.useToken(secretHash(token), this.now());
    if (!found) return undefined;
    return { account: found.account, via: 'token', actor: `${found.account} (token "${found.label}")` };
  }

  /** Whether the CSRF token sent with a state-changing request is the session's. */
  csrfMatches(principal: Principal, sent: string | undefined): boolean {
    return principal.via === 'token' || (sent !== undefined && sameSecret(sent, principal.csrfToken ?? ''));
  }

  logout(sessionId: string): Promise<void> {
    return this.store.deleteSession(secretHash(sessionId));
  }

  logoutEverywhere(account: string): Promise<number> {
    return this.store.deleteSessions(account);
  }

  /** A new API token: the secret is returned here, once; only its hash is kept. */
  async createToken(account: string, label: string): Promise<{ token: string; id: number }> {
    const token = newSecret(TOKEN_PREFIX);
    const stored = await this.store.addToken(secretHash(token), account, label, this.now());
    return { token, id: stored.id };
  }

  /** A login link's secret (for `npm start`'s development admin): valid once, for LOGIN_LINK_TTL_MS. */
  async createLoginLink(account: string): Promise<string> {
    const secret = newSecret();
    await this.store.addLoginLink(secretHash(secret), account, new Date(this.now().getTime() + LOGIN_LINK_TTL_MS));
    return secret;
  }

  async redeemLoginLink(secret: string): Promise<(LoginResult & { ok: true }) | undefined> {
    const account = await this.store.takeLoginLink(secretHash(secret), this.now());
    return account ? this.startSession(account) : undefined;
  }
}
