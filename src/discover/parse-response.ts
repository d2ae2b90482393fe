/**
 * Reads an Autodiscover POX answer (docs/protocol.md §3.3–3.6) the way a client does, into the shapes the discovery
 * report uses (docs/discover-contract.md: "one entry per <Protocol> (or mobilesync <Server>), keys are the
 * lower-camel-case form of the element names").
 *
 * The body comes from a server we do not trust, so this never throws: anything that is not a usable answer is
 * `{ kind: 'invalid', reason }`, and whatever was cut short or ignored on the way (too many protocols, too long
 * strings, values that are not what the element allows) is listed in `warnings`. Element names never become
 * prototype keys: every key is checked against Object.prototype's names and defined with Object.defineProperty.
 */
import { NS, sameNamespace } from '../formats/pox/namespaces.js';
import { child, children, parseXml, type XmlElement, XmlRejected } from '../formats/xml.js';
import type { ProtocolSettings } from './report.js';

export type ResponseSchema = 'outlook' | 'mobilesync';

export interface ResponseUser {
  displayName: string | null;
  legacyDN: string | null;
  /** Outlook's `AutoDiscoverSMTPAddress`; for mobilesync, `User/EMailAddress`. */
  autoDiscoverSMTPAddress: string | null;
}

/** Present on every kind when there is something to say. */
export interface ParseNotes {
  /** Set when the namespaces are not spelled exactly as Exchange and the specifications do (https://, say). */
  namespaceWarning?: string;
  /** What was cut short or ignored (caps on untrusted input, values an element does not allow). */
  warnings?: string[];
}

export type ParsedResponse =
  | ({ kind: 'settings'; user: ResponseUser; protocols: ProtocolSettings[] } & ParseNotes)
  | ({ kind: 'redirectAddr'; address: string } & ParseNotes)
  | ({ kind: 'redirectUrl'; url: string } & ParseNotes)
  | ({
      kind: 'error';
      /** `ErrorCode` ("500", "600", …); for a mobilesync `Action/Error` without one, its `Status`; else "". */
      code: string;
      message: string;
      /** The mobilesync `Action/Error/Status` ("2": protocol error), when there is one. */
      status?: string;
    } & ParseNotes)
  | ({ kind: 'invalid'; reason: string } & ParseNotes);

