/**
 * From the settings model (src/settings/resolve.ts: one answer for POX and SOAP) to SOAP Autodiscover user and
 * domain settings. Each setting name maps to one field of the model; the table is in docs/protocol.md §4.4.
 * An Exchange setting the model has no value for is left out, as Exchange does ("If a requested setting is not
 * implemented on the Exchange server, no element is returned"); a name outside Exchange's vocabulary is an
 * InvalidSetting error for that setting only.
 */
import type { Answer, ResolvedExchange, ResolvedSettings } from '../../settings/resolve.js';
import type { SoapIdentityResponse, SoapSetting, SoapSettingError, SoapSettingValue } from './response.js';
import { EXCHANGE_USER_SETTING_NAMES } from './setting-names.js';
import { atLeast, casVersion, ewsSupportedSchemas } from './versions.js';

interface Source {
  settings: ResolvedSettings;
  ex: ResolvedExchange | undefined;
  /** The build this server reports (exchange.serverVersion or the default). */
  build: string;
}

interface SettingDefinition {
  value: (s: Source) => SoapSettingValue | undefined;
  /** The lowest RequestedServerVersion that may ask for it. */
  since?: string;
}

const trueFalse = (v: boolean) => (v ? 'True' : 'False');
const capitalized = (v: string) => v.charAt(0).toUpperCase() + v.slice(1);

function mapiEndpoint(s: Source, side: 'internal' | 'external'): string | undefined {
  const base = s.ex?.mapiHttp?.[side];
  if (!base) return undefined;
  // The same MailStore URL the POX mapiHttp block carries (outlook-response.ts).
  const key = s.ex?.mailboxId ? `${s.ex.mailboxId}@${s.settings.domain}` : (s.settings.email ?? s.settings.domain);
  return `${base.replace(/\/$/, '')}/emsmdb/?MailboxId=${key}`;
}

function webClientUrls(s: Source, side: 'internal' | 'external'): SoapSettingValue | undefined {
  const url = s.ex?.owa?.[side];
  if (!url || !s.ex?.owa) return undefined;
  return { webClientUrls: [{ authenticationMethods: s.ex.owa.authenticationMethods, url }] };
}

function certPrincipalName(s: Source): string | undefined {
  const oa = s.ex?.outlookAnywhere;
  if (!oa?.ssl) return undefined;
  return oa.certPrincipalName ?? `msstd:${oa.externalHost}`;
}

/** A Map, not an object: a setting called `constructor` or `__proto__` is just an unknown name. */
export const USER_SETTINGS: ReadonlyMap<string, SettingDefinition> = new Map<string, SettingDefinition>([
  ['UserDisplayName', { value: (s) => s.settings.displayName }],
  ['UserDN', { value: (s) => s.settings.legacyDN }],
  ['UserDeploymentId', { value: (s) => s.ex?.deploymentId }],
  ['AutoDiscoverSMTPAddress', { value: (s) => s.settings.email }],
  ['InternalMailboxServer', { value: (s) => s.ex?.mailboxHost }],
  ['InternalRpcClientServer', { value: (s) => s.ex?.server }],
  ['InternalMailboxServerDN', { value: (s) => s.ex?.serverDN }],
  ['CasVersion', { value: (s) => casVersion(s.build) }],
  ['EwsSupportedSchemas', { value: (s) => ewsSupportedSchemas(s.build) }],
  ['InternalEwsUrl', { value: (s) => s.ex?.ews?.internal }],
  ['ExternalEwsUrl', { value: (s) => s.ex?.ews?.external }],
  ['InternalOABUrl', { value: (s) => s.ex?.oab?.internal }],
  ['ExternalOABUrl', { value: (s) => s.ex?.oab?.external }],
  ['InternalEcpUrl', { value: (s) => s.ex?.ecp?.internal }],
  ['ExternalEcpUrl', { value: (s) => s.ex?.ecp?.external }],
  ['InternalWebClientUrls', { value: (s) => webClientUrls(s, 'internal') }],
  ['ExternalWebClientUrls', { value: (s) => webClientUrls(s, 'external') }],
  ['ExternalMailboxServer', { value: (s) => s.ex?.outlookAnywhere?.externalHost }],
  ['ExternalMailboxServerRequiresSSL', { value: (s) => s.ex?.outlookAnywhere && trueFalse(s.ex.outlookAnywhere.ssl) }],
  [
    'ExternalMailboxServerAuthenticationMethods',
    { value: (s) => s.ex?.outlookAnywhere && capitalized(s.ex.outlookAnywhere.externalAuth) },
  ],
  ['CertPrincipalName', { value: certPrincipalName }],
  // MAPI over HTTP came with Exchange 2013 SP1: a client asking in an older dialect cannot use it.
  ['MapiHttpEnabled', { value: (s) => trueFalse(s.ex?.mapiHttp !== undefined), since: 'Exchange2013' }],
  ['InternalMapiHttpEndpoint', { value: (s) => mapiEndpoint(s, 'internal'), since: 'Exchange2013' }],
  ['ExternalMapiHttpEndpoint', { value: (s) => mapiEndpoint(s, 'external'), since: 'Exchange2013' }],
  ['ActiveSyncUrl', { value: (s) => s.settings.activeSyncUrl }],
]);

