import { childText, parseXml, type XmlElement, XmlRejected } from '../xml.js';
import { readCanonicalRequest } from './canonical-request.js';
import { NS, sameNamespace } from './namespaces.js';

/** Which response schema the client accepts, and so which answer it gets. */
export type PoxSchema = 'outlook' | 'mobilesync';

export interface PoxRequest {
  schema: PoxSchema;
  emailAddress?: string;
  legacyDN?: string;
}

/**
 * 600: the request is not a valid Autodiscover request. 601: the requested response schema is not offered.
 * `schema` is set when the request named a schema we offer, so that the error is written in that schema.
 */
export type PoxRequestError = { code: 600 | 601; message: string; detail: string; schema?: PoxSchema };

export type PoxRequestResult = { ok: true; request: PoxRequest } | { ok: false; error: PoxRequestError };

const invalid = (detail: string, schema?: PoxSchema): PoxRequestResult => ({
  ok: false,
  error: { code: 600, message: 'Invalid Request', detail, ...(schema ? { schema } : {}) },
});

/** The schema a request's (single) AcceptableResponseSchema names, if we offer it. */
function schemaOf(request: XmlElement | undefined): PoxSchema | undefined {
  const accepted = request ? childText(request, 'AcceptableResponseSchema') : undefined;
  if (!accepted) return undefined;
  if (sameNamespace(accepted, NS.outlookResponse)) return 'outlook';
  if (sameNamespace(accepted, NS.mobilesyncResponse)) return 'mobilesync';
  return undefined;
}

/** Elements a Request carries at most once (MS-OXDSCLI §2.2.3, MS-ASCMD §6.3 AutodiscoverRequest.xsd). */
const SINGLE = ['AcceptableResponseSchema', 'EMailAddress', 'LegacyDN'] as const;

/**
 * Reads an Outlook (requestschema/2006) or ActiveSync (mobilesync/requestschema/2006) request. The answer's
 * kind is chosen by AcceptableResponseSchema alone (MS-OXDSCLI / MS-ASCMD); the request namespace is not
 * checked strictly because real clients differ in it.
 *
 * The structure is checked as the schemas fix it, and every violation is 600 (Invalid Request):
 * - exactly one `Request` under `Autodiscover` (MS-ASCMD §2.2.3.150.1, requirement R3799: "When more than one
 *   Request elements are present ... the server returns an ErrorCode value of 600");
 * - at most one `AcceptableResponseSchema`, `EMailAddress` and `LegacyDN` in it (each is 1..1 or 0..1 in the
 *   schemas: two addresses leave the server to guess which mailbox is meant);
 * - an `EMailAddress` or a `LegacyDN` (Outlook), an `EMailAddress` for the mobilesync schema, whose request
 *   schema has no LegacyDN (MS-ASCMD §6.3).
 * Unknown extra elements are ignored, as Exchange does: clients add their own.
 */
export function parsePoxRequest(body: string): PoxRequestResult {
  // The usual small request is read by the lean reader; anything else by the full parser, with all its limits.
  let root = readCanonicalRequest(body);
  if (!root) {
    try {
      root = parseXml(body);
    } catch (err) {
      return invalid(err instanceof XmlRejected ? err.message : 'unreadable XML');
    }
  }
  if (root.name !== 'Autodiscover') return invalid(`the root element is <${root.name}>, expected <Autodiscover>`);
  const requests = root.children.filter((c) => c.name === 'Request');
  const request = requests[0];
  if (!request) return invalid('no <Request> element');
  const known = schemaOf(request);
  if (requests.length > 1) return invalid(`${requests.length} <Request> elements, expected exactly one`, known);
  for (const name of SINGLE) {
    const count = request.children.filter((c) => c.name === name).length;
    if (count > 1) return invalid(`${count} <${name}> elements in <Request>, expected at most one`, known);
  }

  const accepted = childText(request, 'AcceptableResponseSchema');
  if (!accepted) return invalid('no <AcceptableResponseSchema>');
  if (!known) {
    return {
      ok: false,
      error: { code: 601, message: 'Provider is not available', detail: 'the AcceptableResponseSchema is not offered' },
    };
  }

  const result: PoxRequest = { schema: known };
  const email = childText(request, 'EMailAddress');
  const legacyDN = childText(request, 'LegacyDN');
  if (email) result.emailAddress = email;
  if (legacyDN) result.legacyDN = legacyDN;
  if (known === 'mobilesync' && !email) return invalid('the mobilesync request has no <EMailAddress>', known);
  if (!email && !legacyDN) return invalid('neither <EMailAddress> nor <LegacyDN> is given', known);
  return { ok: true, request: result };
}
