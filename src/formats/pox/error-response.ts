/**
 * Autodiscover error answers (MS-OXDSCLI §2.2.4.1.1.3, MS-ASCMD Error). They travel with HTTP 200, as
 * Exchange sends them. Nothing of the request is echoed: a request is not data we want in an answer.
 */
import { el, textEl, xmlDocument } from '../xml.js';
import { NS } from './namespaces.js';
import type { PoxSchema } from './request.js';

export const ERROR_MESSAGES = {
  500: "The email address can't be found.",
  501: 'The email address has no configuration.',
  600: 'Invalid Request',
  601: 'Provider is not available',
  603: 'The server encountered an internal error.',
} as const;

export type PoxErrorCode = keyof typeof ERROR_MESSAGES;

/** `hh:mm:ss.fffffff`, the time-of-day form Exchange puts in Error@Time. */
export function errorTime(now: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds(), 3)}0000`;
}

export function renderPoxError(
  code: PoxErrorCode,
  options: { schema?: PoxSchema; now: Date; serverId: number },
): string {
  const ns =
    options.schema === 'mobilesync'
      ? NS.mobilesyncResponse
      : options.schema === 'outlook'
        ? NS.outlookResponse
        : undefined;
  return xmlDocument(
    el(
      'Autodiscover',
      { xmlns: NS.response },
      el(
        'Response',
        { xmlns: ns },
        el(
          'Error',
          { Time: errorTime(options.now), Id: String(options.serverId) },
          textEl('ErrorCode', code),
          textEl('Message', ERROR_MESSAGES[code]),
          el('DebugData'),
        ),
      ),
    ),
  );
}
