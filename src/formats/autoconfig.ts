/**
 * Thunderbird autoconfig (`config-v1.1.xml`, docs/protocol.md §6.2): the renderer the server uses and the parser the
 * client and diagnosis use. Element and value names follow comm-central's readFromXML, which matches them
 * case-sensitively.
 */
import type { ResolvedExchange, ResolvedServer, ResolvedSettings } from '../settings/resolve.js';
import type { Authentication, Security } from '../settings/schema.js';
import { child, children, childText, el, parseXml, textEl, type XmlElement, type XmlNode, xmlDocument } from './xml.js';

export interface AutoconfigOptions {
  /** More domains served by the same provider (the domain's aliases); the answered domain always comes first. */
  domains?: readonly string[];
  /**
   * Also describe the Exchange services (EWS, OWA, EAS) as an `exchange` incoming server. Off by default: an
   * Exchange-looking answer sends Thunderbird's Account Hub down an Exchange-only path (docs/protocol.md §9.3).
   */
  includeExchange?: boolean;
}

const SOCKET_TYPES: Record<Security, 'SSL' | 'STARTTLS' | 'plain'> = {
  tls: 'SSL',
  starttls: 'STARTTLS',
  none: 'plain',
};

/** Our names are Thunderbird's, lower-cased; Thunderbird matches the exact spelling. */
const AUTH_NAMES: Record<Authentication, string> = {
  'password-cleartext': 'password-cleartext',
  'password-encrypted': 'password-encrypted',
  ntlm: 'NTLM',
  gssapi: 'GSSAPI',
  oauth2: 'OAuth2',
  'client-ip-address': 'client-IP-address',
  none: 'none',
};

function serverEl(tag: 'incomingServer' | 'outgoingServer', server: ResolvedServer): XmlNode {
  return el(
    tag,
    { type: server.protocol },
    textEl('hostname', server.host),
    textEl('port', server.port),
    textEl('socketType', SOCKET_TYPES[server.security]),
    textEl('authentication', AUTH_NAMES[server.authentication]),
    textEl('username', server.username),
  );
}

/** Exchange's AuthPackage in Thunderbird's vocabulary: Basic is a cleartext password, Kerberos is GSSAPI. */
function exchangeAuth(exchange: ResolvedExchange | undefined): string {
  switch (exchange?.authPackage) {
    case 'basic':
      return 'password-cleartext';
    case 'kerb':
      return 'GSSAPI';
    default:
      return 'NTLM';
  }
}

function exchangeEl(settings: ResolvedSettings): XmlNode | undefined {
  const ex = settings.exchange;
  const ews = ex?.ews?.external ?? ex?.ews?.internal;
  const owa = ex?.owa?.external ?? ex?.owa?.internal;
  const eas = settings.activeSyncUrl;
  const first = ews ?? eas ?? owa;
  if (first === undefined) return undefined;
  const url = new URL(first);
  return el(
    'incomingServer',
    { type: 'exchange' },
    textEl('hostname', url.hostname),
    textEl('port', url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : url.port),
    textEl('socketType', url.protocol === 'https:' ? 'SSL' : 'plain'),
    textEl('authentication', exchangeAuth(ex)),
    textEl('username', settings.email ?? '%EMAILADDRESS%'),
    textEl('owaURL', owa),
    textEl('ewsURL', ews),
    textEl('easURL', eas),
  );
}

