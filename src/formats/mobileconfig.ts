/**
 * Apple configuration profile (`.mobileconfig`, docs/protocol.md §7) for one address: an XML property list with a
 * `com.apple.mail.managed` payload and, when the domain asks for it, a `com.apple.eas.account` payload.
 * Identifiers and UUIDs are derived from the address, so installing a newer profile replaces the old one
 * (docs/protocol.md §7.1) and the same settings always give the same bytes. Never carries a password.
 */
import { createHash } from 'node:crypto';
import type { ResolvedServer, ResolvedSettings } from '../settings/resolve.js';
import type { Authentication } from '../settings/schema.js';
import { el, type XmlNode } from './xml.js';

export interface MobileconfigOptions {
  /**
   * Accepted for callers that pass a clock, but unused: nothing in the profile depends on the time, so the
   * output stays byte-stable (ETags, cached signatures). The signing time lives in the CMS signature.
   */
  now?: Date;
}

type PlistValue = string | number | boolean | readonly PlistValue[] | PlistDict;
interface PlistDict {
  readonly [key: string]: PlistValue | undefined;
}

function plist(value: PlistValue): XmlNode {
  if (typeof value === 'string') return el('string', {}, value);
  if (typeof value === 'boolean') return el(value ? 'true' : 'false');
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`plist integer expected, got ${value}`);
    return el('integer', {}, String(value));
  }
  if (Array.isArray(value)) return el('array', {}, ...value.map(plist));
  const entries = Object.entries(value as PlistDict).filter((e): e is [string, PlistValue] => e[1] !== undefined);
  return el('dict', {}, ...entries.flatMap(([key, v]) => [el('key', {}, key), plist(v)]));
}

const PLIST_HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

/** Namespace of our name-based UUIDs (fixed forever: changing it would duplicate every installed profile). */
const UUID_NAMESPACE = 'a6398fe0-e33c-4ebf-ac35-b08f6710e2c5';

/**
 * RFC 9562 §5.5 version 5 (SHA-1, name-based) UUID of `name` in `namespace` (a UUID in its text form), upper-case
 * as Apple's tools write them.
 */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  if (ns.length !== 16) throw new TypeError(`namespace "${namespace}": expected a UUID`);
  const b = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The version 5 UUID of `name` in autodisco's own namespace: the same address always gives the same UUID. */
export function nameBasedUuid(name: string): string {
  return uuidV5(UUID_NAMESPACE, name);
}

/** `com.example.autodisco.mail.<16 hex of sha256(address)>`: one profile per address, replaced on re-install. */
export function profileIdentifier(domain: string, email: string): string {
  const digest = createHash('sha256').update(email.toLowerCase(), 'utf8').digest('hex').slice(0, 16);
  return `${domain.toLowerCase().split('.').reverse().join('.')}.autodisco.mail.${digest}`;
}

/**
 * Apple's set has no GSSAPI or OAuth2 (OAuth only for providers Apple knows): those fall back to a password
 * prompt, the one thing the device can do. SMTP allowed by client IP needs no authentication.
 */
const APPLE_AUTH: Record<Authentication, string> = {
  'password-cleartext': 'EmailAuthPassword',
  'password-encrypted': 'EmailAuthCRAMMD5',
  ntlm: 'EmailAuthNTLM',
  gssapi: 'EmailAuthPassword',
  oauth2: 'EmailAuthPassword',
  'client-ip-address': 'EmailAuthNone',
  none: 'EmailAuthNone',
};

/**
 * `…UseSSL` is true for STARTTLS too. Apple has no separate STARTTLS switch: with SSL on, Mail uses implicit
 * TLS on the implicit-TLS ports (993, 995, 465) and upgrades with STARTTLS on the others, which is how
 * mailcow and the other generators publish port 587. With it off, Mail would log in without TLS, which a
 * STARTTLS-only server refuses (or, worse, accepts).
 */
