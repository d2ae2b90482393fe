/**
 * The client side of SOAP Autodiscover for the `ews` profile: the GetUserSettings request an EWS application
 * sends (through the two-way codec in src/formats/soap/) and what it makes of the answer (docs/protocol.md §4.5,
 * docs/lookups.md): settings when the user's ErrorCode is NoError and an EWS URL came back, RedirectAddress and
 * RedirectUrl as moves, anything else as the end of its SOAP lookup.
 *
 * The body comes from a server we do not trust: this never throws, reads only the setting names Exchange defines
 * (so no name becomes an object key it should not), and cuts long values.
 */
import { renderSoapRequest } from '../formats/soap/request.js';
import { parseSoapResponse, type SoapSettingValue } from '../formats/soap/response.js';
import { EXCHANGE_USER_SETTING_NAMES } from '../formats/soap/setting-names.js';
import { lowerCamel, RESPONSE_LIMITS, type ResponseUser } from './parse-response.js';
import type { ProtocolSettings } from './report.js';

/**
 * What `ExchangeService.AutodiscoverUrl` asks (InternalEwsUrl, ExternalEwsUrl), and the user and version settings
 * EWS applications ask beside them (exchangelib, the EWS Managed API samples).
 */
export const EWS_REQUESTED_SETTINGS = [
  'UserDisplayName',
  'UserDN',
  'AutoDiscoverSMTPAddress',
  'InternalEwsUrl',
  'ExternalEwsUrl',
  'EwsSupportedSchemas',
  'CasVersion',
] as const;

/** The settings an EWS application cannot do without: one of them (GetEwsUrlFromResponse). */
export const EWS_URL_SETTINGS = ['ExternalEwsUrl', 'InternalEwsUrl'] as const;

/** The EWS Managed API 2.2 default (ExchangeService's RequestedServerVersion). */
const REQUESTED_SERVER_VERSION = 'Exchange2013_SP1';

export function soapRequestBody(email: string, url: URL): string {
  return renderSoapRequest({
    operation: 'GetUserSettings',
    requestedServerVersion: REQUESTED_SERVER_VERSION,
    to: url.href,
    identities: [email],
    settings: [...EWS_REQUESTED_SETTINGS],
  });
}

/** The URL an EWS application posts to on a host it found (SCP, HTTP redirect, SRV): always https, port 443. */
export function soapUrlOf(host: string): URL {
  return new URL(`https://${host}/autodiscover/autodiscover.svc`);
}

export type SoapReading =
  | { kind: 'settings'; user: ResponseUser; protocols: ProtocolSettings[]; errorCode: 'NoError' }
  | { kind: 'redirect-addr'; address: string; errorCode: 'RedirectAddress' }
  | { kind: 'redirect-url'; url: string; errorCode: 'RedirectUrl' }
  /** NoError, but without an EWS URL: the application fails on it (AutodiscoverDidNotReturnEwsUrl). */
  | { kind: 'missing'; missing: string[]; errorCode: 'NoError' }
  /** `scope: 'response'`: the whole request was refused (the API tries the next host); `user`: this user's error. */
  | { kind: 'error'; scope: 'response' | 'user'; errorCode: string; message: string }
  | { kind: 'invalid'; reason: string };

function cut(value: string): string {
  return value.length > RESPONSE_LIMITS.maxStringChars ? value.slice(0, RESPONSE_LIMITS.maxStringChars) : value;
}

function plain(value: SoapSettingValue): unknown {
  if (typeof value === 'string') return cut(value);
  return value.webClientUrls
    .slice(0, RESPONSE_LIMITS.maxProtocols)
    .map((u) => ({ authenticationMethods: cut(u.authenticationMethods), url: cut(u.url) }));
}

/** Reads a GetUserSettings answer (HTTP 200) for the first (only) user asked. */
export function readSoapAnswer(body: string): SoapReading {
  if (body.length > RESPONSE_LIMITS.maxBodyChars) return { kind: 'invalid', reason: 'the answer is too large' };
  let response: ReturnType<typeof parseSoapResponse>;
  try {
    response = parseSoapResponse(body);
  } catch (err) {
    return { kind: 'invalid', reason: (err as Error).message };
  }
  if (response.operation !== 'GetUserSettings') {
    return { kind: 'invalid', reason: 'a GetDomainSettings answer to a GetUserSettings request' };
  }
  if (response.errorCode !== 'NoError') {
    return { kind: 'error', scope: 'response', errorCode: response.errorCode, message: cut(response.errorMessage) };
  }
  const user = response.responses[0];
  if (!user) return { kind: 'invalid', reason: 'the answer holds no UserResponse' };
  switch (user.errorCode) {
    case 'RedirectAddress':
      return user.redirectTarget
        ? { kind: 'redirect-addr', address: cut(user.redirectTarget), errorCode: 'RedirectAddress' }
        : { kind: 'invalid', reason: 'RedirectAddress without a RedirectTarget' };
    case 'RedirectUrl':
      return user.redirectTarget
        ? { kind: 'redirect-url', url: cut(user.redirectTarget), errorCode: 'RedirectUrl' }
        : { kind: 'invalid', reason: 'RedirectUrl without a RedirectTarget' };
    case 'NoError':
      break;
    default:
      return { kind: 'error', scope: 'user', errorCode: user.errorCode, message: cut(user.errorMessage) };
  }
  const settings = new Map<string, SoapSettingValue>();
  for (const s of user.settings) {
    if (EXCHANGE_USER_SETTING_NAMES.has(s.name) && !settings.has(s.name)) settings.set(s.name, s.value);
  }
  const text = (name: string) => {
    const v = settings.get(name);
    return typeof v === 'string' && v.trim() !== '' ? cut(v.trim()) : null;
  };
  if (EWS_URL_SETTINGS.every((name) => text(name) === null)) {
    return { kind: 'missing', missing: [...EWS_URL_SETTINGS], errorCode: 'NoError' };
  }
  const entry: ProtocolSettings = { type: 'UserSettings' };
  for (const [name, value] of [...settings].slice(0, RESPONSE_LIMITS.maxKeys)) {
    Object.defineProperty(entry, lowerCamel(name), { value: plain(value), enumerable: true, writable: true });
  }
  return {
    kind: 'settings',
    errorCode: 'NoError',
    user: {
      displayName: text('UserDisplayName'),
      legacyDN: text('UserDN'),
      autoDiscoverSMTPAddress: text('AutoDiscoverSMTPAddress'),
    },
    protocols: [entry],
  };
}