/** Limits on untrusted input. */
export const RESPONSE_LIMITS = {
  /** Longer bodies are not read at all (a real answer is a few kilobytes). */
  maxBodyChars: 1_000_000,
  /** `<Protocol>` (or mobilesync `<Server>`) elements read; the rest are ignored with a warning. */
  maxProtocols: 64,
  /** Longer string values are cut to this length with a warning; a longer redirect target is invalid. */
  maxStringChars: 2048,
  /** Keys per protocol (or nested object); further elements are ignored with a warning. */
  maxKeys: 64,
  /** Longer element names are ignored with a warning. */
  maxNameChars: 64,
  /** Warnings kept; the last one says how many more there were. */
  maxWarnings: 20,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

class Notes {
  readonly warnings: string[] = [];
  private dropped = 0;
  namespaceWarning: string | undefined;

  warn(message: string): void {
    if (this.warnings.length < RESPONSE_LIMITS.maxWarnings) this.warnings.push(message);
    else this.dropped++;
  }

  /** The optional fields of the result, present only when there is something in them. */
  fields(): ParseNotes {
    const out: ParseNotes = {};
    if (this.namespaceWarning !== undefined) out.namespaceWarning = this.namespaceWarning;
    if (this.warnings.length > 0) {
      out.warnings = this.dropped > 0 ? [...this.warnings, `… and ${this.dropped} more warnings`] : [...this.warnings];
    }
    return out;
  }
}

/** Keys that must never be set on a plain object, whatever the document says. */
function isUnsafeKey(key: string): boolean {
  return key === '__proto__' || key === 'prototype' || key in Object.prototype;
}

/** Defines an own, enumerable data property: never the `__proto__` setter, never an accessor. */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function hasKey(target: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(target, key);
}

function attribute(node: XmlElement, name: string): string | undefined {
  return Object.hasOwn(node.attributes, name) ? node.attributes[name] : undefined;
}

/**
 * Lower camel case of an element name: the leading capitals are lowered, except the last one when a lower-case
 * letter follows it (`ASUrl` → `asUrl`, `OABUrl` → `oabUrl`, `SSL` → `ssl`, `ServerDN` → `serverDN`,
 * `SMTPLast` → `smtpLast`, `EcpUrl-um` → `ecpUrl-um`).
 */
export function lowerCamel(name: string): string {
  const lead = /^[A-Z]+/.exec(name)?.[0] ?? '';
  if (lead.length === 0) return name;
  if (lead.length === name.length) return name.toLowerCase();
  if (lead.length === 1) return name.charAt(0).toLowerCase() + name.slice(1);
  const next = name.charAt(lead.length);
  const keep = /[a-z]/.test(next) ? lead.length - 1 : lead.length;
  return name.slice(0, keep).toLowerCase() + name.slice(keep);
}

/** Names the generic rule gets wrong. */
const KEY_OVERRIDES: Readonly<Record<string, string>> = {
  IPv4Start: 'ipv4Start',
  IPv4End: 'ipv4End',
  IPv6Start: 'ipv6Start',
  IPv6End: 'ipv6End',
};

function keyFor(name: string): string {
  return Object.hasOwn(KEY_OVERRIDES, name) ? (KEY_OVERRIDES[name] as string) : lowerCamel(name);
}

function cap(value: string, where: string, notes: Notes): string {
  if (value.length <= RESPONSE_LIMITS.maxStringChars) return value;
  notes.warn(`${where} is ${value.length} characters long; only the first ${RESPONSE_LIMITS.maxStringChars} are kept`);
  return value.slice(0, RESPONSE_LIMITS.maxStringChars);
}

/** A name quoted in a message, cut short so a hostile name cannot flood it. */
function quote(text: string, max = 64): string {
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return `"${shown}"`;
}

function textOf(node: XmlElement | undefined, where: string, notes: Notes): string | null {
  if (node === undefined) return null;
  const text = node.text.trim();
  return text === '' ? null : cap(text, where, notes);
}

// ---------------------------------------------------------------------------------------------------------------
// Values

const BOOLEAN_ELEMENTS = new Set([
  'SSL',
  'SPA',
  'AuthRequired',
  'DomainRequired',
  'UsePOPAuth',
  'SMTPLast',
  'ServerExclusiveConnect',
]);

/** Upper bound of each numeric element (ports are ports; TTL is hours). */
const NUMBER_ELEMENTS: Readonly<Record<string, number>> = {
  Port: 65535,
  DirectoryPort: 65535,
  ReferralPort: 65535,
  TTL: 1_000_000,
};

function parseBoolean(text: string): boolean | undefined {
  switch (text.toLowerCase()) {
    case 'on':
    case 'true':
      return true;
    case 'off':
    case 'false':
      return false;
    default:
      return undefined;
  }
}

/**
 * Hex `ServerVersion` → "major.minor.build". Bits, most significant first: 4 (0x7) · 6 major · 6 minor · 1 flag ·
 * 15 build (docs/protocol.md §3.3): `73C189CB` → "15.1.2507".
 */
export function decodeServerVersion(hex: string): string | null {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return null;
  const value = Number.parseInt(hex, 16);
  const major = Math.floor(value / 2 ** 22) & 0x3f;
  const minor = Math.floor(value / 2 ** 16) & 0x3f;
  const build = value & 0x7fff;
  return `${major}.${minor}.${build}`;
}

/** The typed value of a leaf element, or undefined (with a warning) when the text is not what it allows. */
function leafValue(name: string, text: string, where: string, notes: Notes): unknown {
  if (BOOLEAN_ELEMENTS.has(name)) {
    const value = parseBoolean(text);
    if (value === undefined) notes.warn(`${where} is ${quote(text)}, not on or off; ignored`);
    return value;
  }
  const max = Object.hasOwn(NUMBER_ELEMENTS, name) ? NUMBER_ELEMENTS[name] : undefined;
  if (max !== undefined) {
    const value = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isInteger(value) && value <= max) return value;
    notes.warn(`${where} is ${quote(text)}, not a whole number from 0 to ${max}; ignored`);
    return undefined;
  }
  if (name === 'AuthPackage') return cap(text, where, notes).toLowerCase();
  return cap(text, where, notes);
}

