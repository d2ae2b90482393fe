/**
 * The SOAP Autodiscover request (MS-OXWSADISC §3.1.4.1 GetDomainSettings, §3.1.4.4 GetUserSettings), both
 * directions: `parseSoapRequest` is what the server reads, `renderSoapRequest` what a client (the EWS Managed API
 * and its ports) sends. Pure text in, text out.
 */
import { el, parseXml, textEl, type XmlElement, XmlRejected, xmlDocument } from '../xml.js';
import { operationFromAction, SOAP_NS, type SoapOperation, sameNamespace, soapAction } from './namespaces.js';

export interface SoapRequest {
  operation: SoapOperation;
  /** The `RequestedServerVersion` SOAP header (e.g. Exchange2013); undefined when the client sent none. */
  requestedServerVersion?: string;
  /** WS-Addressing `To`: the URL the client believes it is talking to. */
  to?: string;
  /** GetUserSettings: the mailboxes (`Users/User/Mailbox`); GetDomainSettings: the domains (`Domains/Domain`). */
  identities: string[];
  /** `RequestedSettings/Setting`, in the order given. */
  settings: string[];
  /** GetDomainSettings' body `RequestedVersion` (the EWS version the caller wants ExternalEwsVersion for). */
  requestedVersion?: string;
}

/** Why a request cannot be answered at all; answered with a SOAP fault (fault.ts). */
export interface SoapRequestProblem {
  /** SOAP 1.1 fault code: the client's fault, or a SOAP version we do not speak, or an Action we do not offer. */
  code: 'Client' | 'VersionMismatch' | 'ActionNotSupported';
  /** Fixed wording: never carries text from the request. */
  reason: string;
}

export type SoapRequestResult = { ok: true; request: SoapRequest } | { ok: false; problem: SoapRequestProblem };

const REJECTED: Record<XmlRejected['reason'], string> = {
  doctype: 'A DTD or entity declaration is not allowed in a request.',
  malformed: 'The request is not well-formed XML.',
  'too-deep': 'The request nests elements too deeply.',
  'too-large': 'The request has too many elements or attributes.',
};

const problem = (code: SoapRequestProblem['code'], reason: string): SoapRequestResult => ({
  ok: false,
  problem: { code, reason },
});

const inAutodiscover = (e: XmlElement | undefined): e is XmlElement =>
  e !== undefined && sameNamespace(e.ns, SOAP_NS.autodiscover);

/** The first child with this local name in the Autodiscover namespace. */
function adChild(parent: XmlElement | undefined, name: string): XmlElement | undefined {
  return parent?.children.find((c) => c.name === name && inAutodiscover(c));
}

function adChildren(parent: XmlElement | undefined, name: string): XmlElement[] {
  return parent?.children.filter((c) => c.name === name && inAutodiscover(c)) ?? [];
}

/**
 * Reads a GetUserSettings or GetDomainSettings request. `soapActionHeader` is the HTTP SOAPAction header, used
 * only when the envelope carries no WS-Addressing Action (a hand-written request; the EWS Managed API always
 * sends both).
 */
export function parseSoapRequest(body: string, soapActionHeader?: string): SoapRequestResult {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch (err) {
    // Fixed wording per reason: a parser message would quote the request (a tag name, a position).
    return problem('Client', REJECTED[err instanceof XmlRejected ? err.reason : 'malformed']);
  }
  if (root.name !== 'Envelope') return problem('Client', 'The request is not a SOAP envelope.');
  if (sameNamespace(root.ns, SOAP_NS.envelope12)) {
    return problem('VersionMismatch', 'This service speaks SOAP 1.1 (http://schemas.xmlsoap.org/soap/envelope/) only.');
  }
  if (!sameNamespace(root.ns, SOAP_NS.envelope)) return problem('VersionMismatch', 'Unknown SOAP envelope namespace.');

  const header = root.children.find((c) => c.name === 'Header' && sameNamespace(c.ns, SOAP_NS.envelope));
  const body_ = root.children.find((c) => c.name === 'Body' && sameNamespace(c.ns, SOAP_NS.envelope));
  if (!body_) return problem('Client', 'The SOAP envelope has no Body.');

  const wsa = (name: string) =>
    header?.children.find((c) => c.name === name && sameNamespace(c.ns, SOAP_NS.addressing))?.text.trim();
  const actionText = wsa('Action') || soapActionHeader?.trim().replace(/^"|"$/g, '');
  if (!actionText) return problem('Client', 'The request has no WS-Addressing Action header.');
  const operation = operationFromAction(actionText);
  if (!operation) {
    return problem(
      'ActionNotSupported',
      'The Action is not offered here: this service answers GetUserSettings and GetDomainSettings.',
    );
  }

  const message = adChild(body_, `${operation}RequestMessage`);
  if (!message) return problem('Client', `The Body does not hold a ${operation}RequestMessage matching the Action.`);
  const request = adChild(message, 'Request');

  const identities =
    operation === 'GetUserSettings'
      ? adChildren(adChild(request, 'Users'), 'User').map((u) => adChild(u, 'Mailbox')?.text.trim() ?? '')
      : adChildren(adChild(request, 'Domains'), 'Domain').map((d) => d.text.trim());
  const settings = adChildren(adChild(request, 'RequestedSettings'), 'Setting').map((s) => s.text.trim());

  const result: SoapRequest = { operation, identities, settings };
  const version = adChild(header, 'RequestedServerVersion')?.text.trim();
  if (version) result.requestedServerVersion = version;
  const to = wsa('To');
  if (to) result.to = to;
  const requestedVersion = adChild(request, 'RequestedVersion')?.text.trim();
  if (requestedVersion) result.requestedVersion = requestedVersion;
  return { ok: true, request: result };
}

/** Writes the request as the EWS Managed API does (prefixes a:, wsa:, xsi:, soap:). */
export function renderSoapRequest(request: SoapRequest): string {
  const a = (name: string) => `a:${name}`;
  const list =
    request.operation === 'GetUserSettings'
      ? el(a('Users'), {}, ...request.identities.map((m) => el(a('User'), {}, textEl(a('Mailbox'), m))))
      : el(a('Domains'), {}, ...request.identities.map((d) => textEl(a('Domain'), d)));
  return xmlDocument(
    el(
      'soap:Envelope',
      {
        'xmlns:a': SOAP_NS.autodiscover,
        'xmlns:wsa': SOAP_NS.addressing,
        'xmlns:xsi': SOAP_NS.xsi,
        'xmlns:soap': SOAP_NS.envelope,
      },
      el(
        'soap:Header',
        {},
        textEl(a('RequestedServerVersion'), request.requestedServerVersion),
        textEl('wsa:Action', soapAction(request.operation)),
        textEl('wsa:To', request.to),
      ),
      el(
        'soap:Body',
        {},
        el(
          a(`${request.operation}RequestMessage`),
          {},
          el(
            a('Request'),
            {},
            list,
            el(a('RequestedSettings'), {}, ...request.settings.map((s) => textEl(a('Setting'), s))),
            textEl(a('RequestedVersion'), request.requestedVersion),
          ),
        ),
      ),
    ),
  );
}
