/** The POX request a client sends (MS-OXDSCLI requestschema/2006, MS-ASCMD mobilesync requestschema/2006). */

import { NS } from '../formats/pox/namespaces.js';
import { el, textEl, xmlDocument } from '../formats/xml.js';

export function poxRequestBody(email: string, schema: 'outlook' | 'mobilesync'): string {
  const [requestNs, responseNs] =
    schema === 'outlook' ? [NS.outlookRequest, NS.outlookResponse] : [NS.mobilesyncRequest, NS.mobilesyncResponse];
  return xmlDocument(
    el(
      'Autodiscover',
      { xmlns: requestNs },
      el('Request', {}, textEl('EMailAddress', email), textEl('AcceptableResponseSchema', responseNs)),
    ),
  );
}