function useSsl(server: ResolvedServer): boolean {
  return server.security !== 'none';
}

function mailPayload(settings: ResolvedSettings, email: string, id: string): PlistDict | undefined {
  const incoming =
    settings.servers.find((s) => s.protocol === 'imap') ?? settings.servers.find((s) => s.protocol === 'pop3');
  const outgoing = settings.servers.find((s) => s.protocol === 'smtp');
  // Both host names are required keys: without them the profile would not install.
  if (!incoming || !outgoing) return undefined;
  return {
    PayloadType: 'com.apple.mail.managed',
    PayloadVersion: 1,
    PayloadIdentifier: `${id}.email`,
    PayloadUUID: nameBasedUuid(`${email.toLowerCase()}#mail`),
    PayloadDisplayName: `${settings.providerName} mail`,
    EmailAccountDescription: settings.providerName,
    EmailAccountName: settings.displayName,
    EmailAccountType: incoming.protocol === 'imap' ? 'EmailTypeIMAP' : 'EmailTypePOP',
    EmailAddress: email,
    IncomingMailServerHostName: incoming.host,
    IncomingMailServerPortNumber: incoming.port,
    IncomingMailServerUseSSL: useSsl(incoming),
    IncomingMailServerAuthentication: APPLE_AUTH[incoming.authentication],
    IncomingMailServerUsername: incoming.username,
    OutgoingMailServerHostName: outgoing.host,
    OutgoingMailServerPortNumber: outgoing.port,
    OutgoingMailServerUseSSL: useSsl(outgoing),
    OutgoingMailServerAuthentication: APPLE_AUTH[outgoing.authentication],
    OutgoingMailServerUsername: outgoing.username,
    OutgoingPasswordSameAsIncomingPassword: true,
  };
}

function easPayload(settings: ResolvedSettings, email: string, id: string): PlistDict | undefined {
  if (!settings.mobileconfig.activeSync || settings.activeSyncUrl === undefined) return undefined;
  const url = new URL(settings.activeSyncUrl);
  const login = settings.servers.find((s) => s.protocol !== 'smtp')?.username ?? email;
  return {
    PayloadType: 'com.apple.eas.account',
    PayloadVersion: 1,
    PayloadIdentifier: `${id}.eas`,
    PayloadUUID: nameBasedUuid(`${email.toLowerCase()}#eas`),
    PayloadDisplayName: 'Exchange ActiveSync',
    // Apple documents Host as a host name; `url.host` carries a port only when it is not 443/80 (unconfirmed
    // that iOS honours it there, but dropping it would surely be wrong).
    Host: url.host,
    SSL: url.protocol === 'https:',
    EmailAddress: email,
    UserName: login,
  };
}

/** The unsigned profile for `settings.email`. Throws a TypeError for a domain-wide answer or nothing to set up. */
export function renderMobileconfig(settings: ResolvedSettings, _options: MobileconfigOptions = {}): string {
  const email = settings.email;
  if (email === undefined) throw new TypeError('a .mobileconfig is made for one address: settings.email is missing');
  const id = profileIdentifier(settings.domain, email);
  const content = [mailPayload(settings, email, id), easPayload(settings, email, id)].filter(
    (p): p is PlistDict => p !== undefined,
  );
  if (content.length === 0) {
    throw new TypeError(
      `nothing to put in a profile for ${settings.domain}: it needs IMAP or POP3 plus SMTP, or ActiveSync`,
    );
  }
  const profile: PlistDict = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: id,
    PayloadUUID: nameBasedUuid(`${email.toLowerCase()}#profile`),
    PayloadDisplayName: settings.providerName,
    PayloadDescription: `Sets up ${email} in Mail.`,
    PayloadOrganization: settings.mobileconfig.organization,
    PayloadRemovalDisallowed: false,
    PayloadContent: content,
  };
  return `${PLIST_HEADER}${el('plist', { version: '1.0' }, plist(profile)).xml}\n`;
}
