/**
 * The SOAP Autodiscover answers, GetUserSettingsResponseMessage and GetDomainSettingsResponseMessage
 * (MS-OXWSADISC §3.1.4.4.2.2, §3.1.4.1.2.2), both directions: render what the server sends, parse what a
 * client reads. The model is the protocol's, not the settings store's: settings.ts maps one to the other.
 */
import { el, parseXml, textEl, type XmlElement, type XmlNode } from '../xml.js';
import { SOAP_NS, type SoapOperation, sameNamespace, soapAction, soapEnvelope } from './namespaces.js';

/** MS-OXWSADISC §2.2.5.1 ErrorCode, used for the whole response, each user or domain, and each setting. */
export const SOAP_ERROR_CODES = [
  'NoError',
  'RedirectAddress',
  'RedirectUrl',
  'InvalidUser',
  'InvalidRequest',
  'InvalidSetting',
  'SettingIsNotAvailable',
  'ServerBusy',
  'InvalidDomain',
  'NotFederated',
  'InternalServerError',
] as const;
export type SoapErrorCode = (typeof SOAP_ERROR_CODES)[number];

/** The SOAP header Exchange puts on every answer. */
export interface ServerVersionInfo {
  majorVersion: number;
  minorVersion: number;
  majorBuildNumber: number;
  minorBuildNumber: number;
  /** The ExchangeVersion name the answer is written for, e.g. Exchange2013_SP1. */
  version: string;
}

export interface WebClientUrl {
  authenticationMethods: string;
  url: string;
}

/** A string setting, or the one collection setting served here (ExternalWebClientUrls / InternalWebClientUrls). */
export type SoapSettingValue = string | { webClientUrls: WebClientUrl[] };

export interface SoapSetting {
  name: string;
  value: SoapSettingValue;
}

export interface SoapSettingError {
  name: string;
  errorCode: SoapErrorCode;
  errorMessage: string;
}

/** One UserResponse or DomainResponse. */
export interface SoapIdentityResponse {
  errorCode: SoapErrorCode;
  errorMessage: string;
  /** The address (RedirectAddress) or URL (RedirectUrl) to try next. */
  redirectTarget?: string;
  settings: SoapSetting[];
  settingErrors: SoapSettingError[];
}

export interface SoapResponse {
  operation: SoapOperation;
  serverVersion: ServerVersionInfo;
  /** The whole request's code: NoError unless the request itself was refused (InvalidRequest). */
  errorCode: SoapErrorCode;
  errorMessage: string;
  /** One per requested user or domain, in the order asked. */
  responses: SoapIdentityResponse[];
}

const names = (op: SoapOperation) =>
  op === 'GetUserSettings'
    ? {
        message: 'GetUserSettingsResponseMessage',
        list: 'UserResponses',
        item: 'UserResponse',
        errors: 'UserSettingErrors',
        error: 'UserSettingError',
        settings: 'UserSettings',
        setting: 'UserSetting',
        stringType: 'StringSetting',
      }
    : {
        message: 'GetDomainSettingsResponseMessage',
        list: 'DomainResponses',
        item: 'DomainResponse',
        errors: 'DomainSettingErrors',
        error: 'DomainSettingError',
        settings: 'DomainSettings',
        setting: 'DomainSetting',
        stringType: 'DomainStringSetting',
      };

function settingNode(op: SoapOperation, setting: SoapSetting): XmlNode {
  const n = names(op);
  if (typeof setting.value === 'string') {
    return el(n.setting, { 'i:type': n.stringType }, textEl('Name', setting.name), textEl('Value', setting.value));
  }
  return el(
    n.setting,
    { 'i:type': 'WebClientUrlCollectionSetting' },
    textEl('Name', setting.name),
    el(
      'WebClientUrls',
      {},
      ...setting.value.webClientUrls.map((u) =>
        el('WebClientUrl', {}, textEl('AuthenticationMethods', u.authenticationMethods), textEl('Url', u.url)),
      ),
    ),
  );
}

function identityNode(op: SoapOperation, r: SoapIdentityResponse): XmlNode {
  const n = names(op);
  const redirect =
    r.redirectTarget === undefined
      ? el('RedirectTarget', { 'i:nil': 'true' })
      : textEl('RedirectTarget', r.redirectTarget);
  const errors = el(
    n.errors,
    {},
    ...r.settingErrors.map((e) =>
      el(
        n.error,
        {},
        textEl('ErrorCode', e.errorCode),
        textEl('ErrorMessage', e.errorMessage),
        textEl('SettingName', e.name),
      ),
    ),
  );
  const settings = el(n.settings, {}, ...r.settings.map((s) => settingNode(op, s)));
  // Element order as in the schema: UserResponse puts RedirectTarget first, DomainResponse last.
  return op === 'GetUserSettings'
    ? el(
        n.item,
        {},
        textEl('ErrorCode', r.errorCode),
        textEl('ErrorMessage', r.errorMessage),
        redirect,
        errors,
        settings,
      )
    : el(
        n.item,
        {},
        textEl('ErrorCode', r.errorCode),
        textEl('ErrorMessage', r.errorMessage),
        errors,
        settings,
        redirect,
      );
}

