import { childText, parseXml, XmlRejected } from '../xml.js';
import { NS, sameNamespace } from './namespaces.js';

/** Which response schema the client accepts, and so which answer it gets. */
export type PoxSchema = 'outlook' | 'mobilesync';

export interface PoxRequest {
  schema: PoxSchema;
  emailAddress?: string;
  legacyDN?: string;
}

/** 600: the request is not a valid Autodiscover request. 601: the requested response schema is not offered. */
export type PoxRequestError = { code: 600 | 601; message: string; detail: string };

export type PoxRequestResult = { ok: true; request: PoxRequest } | { ok: false; error: PoxRequestError };

const invalid = (detail: string): PoxRequestResult => ({
  ok: false,
  error: { code: 600, message: 'Invalid Request', detail },
});

/**
 * Reads an Outlook (requestschema/2006) or ActiveSync (mobilesync/requestschema/2006) request. The answer's
 * kind is chosen by AcceptableResponseSchema alone (MS-OXDSCLI / MS-ASCMD); the request namespace is not
 * checked strictly because real clients differ in it.
 */
export function parsePoxRequest(body: string): PoxRequestResult {
  let root: ReturnType<typeof parseXml>;
  try {
    root = parseXml(body);
  } catch (err) {
    return invalid(err instanceof XmlRejected ? err.message : 'unreadable XML');
  }
  if (root.name !== 'Autodiscover') return invalid(`the root element is <${root.name}>, expected <Autodiscover>`);
  const request = root.children.find((c) => c.name === 'Request');
  if (!request) return invalid('no <Request> element');

  const accepted = childText(request, 'AcceptableResponseSchema');
  if (!accepted) return invalid('no <AcceptableResponseSchema>');
  let schema: PoxSchema;
  if (sameNamespace(accepted, NS.outlookResponse)) schema = 'outlook';
  else if (sameNamespace(accepted, NS.mobilesyncResponse)) schema = 'mobilesync';
  else {
    return {
      ok: false,
      error: { code: 601, message: 'Provider is not available', detail: 'the AcceptableResponseSchema is not offered' },
    };
  }

  const result: PoxRequest = { schema };
  const email = childText(request, 'EMailAddress');
  const legacyDN = childText(request, 'LegacyDN');
  if (email) result.emailAddress = email;
  if (legacyDN) result.legacyDN = legacyDN;
  if (!email && !legacyDN) return invalid('neither <EMailAddress> nor <LegacyDN> is given');
  return { ok: true, request: result };
}
