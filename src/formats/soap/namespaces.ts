/**
 * SOAP Autodiscover (MS-OXWSADISC) names: the envelope is SOAP 1.1, addressing is WS-Addressing 1.0, and every
 * Autodiscover element lives in the 2010 Autodiscover namespace (docs/protocol.md §4). As with POX, servers emit
 * the http:// spellings; Microsoft's web pages show https:// after a link rewrite.
 */
// Namespace URIs are compared as POX compares them (scheme- and case-insensitive): one rule for both protocols.
export { sameNamespace } from '../pox/namespaces.js';

import { el, type XmlChild, xmlDocument } from '../xml.js';

export const SOAP_NS = {
  envelope: 'http://schemas.xmlsoap.org/soap/envelope/',
  /** SOAP 1.2: refused with a VersionMismatch fault, as the Exchange binding (basicHttpBinding, SOAP 1.1) does. */
  envelope12: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://www.w3.org/2005/08/addressing',
  autodiscover: 'http://schemas.microsoft.com/exchange/2010/Autodiscover',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

export type SoapOperation = 'GetUserSettings' | 'GetDomainSettings';

const ACTION_BASE = `${SOAP_NS.autodiscover}/Autodiscover`;

/** WS-Addressing Action of a request (`…/Autodiscover/GetUserSettings`) or of its answer (`…Response`). */
export function soapAction(operation: SoapOperation, direction: 'request' | 'response' = 'request'): string {
  return `${ACTION_BASE}/${operation}${direction === 'response' ? 'Response' : ''}`;
}

/** The operation an Action names; scheme- and case-insensitive like the POX namespaces. */
export function operationFromAction(action: string): SoapOperation | undefined {
  const norm = action
    .trim()
    .toLowerCase()
    .replace(/^https:/, 'http:');
  for (const op of ['GetUserSettings', 'GetDomainSettings'] as const) {
    if (norm === soapAction(op).toLowerCase()) return op;
  }
  return undefined;
}

/** The SOAP 1.1 envelope every answer (settings or fault) is written in, with its s: and a: prefixes. */
export function soapEnvelope(...children: XmlChild[]): string {
  const envelope = el('s:Envelope', { 'xmlns:s': SOAP_NS.envelope, 'xmlns:a': SOAP_NS.addressing }, ...children);
  return xmlDocument(envelope);
}
