/**
 * Autodiscover v2 (`autodiscover.json`): one URL per protocol, no mail server details. Pure: the route hands
 * in the resolved answer and the raw query values, and sends back what this returns.
 */
import type { Answer, ResolvedSettings } from '../settings/resolve.js';
import { splitAddress } from '../settings/resolve.js';

export type V2Protocol = 'AutodiscoverV1' | 'ActiveSync' | 'EWS';

const PROTOCOLS: readonly V2Protocol[] = ['AutodiscoverV1', 'ActiveSync', 'EWS'];

/** Clients send `Autodiscoverv1`, `activesync`, `ews`… (docs/protocol.md §9.1): match without case. */
export function parseV2Protocol(value: string | undefined): V2Protocol | undefined {
  if (value === undefined) return undefined;
  const wanted = value.trim().toLowerCase();
  return PROTOCOLS.find((p) => p.toLowerCase() === wanted);
}

export interface V2Request {
  /** The address asked about; needed to build the onward URL of a redirectUrl answer. */
  email: string;
  /** The request's RedirectCount: how many more redirects the client will follow. */
  redirectCount?: number;
}

export interface V2Response {
  status: number;
  body?: { Protocol: V2Protocol; Url: string } | { ErrorCode: string; ErrorMessage: string };
  location?: string;
}

/** Budget when the request names none: the ten hops a POX client allows itself (MS-OXDISCO). */
export const DEFAULT_REDIRECT_COUNT = 10;

function error(status: number, code: string, message: string): V2Response {
  return { status, body: { ErrorCode: code, ErrorMessage: message } };
}

function protocolUrl(settings: ResolvedSettings, protocol: V2Protocol): string | undefined {
  switch (protocol) {
    case 'AutodiscoverV1':
      return `https://${settings.autodiscoverHost}/autodiscover/autodiscover.xml`;
    case 'ActiveSync':
      return settings.activeSyncUrl;
    case 'EWS':
      return settings.exchange?.ews?.external ?? settings.exchange?.ews?.internal;
  }
}

const PROTOCOL_NAMES: Record<V2Protocol, string> = {
  AutodiscoverV1: 'Autodiscover',
  ActiveSync: 'Exchange ActiveSync',
  EWS: 'Exchange Web Services (EWS)',
};

/** A DNS name (A-labels) with an optional port: nothing that could move a URL's path, user or query. */
const PLAIN_HOST = /^(?!-)[a-z0-9-]{1,63}(\.(?!-)[a-z0-9-]{1,63})+(:\d{1,5})?$/i;

/** `https://<host><path>?<search>`, or undefined when `host` is not a plain host name. */
function onwardUrl(host: string, path: string, search: Record<string, string>): string | undefined {
  if (!PLAIN_HOST.test(host)) return undefined;
  let url: URL;
  try {
    url = new URL(`https://${host}`);
  } catch {
    return undefined; // a port above 65535
  }
  url.pathname = path;
  for (const [key, value] of Object.entries(search)) url.searchParams.set(key, value);
  return url.href;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/**
 * The v2 response for `answer`. `protocol` is the raw `Protocol` query value, validated here. The error never
 * quotes it: nothing a client sends comes back in an answer (a page that shows the message cannot be fooled).
 */
export function renderV2(answer: Answer, protocol: string | undefined, request: V2Request): V2Response {
  const p = parseV2Protocol(protocol);
  if (!p) {
    return error(
      400,
      'InvalidProtocol',
      `${protocol === undefined || protocol.trim() === '' ? 'The Protocol parameter is missing' : 'The given protocol value is invalid'}. Supported values are '${PROTOCOLS.join(', ')}'.`,
    );
  }

  switch (answer.kind) {
    case 'settings': {
      const url = protocolUrl(answer.settings, p);
      if (url === undefined) {
        return error(
          404,
          'ProtocolNotAvailable',
          `${PROTOCOL_NAMES[p]} is not available for addresses at ${answer.settings.domain}.`,
        );
      }
      return { status: 200, body: { Protocol: p, Url: url } };
    }
    case 'not-found':
      return answer.reason === 'unknown-domain'
        ? error(404, 'DomainNotFound', 'This server does not answer for the domain of that address.')
        : error(404, 'UserNotFound', 'No mailbox with that address is known here.');
    case 'redirectAddr':
    case 'redirectUrl': {
      const asked = request.redirectCount;
      const remaining = asked !== undefined && Number.isFinite(asked) ? Math.trunc(asked) : DEFAULT_REDIRECT_COUNT;
      if (remaining <= 0) {
        return error(400, 'RedirectLimit', 'Too many redirects: the address is redirected more often than allowed.');
      }
      const next = String(remaining - 1);
      const location =
        answer.kind === 'redirectAddr'
          ? onwardUrl(
              `autodiscover.${splitAddress(answer.address).domain}`,
              `/autodiscover/autodiscover.json/v1.0/${encodeURIComponent(answer.address)}`,
              { Protocol: p, RedirectCount: next },
            )
          : onwardUrl(hostOf(answer.url), '/autodiscover/autodiscover.json', {
              Email: request.email,
              Protocol: p,
              RedirectCount: next,
            });
      // Only a stored value that is not a host name gets here; the configuration schema rejects those.
      if (location === undefined) return error(500, 'InternalServerError', 'The redirect target is not valid.');
      return { status: 302, location };
    }
  }
}