// ---------------------------------------------------------------------------------------------------------------
// Objects built from elements

/** Keys a protocol's own elements may not claim, because the parser derives them. */
const DERIVED_KEYS = new Set(['serverVersionDecoded']);

/**
 * Claims `key` on `target` for the element `node`: false (with a warning) when the name is unsafe, too long,
 * derived, repeated, or the object already has its share of keys.
 */
function claim(target: Record<string, unknown>, node: XmlElement, key: string, where: string, notes: Notes): boolean {
  if (node.name.length > RESPONSE_LIMITS.maxNameChars) {
    notes.warn(`${where}: an element name of ${node.name.length} characters is ignored`);
    return false;
  }
  if (isUnsafeKey(key) || DERIVED_KEYS.has(key)) {
    notes.warn(`${where}: <${node.name}> is not a usable name; ignored`);
    return false;
  }
  if (hasKey(target, key)) {
    notes.warn(`${where}: <${node.name}> is repeated; the first one is kept`);
    return false;
  }
  if (Object.keys(target).length >= RESPONSE_LIMITS.maxKeys) {
    notes.warn(`${where}: more than ${RESPONSE_LIMITS.maxKeys} elements; <${node.name}> and later ones are ignored`);
    return false;
  }
  return true;
}

/** An element with child elements: an object keyed by their lower-camel names; otherwise its typed text. */
function genericValue(node: XmlElement, where: string, notes: Notes): unknown {
  if (node.children.length === 0) return leafValue(node.name, node.text.trim(), where, notes);
  const out: Record<string, unknown> = {};
  for (const c of node.children) {
    const key = keyFor(c.name);
    if (!claim(out, c, key, where, notes)) continue;
    const value = genericValue(c, `${where}/${c.name}`, notes);
    if (value !== undefined) setKey(out, key, value);
  }
  return out;
}

/** `Internal`/`External` of a `Type=WEB` protocol: `{ owaUrl, authenticationMethod, asUrl }`. */
function webSide(node: XmlElement, where: string, notes: Notes): Record<string, unknown> {
  const owa = child(node, 'OWAUrl');
  const method = owa === undefined ? undefined : attribute(owa, 'AuthenticationMethod')?.trim();
  return {
    owaUrl: textOf(owa, `${where}/OWAUrl`, notes),
    authenticationMethod: method ? cap(method, `${where}/OWAUrl@AuthenticationMethod`, notes) : null,
    asUrl: textOf(child(child(node, 'Protocol'), 'ASUrl'), `${where}/Protocol/ASUrl`, notes),
  };
}

/** `MailStore`/`AddressBook` of a mapiHttp protocol: `{ internalUrl, externalUrl }`. */
function mapiEndpoint(node: XmlElement, where: string, notes: Notes): Record<string, unknown> {
  return {
    internalUrl: textOf(child(node, 'InternalUrl'), `${where}/InternalUrl`, notes),
    externalUrl: textOf(child(node, 'ExternalUrl'), `${where}/ExternalUrl`, notes),
  };
}

