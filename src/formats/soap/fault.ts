/**
 * SOAP 1.1 faults, as WCF (Exchange's autodiscover.svc) sends them: HTTP 500, `faultcode` a QName, a fixed
 * `faultstring`. Both directions, so a client can read what a server refused. Nothing from the request goes in.
 */
import { el, parseXml, textEl } from '../xml.js';
import { SOAP_NS, sameNamespace, soapEnvelope } from './namespaces.js';
import type { SoapRequestProblem } from './request.js';

/** SOAP 1.1 §4.4.1: faults travel with HTTP 500 whatever their code. */
export const SOAP_FAULT_STATUS = 500;

export interface SoapFault {
  /** `Client`, `Server`, `VersionMismatch` (SOAP namespace) or `ActionNotSupported` (WS-Addressing namespace). */
  code: SoapRequestProblem['code'] | 'Server' | string;
  reason: string;
}

export function renderSoapFault(fault: SoapFault): string {
  const code = fault.code === 'ActionNotSupported' ? `a:${fault.code}` : `s:${fault.code}`;
  return soapEnvelope(
    el(
      's:Body',
      {},
      el('s:Fault', {}, textEl('faultcode', code), el('faultstring', { 'xml:lang': 'en-US' }, fault.reason)),
    ),
  );
}

/** The fault in a response body, or undefined when the body is not a SOAP fault. */
export function parseSoapFault(text: string): SoapFault | undefined {
  let root: ReturnType<typeof parseXml>;
  try {
    root = parseXml(text);
  } catch {
    return undefined;
  }
  if (root.name !== 'Envelope' || !sameNamespace(root.ns, SOAP_NS.envelope)) return undefined;
  const body = root.children.find((c) => c.name === 'Body');
  const fault = body?.children.find((c) => c.name === 'Fault');
  if (!fault) return undefined;
  const rawCode = fault.children.find((c) => c.name === 'faultcode')?.text.trim() ?? '';
  return {
    code: rawCode.slice(rawCode.indexOf(':') + 1),
    reason: fault.children.find((c) => c.name === 'faultstring')?.text.trim() ?? '',
  };
}
