import { type Answer, resolveAnswer, splitAddress } from '../settings/resolve.js';
import { checkEmailAddress, checkHostName, type DomainSettings, type UserRecord } from '../settings/schema.js';
import type { SettingsStore } from '../store/store.js';

/**
 * `Chris@Contoso.TEST` → `chris@contoso.test`; undefined when it cannot be an address. The domain is checked as
 * the configuration checks it: `x@example.test/evil` is not an address (it used to be read as x@example.test).
 */
export function normalizeAddress(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const value = raw.trim();
  if (value.length > 320) return undefined;
  const checked = checkEmailAddress(value);
  return 'email' in checked ? checked.email : undefined;
}

/** What a lookup found: the answer, and the records it was decided from (for compiled answers). */
export interface Lookup {
  answer: Answer;
  /** The address answered for. */
  email: string;
  domain?: DomainSettings;
  user?: UserRecord;
}

/** The answer for one address: the domain (by name or alias) and the user's row, decided by resolveAnswer. */
export async function lookupAddress(store: SettingsStore, email: string): Promise<Lookup> {
  const domain = await store.findDomain(splitAddress(email).domain);
  if (!domain) return { answer: { kind: 'not-found', reason: 'unknown-domain' }, email };
  const user = await store.findUser(email);
  return { answer: resolveAnswer(domain, user, email), email, domain, ...(user ? { user } : {}) };
}

/** The answer for a user row already read (a LegacyDN request): the row is not read a second time. */
export async function lookupUser(store: SettingsStore, user: UserRecord): Promise<Lookup> {
  const domain = await store.findDomain(splitAddress(user.email).domain);
  if (!domain) return { answer: { kind: 'not-found', reason: 'unknown-domain' }, email: user.email, user };
  return { answer: resolveAnswer(domain, user, user.email), email: user.email, domain, user };
}

export async function answerForAddress(store: SettingsStore, email: string): Promise<Answer> {
  return (await lookupAddress(store, email)).answer;
}

/**
 * Autoconfig and Apple profiles cannot express a redirect, so a move to an address this server also serves is
 * followed here (a few hops at most); a move elsewhere is "not found" for these formats.
 */
export async function lookupFollowingMoves(store: SettingsStore, email: string, maxHops = 5): Promise<Lookup> {
  let found = await lookupAddress(store, email);
  for (let hop = 0; hop < maxHops && found.answer.kind === 'redirectAddr'; hop++) {
    found = await lookupAddress(store, found.answer.address);
  }
  return found;
}

export async function answerFollowingMoves(store: SettingsStore, email: string, maxHops = 5): Promise<Answer> {
  return (await lookupFollowingMoves(store, email, maxHops)).answer;
}

/** The host name of a Host header, in ASCII without port or trailing dot; '' when it is not a host name. */
export function hostFromHeader(hostHeader: string | undefined): string {
  if (!hostHeader || hostHeader.startsWith('[')) return '';
  const checked = checkHostName(hostHeader.replace(/:\d+$/, ''));
  return 'ascii' in checked ? checked.ascii : '';
}

/** The domain named by a Host header: `autoconfig.example.com:443` → example.com's settings. */
export async function domainFromHost(
  store: SettingsStore,
  hostHeader: string | undefined,
  prefixes: readonly string[],
): Promise<DomainSettings | undefined> {
  const host = hostFromHeader(hostHeader);
  if (!host) return undefined;
  for (const prefix of prefixes) {
    if (host.startsWith(prefix)) {
      const found = await store.findDomain(host.slice(prefix.length));
      if (found) return found;
    }
  }
  return store.findDomain(host);
}