export function renderSoapResponse(response: SoapResponse): string {
  const n = names(response.operation);
  const v = response.serverVersion;
  const h = (name: string, value: string | number) => textEl(`h:${name}`, value);
  return soapEnvelope(
    el(
      's:Header',
      {},
      el('a:Action', { 's:mustUnderstand': '1' }, soapAction(response.operation, 'response')),
      el(
        'h:ServerVersionInfo',
        { 'xmlns:h': SOAP_NS.autodiscover, 'xmlns:i': SOAP_NS.xsi },
        h('MajorVersion', v.majorVersion),
        h('MinorVersion', v.minorVersion),
        h('MajorBuildNumber', v.majorBuildNumber),
        h('MinorBuildNumber', v.minorBuildNumber),
        h('Version', v.version),
      ),
    ),
    el(
      's:Body',
      {},
      el(
        n.message,
        { xmlns: SOAP_NS.autodiscover },
        el(
          'Response',
          { 'xmlns:i': SOAP_NS.xsi },
          textEl('ErrorCode', response.errorCode),
          textEl('ErrorMessage', response.errorMessage),
          el(n.list, {}, ...response.responses.map((r) => identityNode(response.operation, r))),
        ),
      ),
    ),
  );
}

// Reading -------------------------------------------------------------------------------------------------

export class SoapResponseUnreadable extends Error {
  override name = 'SoapResponseUnreadable';
}

const find = (parent: XmlElement | undefined, name: string) => parent?.children.find((c) => c.name === name);
const findAll = (parent: XmlElement | undefined, name: string) => parent?.children.filter((c) => c.name === name) ?? [];
const textOf = (parent: XmlElement | undefined, name: string) => find(parent, name)?.text.trim() ?? '';

function errorCodeOf(text: string): SoapErrorCode {
  return (SOAP_ERROR_CODES as readonly string[]).includes(text) ? (text as SoapErrorCode) : 'InternalServerError';
}

function readSetting(node: XmlElement): SoapSetting {
  const urls = find(node, 'WebClientUrls');
  if (urls) {
    return {
      name: textOf(node, 'Name'),
      value: {
        webClientUrls: findAll(urls, 'WebClientUrl').map((u) => ({
          authenticationMethods: textOf(u, 'AuthenticationMethods'),
          url: textOf(u, 'Url'),
        })),
      },
    };
  }
  return { name: textOf(node, 'Name'), value: textOf(node, 'Value') };
}

/**
 * Reads a GetUserSettings or GetDomainSettings answer. Throws SoapResponseUnreadable when the text is not one
 * (a SOAP fault is read by parseSoapFault instead).
 */
export function parseSoapResponse(text: string): SoapResponse {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (err) {
    throw new SoapResponseUnreadable(`not XML: ${(err as Error).message}`);
  }
  if (root.name !== 'Envelope' || !sameNamespace(root.ns, SOAP_NS.envelope)) {
    throw new SoapResponseUnreadable(`the root element is <${root.name}>, expected a SOAP 1.1 <Envelope>`);
  }
  const body = find(root, 'Body');
  const message = body?.children.find((c) => /^Get(User|Domain)SettingsResponseMessage$/.test(c.name));
  if (!message) throw new SoapResponseUnreadable('the Body holds no GetUserSettings or GetDomainSettings answer');
  const operation: SoapOperation = message.name.startsWith('GetUser') ? 'GetUserSettings' : 'GetDomainSettings';
  const n = names(operation);
  const response = find(message, 'Response');
  const info = find(find(root, 'Header'), 'ServerVersionInfo');
  const num = (name: string) => Number.parseInt(textOf(info, name), 10) || 0;

  return {
    operation,
    serverVersion: {
      majorVersion: num('MajorVersion'),
      minorVersion: num('MinorVersion'),
      majorBuildNumber: num('MajorBuildNumber'),
      minorBuildNumber: num('MinorBuildNumber'),
      version: textOf(info, 'Version'),
    },
    errorCode: errorCodeOf(textOf(response, 'ErrorCode')),
    errorMessage: textOf(response, 'ErrorMessage'),
    responses: findAll(find(response, n.list), n.item).map((item) => {
      const redirect = find(item, 'RedirectTarget');
      const r: SoapIdentityResponse = {
        errorCode: errorCodeOf(textOf(item, 'ErrorCode')),
        errorMessage: textOf(item, 'ErrorMessage'),
        settings: findAll(find(item, n.settings), n.setting).map(readSetting),
        settingErrors: findAll(find(item, n.errors), n.error).map((e) => ({
          name: textOf(e, 'SettingName'),
          errorCode: errorCodeOf(textOf(e, 'ErrorCode')),
          errorMessage: textOf(e, 'ErrorMessage'),
        })),
      };
      if (redirect && redirect.attributes['nil'] !== 'true' && redirect.text.trim() !== '') {
        r.redirectTarget = redirect.text.trim();
      }
      return r;
    }),
  };
}