function readProtocol(node: XmlElement, where: string, notes: Notes): ProtocolSettings {
  const typeElement = child(node, 'Type');
  const typeAttribute = attribute(node, 'Type')?.trim();
  const type = typeElement ? typeElement.text.trim() : (typeAttribute ?? '');
  if (type === '') notes.warn(`${where} has no Type`);
  const out: ProtocolSettings = { type: cap(type, `${where}/Type`, notes) };
  const version = attribute(node, 'Version')?.trim();
  if (version !== undefined) out['version'] = cap(version, `${where}@Version`, notes);

  for (const c of node.children) {
    if (c === typeElement) continue;
    const key = keyFor(c.name);
    const at = `${where}/${c.name}`;
    if (!claim(out, c, key, where, notes)) continue;
    let value: unknown;
    if ((c.name === 'Internal' || c.name === 'External') && type.toUpperCase() === 'WEB') value = webSide(c, at, notes);
    else if ((c.name === 'MailStore' || c.name === 'AddressBook') && type.toLowerCase() === 'mapihttp') {
      value = mapiEndpoint(c, at, notes);
    } else value = genericValue(c, at, notes);
    if (value === undefined) continue;
    setKey(out, key, value);
    if (c.name === 'ServerVersion' && typeof value === 'string') {
      const decoded = decodeServerVersion(value);
      if (decoded === null) notes.warn(`${at} is ${quote(value)}, not 8 hex digits; not decoded`);
      else out['serverVersionDecoded'] = decoded;
    }
  }
  return out;
}

/** At most `maxProtocols` of `nodes`, with a warning naming how many were left out. */
function capped(nodes: XmlElement[], what: string, notes: Notes): XmlElement[] {
  if (nodes.length <= RESPONSE_LIMITS.maxProtocols) return nodes;
  notes.warn(
    `the response has ${nodes.length} <${what}> elements; only the first ${RESPONSE_LIMITS.maxProtocols} are read`,
  );
  return nodes.slice(0, RESPONSE_LIMITS.maxProtocols);
}

// ---------------------------------------------------------------------------------------------------------------
// Documents

/** The documented namespaces, by what they mean. */
type NamespaceKind = 'response' | 'outlook' | 'mobilesync';

const NAMESPACES: readonly [NamespaceKind, string][] = [
  ['response', NS.response],
  ['outlook', NS.outlookResponse],
  ['mobilesync', NS.mobilesyncResponse],
];

/** Which documented namespace `uri` is, noting any spelling other than the exact http:// one. */
function namespaceKind(uri: string, misspelt: string[]): NamespaceKind | undefined {
  for (const [kind, expected] of NAMESPACES) {
    if (uri === expected) return kind;
    if (sameNamespace(uri, expected)) {
      misspelt.push(uri);
      return kind;
    }
  }
  return undefined;
}

function namespaceWarning(misspelt: string[]): string | undefined {
  if (misspelt.length === 0) return undefined;
  const https = misspelt.some((u) => /^\s*https:/i.test(u));
  const list = [...new Set(misspelt)].map((u) => quote(u, 120)).join(', ');
  return https
    ? `the response uses https:// namespaces (${list}); Exchange and the specifications use http://, and strict clients may not accept https://`
    : `the response spells its namespaces differently from Exchange and the specifications (${list}); strict clients compare them exactly`;
}

function describeHtml(body: string): string {
  const title = /<title[^>]{0,200}>([^<]{0,200})/i.exec(body)?.[1]?.replace(/\s+/g, ' ').trim();
  return title
    ? `an HTML page ("${title}"), not an Autodiscover response`
    : 'an HTML page, not an Autodiscover response';
}

/** Whether the body starts like an HTML page (after an XML declaration and comments, as XHTML may). */
function looksLikeHtml(text: string): boolean {
  const skip = /\s*(<\?xml[^>]{0,200}\?>)?\s*/y;
  skip.lastIndex = 0;
  skip.exec(text);
  let at = skip.lastIndex;
  for (let i = 0; i < 100 && text.startsWith('<!--', at); i++) {
    const end = text.indexOf('-->', at + 4);
    if (end < 0) return false;
    const space = /\s*/y;
    space.lastIndex = end + 3;
    space.exec(text);
    at = space.lastIndex;
  }
  return /<(!doctype\s+html|html[\s>/])/iy.test(text.slice(at, at + 32));
}