function domainList(settings: ResolvedSettings, extra: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const d of [settings.domain, ...extra]) {
    const key = d.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** The `clientConfig` document for `settings`. Incoming servers keep IMAP before POP3: Thunderbird takes the first. */
export function renderAutoconfig(settings: ResolvedSettings, options: AutoconfigOptions = {}): string {
  const incoming = settings.servers.filter((s) => s.protocol !== 'smtp').map((s) => serverEl('incomingServer', s));
  const outgoing = settings.servers.filter((s) => s.protocol === 'smtp').map((s) => serverEl('outgoingServer', s));
  const documentation =
    settings.documentationUrl === undefined
      ? undefined
      : el(
          'documentation',
          { url: settings.documentationUrl },
          el('descr', { lang: 'en' }, `How to set up mail for ${settings.providerName}`),
        );
  const provider = el(
    'emailProvider',
    { id: settings.domain },
    ...domainList(settings, options.domains ?? []).map((d) => textEl('domain', d)),
    textEl('displayName', settings.providerName),
    textEl('displayShortName', settings.shortName),
    ...incoming,
    options.includeExchange ? exchangeEl(settings) : undefined,
    ...outgoing,
    documentation,
  );
  return xmlDocument(el('clientConfig', { version: '1.1' }, provider));
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

export interface AutoconfigServer {
  /** `imap`, `pop3`, `smtp`, `exchange`, … as written. */
  type: string;
  hostname: string | undefined;
  port: number | undefined;
  /** The first socketType Thunderbird understands, in our vocabulary. */
  security: Security | undefined;
  /** Every authentication value in order, in our vocabulary where Thunderbird knows it, else as written. */
  authentication: string[];
  /** As written: may hold %EMAILADDRESS%, %EMAILLOCALPART% or %EMAILDOMAIN%. */
  username: string | undefined;
  /** Exchange servers only. */
  owaUrl?: string;
  ewsUrl?: string;
  easUrl?: string;
}

export interface ParsedAutoconfig {
  version: string | undefined;
  id: string;
  domains: string[];
  displayName: string | undefined;
  displayShortName: string | undefined;
  incoming: AutoconfigServer[];
  outgoing: AutoconfigServer[];
  documentationUrl: string | undefined;
  /** What Thunderbird would ignore or refuse, one sentence each, for the diagnosis. */
  problems: string[];
}

/** The document is XML but not a Thunderbird client configuration. */
export class AutoconfigRejected extends Error {
  override name = 'AutoconfigRejected';
}

const SECURITY_BY_SOCKET: Record<string, Security> = { SSL: 'tls', STARTTLS: 'starttls', plain: 'none' };

/** Thunderbird's spellings (with its deprecated aliases) mapped to ours. */
const AUTH_BY_NAME: Record<string, Authentication> = {
  'password-cleartext': 'password-cleartext',
  plain: 'password-cleartext',
  'password-encrypted': 'password-encrypted',
  secure: 'password-encrypted',
  NTLM: 'ntlm',
  GSSAPI: 'gssapi',
  OAuth2: 'oauth2',
  'client-IP-address': 'client-ip-address',
  none: 'none',
};

function parsePort(text: string | undefined, where: string, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (port >= 1 && port <= 65535) return port;
  problems.push(`${where}: port "${text}" is not a number from 1 to 65535`);
  return undefined;
}

function parseServer(node: XmlElement, where: string, problems: string[]): AutoconfigServer {
  const type = node.attributes['type'] ?? '';
  if (type === '') problems.push(`${where}: the type attribute is missing`);
  const hostname = childText(node, 'hostname');
  if (!hostname) problems.push(`${where}: hostname is missing`);

  let security: Security | undefined;
  for (const s of children(node, 'socketType')) {
    const value = s.text.trim();
    security = SECURITY_BY_SOCKET[value];
    if (security) break;
    problems.push(`${where}: socketType "${value}" is not one Thunderbird knows (SSL, STARTTLS or plain)`);
  }
  if (!security && children(node, 'socketType').length === 0) problems.push(`${where}: socketType is missing`);

  const authentication = children(node, 'authentication').map((a) => {
    const value = a.text.trim();
    const known = AUTH_BY_NAME[value];
    if (known === undefined) problems.push(`${where}: authentication "${value}" is not one Thunderbird knows`);
    return known ?? value;
  });

  const server: AutoconfigServer = {
    type,
    hostname: hostname || undefined,
    port: parsePort(childText(node, 'port'), where, problems),
    security,
    authentication,
    username: childText(node, 'username'),
  };
  if (type === 'exchange') {
    const owa = childText(node, 'owaURL');
    const ews = childText(node, 'ewsURL');
    const eas = childText(node, 'easURL');
    if (owa) server.owaUrl = owa;
    if (ews) server.ewsUrl = ews;
    if (eas) server.easUrl = eas;
  }
  return server;
}

/**
 * Reads a `config-v1.1.xml` document. Throws XmlRejected (from parseXml) for a DTD or malformed XML and
 * AutoconfigRejected when the root is not `clientConfig` or it has no `emailProvider`. Problems a client would
 * trip over further down are listed in `problems` rather than thrown, so a diagnosis can show them all.
 */
export function parseAutoconfig(xml: string): ParsedAutoconfig {
  const root = parseXml(xml);
  if (root.name !== 'clientConfig') {
    throw new AutoconfigRejected(`the document is <${root.name}>, not a Thunderbird <clientConfig>`);
  }
  const provider = child(root, 'emailProvider');
  if (!provider) throw new AutoconfigRejected('<clientConfig> has no <emailProvider>');

  const problems: string[] = [];
  const id = provider.attributes['id'] ?? '';
  if (id === '') problems.push('emailProvider: the id attribute is missing');
  const domains = children(provider, 'domain').map((d) => d.text.trim());
  if (domains.length === 0) problems.push('emailProvider: no <domain> is listed (Thunderbird refuses the file)');

  const incoming = children(provider, 'incomingServer').map((n, i) => parseServer(n, `incomingServer[${i}]`, problems));
  const outgoing = children(provider, 'outgoingServer').map((n, i) => parseServer(n, `outgoingServer[${i}]`, problems));
  if (incoming.length === 0) problems.push('emailProvider: no <incomingServer> (Thunderbird refuses the file)');
  if (outgoing.length === 0) problems.push('emailProvider: no <outgoingServer> (Thunderbird refuses the file)');
  outgoing.forEach((s, i) => {
    if (s.type !== 'smtp') problems.push(`outgoingServer[${i}]: type "${s.type}" is not smtp`);
  });

  return {
    version: root.attributes['version'],
    id,
    domains,
    displayName: childText(provider, 'displayName'),
    displayShortName: childText(provider, 'displayShortName'),
    incoming,
    outgoing,
    documentationUrl: child(provider, 'documentation')?.attributes['url'],
    problems,
  };
}
