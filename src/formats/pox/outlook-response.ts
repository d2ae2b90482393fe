/**
 * The Outlook POX answer (responseschema/2006 outer, outlook/responseschema/2006a inner), as Exchange sends it:
 * EXCH (internal), EXPR (Outlook Anywhere, external), EXHTTP (only for clients that can handle it), WEB, the
 * MAPI/HTTP block (only for clients that send X-MapiHttpCapability), then IMAP, POP3 and SMTP.
 */
import type { ResolvedExchange, ResolvedServer, ResolvedSettings } from '../../settings/resolve.js';
import { el, textEl, type XmlNode, xmlDocument } from '../xml.js';
import { NS } from './namespaces.js';

/** What the client said it can handle (request headers). */
export interface OutlookClientCapabilities {
  /** `X-MapiHttpCapability: 1` (or higher). */
  mapiHttp: boolean;
  /** `X-ClientCanHandle: ExHttpInfo`. */
  exHttpInfo: boolean;
  /** `X-ClientCanHandle: Negotiate`: AuthPackage "negotiate" may be sent. */
  negotiate: boolean;
}

const onOff = (value: boolean) => (value ? 'on' : 'off');

/** Hex ServerVersion: 4 bits 0x7 · 6 major · 6 minor · 1 flag bit · 15 build (docs/protocol.md §3.3). */
export function encodeServerVersion(version: string): string {
  const [major = 0, minor = 0, build = 0] = version.split('.').map(Number);
  const value = ((0x7 << 28) | (major << 22) | (minor << 16) | (1 << 15) | build) >>> 0;
  return value.toString(16).toUpperCase().padStart(8, '0');
}

function authPackage(value: string, caps: OutlookClientCapabilities): string {
  // Without X-ClientCanHandle: Negotiate an older Outlook cannot use "negotiate"; NTLM is what Exchange falls back to.
  const v = value === 'negotiate' && !caps.negotiate ? 'ntlm' : value;
  return v.charAt(0).toUpperCase() + v.slice(1);
}

type Side = 'internal' | 'external';

function serviceUrls(ex: ResolvedExchange, side: Side): XmlNode[] {
  const availability = ex.availability?.[side] ?? ex.ews?.[side];
  return [
    textEl('ASUrl', availability),
    textEl('EwsUrl', ex.ews?.[side]),
    textEl('OOFUrl', availability),
    textEl('OABUrl', ex.oab?.[side]),
    textEl('EcpUrl', ex.ecp?.[side]),
  ].filter((n): n is XmlNode => n !== undefined);
}

function exchProtocol(ex: ResolvedExchange, ttl: number, caps: OutlookClientCapabilities): XmlNode {
  return el(
    'Protocol',
    {},
    textEl('Type', 'EXCH'),
    textEl('Server', ex.server),
    textEl('ServerDN', ex.serverDN),
    textEl('ServerVersion', ex.serverVersion && encodeServerVersion(ex.serverVersion)),
    textEl('AuthPackage', authPackage(ex.authPackage, caps)),
    ...serviceUrls(ex, 'internal'),
    textEl('ServerExclusiveConnect', 'off'),
    textEl('TTL', ttl),
  );
}

function outlookAnywhereProtocol(
  type: 'EXPR' | 'EXHTTP',
  ex: ResolvedExchange,
  side: Side,
  ttl: number,
  caps: OutlookClientCapabilities,
): XmlNode | undefined {
  const oa = ex.outlookAnywhere;
  if (!oa) return undefined;
  const host = side === 'internal' ? (oa.internalHost ?? oa.externalHost) : oa.externalHost;
  const auth = side === 'internal' ? oa.internalAuth : oa.externalAuth;
  return el(
    'Protocol',
    {},
    textEl('Type', type),
    textEl('Server', host),
    textEl('SSL', oa.ssl ? 'On' : 'Off'),
    textEl('AuthPackage', authPackage(auth, caps)),
    ...serviceUrls(ex, side),
    textEl('ServerExclusiveConnect', 'on'),
    oa.ssl ? textEl('CertPrincipalName', oa.certPrincipalName ?? `msstd:${host}`) : undefined,
    textEl('TTL', ttl),
  );
}

function webProtocol(ex: ResolvedExchange): XmlNode | undefined {
  const owa = ex.owa;
  if (!owa) return undefined;
  const side = (name: 'Internal' | 'External', url: string | undefined, type: 'EXCH' | 'EXPR', asUrl?: string) =>
    url === undefined
      ? undefined
      : el(
          name,
          {},
          el('OWAUrl', { AuthenticationMethod: owa.authenticationMethods }, url),
          asUrl ? el('Protocol', {}, textEl('Type', type), textEl('ASUrl', asUrl)) : undefined,
        );
  return el(
    'Protocol',
    {},
    textEl('Type', 'WEB'),
    side('External', owa.external, 'EXPR', ex.availability?.external ?? ex.ews?.external),
    side('Internal', owa.internal, 'EXCH', ex.availability?.internal ?? ex.ews?.internal),
  );
}