function errorResult(node: XmlElement, notes: Notes): ParsedResponse {
  const code = textOf(child(node, 'ErrorCode'), 'Error/ErrorCode', notes);
  const status = textOf(child(node, 'Status'), 'Error/Status', notes);
  const message = textOf(child(node, 'Message'), 'Error/Message', notes) ?? '';
  const result: Extract<ParsedResponse, { kind: 'error' }> = { kind: 'error', code: code ?? status ?? '', message };
  if (status !== null) result.status = status;
  return { ...result, ...notes.fields() };
}

function invalid(reason: string, notes: Notes): ParsedResponse {
  return { kind: 'invalid', reason, ...notes.fields() };
}

function redirectTarget(node: XmlElement | undefined): string | null {
  const text = node?.text.trim() ?? '';
  return text === '' ? null : text;
}

function readOutlook(response: XmlElement, notes: Notes): ParsedResponse {
  const account = child(response, 'Account');
  if (!account) return invalid('<Response> has no <Account>', notes);
  const accountError = child(account, 'Error');
  if (accountError) return errorResult(accountError, notes);

  const action = child(account, 'Action')?.text.trim();
  switch (action) {
    case undefined:
    case '':
      return invalid('<Account> has no <Action>', notes);
    case 'redirectAddr': {
      const address = redirectTarget(child(account, 'RedirectAddr'));
      if (address === null) return invalid('Action is redirectAddr but <RedirectAddr> is missing or empty', notes);
      return redirectAddr(address, notes);
    }
    case 'redirectUrl': {
      const url = redirectTarget(child(account, 'RedirectUrl'));
      if (url === null) return invalid('Action is redirectUrl but <RedirectUrl> is missing or empty', notes);
      if (url.length > RESPONSE_LIMITS.maxStringChars) {
        return invalid(`<RedirectUrl> is ${url.length} characters long, more than a client accepts`, notes);
      }
      if (!URL.canParse(url)) return invalid(`<RedirectUrl> ${quote(url, 200)} is not a URL`, notes);
      // http:// is kept: the client's refusal of it is a step result of its own (`refused`), not a parse error.
      if (!/^https?:$/.test(new URL(url).protocol)) {
        return invalid(`<RedirectUrl> ${quote(url, 200)} is not an http(s) URL`, notes);
      }
      return { kind: 'redirectUrl', url, ...notes.fields() };
    }
    case 'settings': {
      const user = child(response, 'User');
      const protocols = capped(children(account, 'Protocol'), 'Protocol', notes).map((p, i) =>
        readProtocol(p, `Protocol[${i}]`, notes),
      );
      if (protocols.length === 0) notes.warn('Action is settings but there is no <Protocol>');
      return {
        kind: 'settings',
        user: {
          displayName: textOf(child(user, 'DisplayName'), 'User/DisplayName', notes),
          legacyDN: textOf(child(user, 'LegacyDN'), 'User/LegacyDN', notes),
          autoDiscoverSMTPAddress: textOf(
            child(user, 'AutoDiscoverSMTPAddress'),
            'User/AutoDiscoverSMTPAddress',
            notes,
          ),
        },
        protocols,
        ...notes.fields(),
      };
    }
    default:
      return invalid(`Action ${quote(action)} is not one a client knows (settings, redirectAddr, redirectUrl)`, notes);
  }
}

function redirectAddr(address: string, notes: Notes): ParsedResponse {
  if (address.length > RESPONSE_LIMITS.maxStringChars) {
    return invalid(`the redirect address is ${address.length} characters long, more than a client accepts`, notes);
  }
  if (!/^[^@\s]+@[^@\s]+$/.test(address)) {
    return invalid(`the redirect address ${quote(address, 200)} is not an email address`, notes);
  }
  return { kind: 'redirectAddr', address, ...notes.fields() };
}