/** Domain settings (MS-OXWSADISC DomainSettingName): the EWS URL and version a whole domain uses. */
export const DOMAIN_SETTINGS: ReadonlyMap<string, SettingDefinition> = new Map<string, SettingDefinition>([
  ['ExternalEwsUrl', { value: (s) => s.ex?.ews?.external }],
  ['ExternalEwsVersion', { value: (s) => casVersion(s.build) }],
]);

/** Requested names in order, each once (a repeated name is answered once, as a dictionary is). */
function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

function settingsFor(
  table: ReadonlyMap<string, SettingDefinition>,
  vocabulary: ReadonlySet<string>,
  requested: readonly string[],
  source: Source,
  requestedVersion: string,
): { settings: SoapSetting[]; settingErrors: SoapSettingError[] } {
  const settings: SoapSetting[] = [];
  const settingErrors: SoapSettingError[] = [];
  for (const name of unique(requested)) {
    const definition = table.get(name);
    if (!definition) {
      if (vocabulary.has(name)) continue;
      settingErrors.push({ name, errorCode: 'InvalidSetting', errorMessage: 'The requested setting is not valid.' });
    } else if (definition.since && !atLeast(requestedVersion, definition.since)) {
      settingErrors.push({
        name,
        errorCode: 'SettingIsNotAvailable',
        errorMessage: `This setting needs RequestedServerVersion ${definition.since} or later.`,
      });
    } else {
      const value = definition.value(source);
      if (value !== undefined) settings.push({ name, value });
    }
  }
  return { settings, settingErrors };
}

/**
 * A POX redirectUrl points at `/autodiscover/autodiscover.xml`; the SOAP client must be sent to the `.svc`
 * endpoint on the same host (it posts SOAP to whatever URL it gets).
 */
export function soapRedirectUrl(url: string): string {
  return url.replace(/\/autodiscover\/autodiscover\.xml(?=$|[?#])/i, '/autodiscover/autodiscover.svc');
}

const empty = { settings: [], settingErrors: [] };

/** One UserResponse for one resolved answer. */
export function userResponse(
  answer: Answer,
  requested: readonly string[],
  options: { requestedVersion: string; build: string },
): SoapIdentityResponse {
  switch (answer.kind) {
    case 'not-found':
      return { errorCode: 'InvalidUser', errorMessage: 'No mailbox is known for this address.', ...empty };
    case 'redirectAddr':
      return {
        errorCode: 'RedirectAddress',
        errorMessage: 'Redirection address.',
        redirectTarget: answer.address,
        ...empty,
      };
    case 'redirectUrl':
      return {
        errorCode: 'RedirectUrl',
        errorMessage: 'Redirection URL.',
        redirectTarget: soapRedirectUrl(answer.url),
        ...empty,
      };
    case 'settings': {
      const source = { settings: answer.settings, ex: answer.settings.exchange, build: options.build };
      return {
        errorCode: 'NoError',
        errorMessage: 'No error.',
        ...settingsFor(USER_SETTINGS, EXCHANGE_USER_SETTING_NAMES, requested, source, options.requestedVersion),
      };
    }
  }
}

/** One DomainResponse for a domain's settings (resolved without an address). */
export function domainResponse(
  settings: ResolvedSettings,
  requested: readonly string[],
  options: { requestedVersion: string; build: string },
): SoapIdentityResponse {
  const source = { settings, ex: settings.exchange, build: options.build };
  return {
    errorCode: 'NoError',
    errorMessage: 'No error.',
    ...settingsFor(DOMAIN_SETTINGS, new Set(), requested, source, options.requestedVersion),
  };
}