function mapiHttpProtocol(ex: ResolvedExchange, mailboxKey: string): XmlNode | undefined {
  const mapi = ex.mapiHttp;
  if (!mapi) return undefined;
  const url = (base: string | undefined, endpoint: string) =>
    base === undefined ? undefined : `${base.replace(/\/$/, '')}/${endpoint}/?MailboxId=${mailboxKey}`;
  const part = (name: string, endpoint: string) =>
    el(
      name,
      {},
      textEl('InternalUrl', url(mapi.internal, endpoint)),
      textEl('ExternalUrl', url(mapi.external, endpoint)),
    );
  return el('Protocol', { Type: 'mapiHttp', Version: '1' }, part('MailStore', 'emsmdb'), part('AddressBook', 'nspi'));
}

function mailProtocol(server: ResolvedServer, ttl: number): XmlNode {
  const type = server.protocol === 'pop3' ? 'POP3' : server.protocol.toUpperCase();
  const secure = server.security !== 'none';
  const spa = ['password-encrypted', 'ntlm', 'gssapi'].includes(server.authentication);
  const authRequired = !['none', 'client-ip-address'].includes(server.authentication);
  return el(
    'Protocol',
    {},
    textEl('Type', type),
    textEl('Server', server.host),
    textEl('Port', server.port),
    textEl('DomainRequired', 'off'),
    textEl('LoginName', server.username),
    textEl('SPA', onOff(spa)),
    textEl('SSL', onOff(secure)),
    // Encryption tells implicit TLS ("SSL") from STARTTLS ("TLS"); SSL alone cannot (docs/protocol.md §9.2).
    textEl('Encryption', server.security === 'tls' ? 'SSL' : server.security === 'starttls' ? 'TLS' : 'None'),
    textEl('AuthRequired', onOff(authRequired)),
    server.protocol === 'smtp' ? textEl('UsePOPAuth', 'off') : undefined,
    server.protocol === 'smtp' ? textEl('SMTPLast', 'off') : undefined,
    textEl('TTL', ttl),
  );
}

function wrap(...accountChildren: (XmlNode | undefined)[]): string {
  return xmlDocument(
    el('Autodiscover', { xmlns: NS.response }, el('Response', { xmlns: NS.outlookResponse }, ...accountChildren)),
  );
}

export function renderOutlookSettings(settings: ResolvedSettings, caps: OutlookClientCapabilities): string {
  const ex = settings.exchange;
  const protocols: (XmlNode | undefined)[] = [];
  if (ex) {
    protocols.push(exchProtocol(ex, settings.ttl, caps));
    protocols.push(outlookAnywhereProtocol('EXPR', ex, 'external', settings.ttl, caps));
    if (caps.exHttpInfo) {
      protocols.push(outlookAnywhereProtocol('EXHTTP', ex, 'internal', settings.ttl, caps));
      protocols.push(outlookAnywhereProtocol('EXHTTP', ex, 'external', settings.ttl, caps));
    }
    protocols.push(webProtocol(ex));
    if (caps.mapiHttp) {
      const key = ex.mailboxId ? `${ex.mailboxId}@${settings.domain}` : (settings.email ?? settings.domain);
      protocols.push(mapiHttpProtocol(ex, key));
    }
  }
  for (const server of settings.servers) protocols.push(mailProtocol(server, settings.ttl));

  const user = el(
    'User',
    {},
    textEl('DisplayName', settings.displayName),
    textEl('LegacyDN', settings.legacyDN),
    textEl('AutoDiscoverSMTPAddress', settings.email),
    textEl('DeploymentId', ex?.deploymentId),
  );
  return wrap(
    user,
    el(
      'Account',
      {},
      textEl('AccountType', 'email'),
      textEl('Action', 'settings'),
      textEl('MicrosoftOnline', 'False'),
      ...protocols,
    ),
  );
}

export function renderOutlookRedirect(kind: 'redirectAddr' | 'redirectUrl', target: string): string {
  return wrap(
    el(
      'Account',
      {},
      textEl('AccountType', 'email'),
      textEl('Action', kind),
      textEl(kind === 'redirectAddr' ? 'RedirectAddr' : 'RedirectUrl', target),
    ),
  );
}