function readMobilesync(response: XmlElement, notes: Notes): ParsedResponse {
  const action = child(response, 'Action');
  if (!action) return invalid('<Response> has no <Action>', notes);
  const error = child(action, 'Error');
  if (error) return errorResult(error, notes);
  const redirect = child(action, 'Redirect');
  if (redirect) {
    const address = redirectTarget(redirect);
    if (address === null) return invalid('<Redirect> is empty', notes);
    return redirectAddr(address, notes);
  }
  const settings = child(action, 'Settings');
  if (settings) {
    const user = child(response, 'User');
    const servers = capped(children(settings, 'Server'), 'Server', notes).map((s, i) =>
      readProtocol(s, `Server[${i}]`, notes),
    );
    if (servers.length === 0) notes.warn('<Settings> has no <Server>');
    return {
      kind: 'settings',
      user: {
        displayName: textOf(child(user, 'DisplayName'), 'User/DisplayName', notes),
        legacyDN: null,
        autoDiscoverSMTPAddress: textOf(child(user, 'EMailAddress'), 'User/EMailAddress', notes),
      },
      protocols: servers,
      ...notes.fields(),
    };
  }
  const first = action.children[0];
  return invalid(
    first === undefined
      ? '<Action> is empty'
      : `<Action> holds <${first.name.slice(0, 64)}>, which a client does not know (Settings, Redirect, Error)`,
    notes,
  );
}

/**
 * Reads one HTTP body as the answer to an Autodiscover request made with `schema` (the AcceptableResponseSchema
 * sent). Never throws.
 */
export function parseAutodiscoverResponse(body: string, schema: ResponseSchema): ParsedResponse {
  const notes = new Notes();
  if (body.length > RESPONSE_LIMITS.maxBodyChars) {
    return invalid(
      `the body is ${body.length} characters long; a client reads at most ${RESPONSE_LIMITS.maxBodyChars}`,
      notes,
    );
  }
  const text = body.startsWith('\uFEFF') ? body.slice(1) : body;
  if (text.trim() === '') return invalid('the body is empty', notes);
  if (looksLikeHtml(text)) return invalid(describeHtml(text), notes);
  // An Autodiscover v2 (JSON) answer, or an API's error object, at an XML URL.
  if (/^\s*[[{]/.test(text)) return invalid('a JSON document, not an Autodiscover (XML) response', notes);

  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (err) {
    if (err instanceof XmlRejected) {
      const why = err.reason === 'doctype' ? 'it has a DTD, which clients refuse' : err.message;
      return invalid(`not an Autodiscover response: ${why.slice(0, 300)}`, notes);
    }
    return invalid('not an Autodiscover response: the XML cannot be read', notes);
  }
  if (root.name.toLowerCase() === 'html') return invalid(describeHtml(text), notes);

  const misspelt: string[] = [];
  const rootKind = namespaceKind(root.ns, misspelt);
  notes.namespaceWarning = namespaceWarning(misspelt);
  if (root.name !== 'Autodiscover') {
    return invalid(`the root element is <${root.name.slice(0, 64)}>, not <Autodiscover>`, notes);
  }
  if (rootKind !== 'response') {
    return invalid(
      root.ns === ''
        ? `<Autodiscover> has no namespace; it must be ${NS.response}`
        : `<Autodiscover> is in the namespace ${quote(root.ns, 200)}, not ${NS.response}`,
      notes,
    );
  }

  const response = child(root, 'Response');
  if (!response) return invalid('<Autodiscover> has no <Response>', notes);
  const kind = namespaceKind(response.ns, misspelt);
  notes.namespaceWarning = namespaceWarning(misspelt);
  if (kind === undefined) {
    return invalid(`<Response> is in the namespace ${quote(response.ns, 200)}, which no client knows`, notes);
  }

  // An error may come in any of the three namespaces (Exchange Online leaves Response in the outer one).
  const responseError = child(response, 'Error');
  if (responseError) return errorResult(responseError, notes);

  if (kind === 'response') {
    return invalid(`<Response> is in the outer namespace ${NS.response}, not a settings schema`, notes);
  }
  if (kind !== schema) {
    return invalid(`the response is in the ${kind} schema, but the request asked for ${schema}`, notes);
  }
  return kind === 'outlook' ? readOutlook(response, notes) : readMobilesync(response, notes);
}
