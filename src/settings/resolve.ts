/**
 * From stored records to the answer for one address. Pure: the server looks the records up, this decides,
 * and the format codecs render the result.
 */
import type { Authentication, DomainSettings, ExchangeSettings, Security, UserRecord } from './schema.js';

export type ServerProtocol = 'imap' | 'pop3' | 'smtp';

export interface ResolvedServer {
  protocol: ServerProtocol;
  host: string;
  port: number;
  security: Security;
  authentication: Authentication;
  /** Concrete login name when the address is known; otherwise the pattern with its placeholders. */
  username: string;
}

export interface ResolvedExchange extends ExchangeSettings {
  /** Exchange mailbox GUID of the user, when stored. */
  mailboxId?: string;
  /**
   * The mailbox server's host name (the user's mailboxServer, else the domain's server), kept apart from `server`,
   * which becomes `<mailboxId>@<domain>` for Exchange 2013+ clients (SOAP InternalMailboxServer wants the host).
   */
  mailboxHost?: string;
}

export interface ResolvedSettings {
  /** The address answered for; undefined for a domain-wide answer (autoconfig without emailaddress). */
  email: string | undefined;
  domain: string;
  providerName: string;
  shortName: string;
  displayName?: string;
  legacyDN?: string;
  ttl: number;
  servers: ResolvedServer[];
  activeSyncUrl?: string;
  exchange?: ResolvedExchange;
  autodiscoverHost: string;
  documentationUrl?: string;
  mobileconfig: { organization?: string; activeSync: boolean };
}

export type Answer =
  | { kind: 'settings'; settings: ResolvedSettings }
  | { kind: 'redirectAddr'; address: string }
  | { kind: 'redirectUrl'; url: string }
  | { kind: 'not-found'; reason: 'unknown-domain' | 'unknown-user' };

const DEFAULT_PORTS: Record<ServerProtocol, Record<Security, number>> = {
  imap: { tls: 993, starttls: 143, none: 143 },
  pop3: { tls: 995, starttls: 110, none: 110 },
  smtp: { tls: 465, starttls: 587, none: 25 },
};

export function defaultPort(protocol: ServerProtocol, security: Security): number {
  return DEFAULT_PORTS[protocol][security];
}

export function splitAddress(email: string): { local: string; domain: string } {
  const at = email.lastIndexOf('@');
  return { local: email.slice(0, at), domain: email.slice(at + 1) };
}

/**
 * Replaces %EMAILADDRESS%, %EMAILLOCALPART% (before the last `@`) and %EMAILDOMAIN% (after it), as Thunderbird's
 * replaceVariables does: in one pass, so a `%` inside the address is never taken for a placeholder.
 */
export function expandPlaceholders(pattern: string, email: string): string {
  if (!pattern.includes('%')) return pattern;
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  const domain = at < 0 ? '' : email.slice(at + 1);
  return pattern.replace(/%EMAILADDRESS%|%EMAILLOCALPART%|%EMAILDOMAIN%/g, (m) =>
    m === '%EMAILADDRESS%' ? email : m === '%EMAILLOCALPART%' ? local : domain,
  );
}

function resolveServers(domain: DomainSettings, email: string | undefined, user: UserRecord | undefined) {
  const servers: ResolvedServer[] = [];
  for (const protocol of ['imap', 'pop3', 'smtp'] as const) {
    const s = domain[protocol];
    if (!s) continue;
    let username = s.username;
    if (user?.loginName) username = user.loginName;
    else if (email) username = expandPlaceholders(s.username, email);
    servers.push({
      protocol,
      // A user on another mailbox server keeps the domain's SMTP submission host.
      host: protocol !== 'smtp' && user?.mailboxServer ? user.mailboxServer : s.host,
      port: s.port ?? defaultPort(protocol, s.security),
      security: s.security,
      authentication: s.authentication,
      username,
    });
  }
  return servers;
}

function resolveExchange(domain: DomainSettings, user: UserRecord | undefined): ResolvedExchange | undefined {
  if (!domain.exchange) return undefined;
  const exchange: ResolvedExchange = { ...domain.exchange, mailboxHost: user?.mailboxServer ?? domain.exchange.server };
  if (user?.mailboxId) {
    exchange.mailboxId = user.mailboxId;
    exchange.server = `${user.mailboxId}@${domain.name}`;
  } else if (user?.mailboxServer) {
    exchange.server = user.mailboxServer;
  }
  return exchange;
}

/**
 * The answer for `email` (or for the whole domain when `email` is undefined).
 * `user` is the stored row for that address, if any.
 */
export function resolveAnswer(
  domain: DomainSettings | undefined,
  user: UserRecord | undefined,
  email: string | undefined,
): Answer {
  if (!domain) return { kind: 'not-found', reason: 'unknown-domain' };
  if (user?.redirectAddr) return { kind: 'redirectAddr', address: user.redirectAddr };
  if (user?.redirectUrl) return { kind: 'redirectUrl', url: user.redirectUrl };
  if (domain.redirect) {
    if ('url' in domain.redirect) return { kind: 'redirectUrl', url: domain.redirect.url };
    if (email) return { kind: 'redirectAddr', address: `${splitAddress(email).local}@${domain.redirect.domain}` };
  }
  if (email && !user && domain.unknownUsers === 'not-found') return { kind: 'not-found', reason: 'unknown-user' };

  const settings: ResolvedSettings = {
    email,
    domain: domain.name,
    providerName: domain.displayName ?? domain.name,
    shortName: domain.shortName ?? domain.displayName ?? domain.name,
    ttl: domain.ttl,
    servers: resolveServers(domain, email, user),
    autodiscoverHost: domain.autodiscoverHost ?? `autodiscover.${domain.name}`,
    mobileconfig: { activeSync: domain.mobileconfig?.activeSync ?? false },
  };
  if (domain.mobileconfig?.organization) settings.mobileconfig.organization = domain.mobileconfig.organization;
  if (user?.displayName) settings.displayName = user.displayName;
  if (user?.legacyDN) settings.legacyDN = user.legacyDN;
  if (domain.activeSync) settings.activeSyncUrl = domain.activeSync.url;
  if (domain.documentationUrl) settings.documentationUrl = domain.documentationUrl;
  const exchange = resolveExchange(domain, user);
  if (exchange) settings.exchange = exchange;
  return { kind: 'settings', settings };
}
