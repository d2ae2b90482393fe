/**
 * The authenticated POST of the POX request to one candidate URL, and what the client makes of the answer
 * (docs/protocol.md §1.3, the continue-or-stop table).
 */
import type { Lookup, StepRun } from '../context.js';
import type { HttpExchangeRequest } from '../http.js';
import { authSchemes } from '../http.js';
import { parseAutodiscoverResponse } from '../parse-response.js';
import type { StepProtocol } from '../profiles.js';
import type { Step, StepMethod } from '../report.js';
import { poxRequestBody } from '../request-body.js';
import { readSoapAnswer, soapRequestBody } from '../soap-answer.js';
import { type Connected, connect, send, stepFor } from './connect.js';

export interface PostTarget {
  method: StepMethod;
  url: URL;
  email: string;
  round: number;
  /** A host the user did not name (redirect or SRV target): credentials only after consent. */
  foreign: boolean;
  /** The user agreed to this target (a prompt answered, or --accept redirect). */
  consented: boolean;
  /** `soap`: GetUserSettings to an autodiscover.svc URL (the `ews` profile); absent: the POX request. */
  protocol?: StepProtocol;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * The POST a client sends to `target` over `c`. Credentials go only over HTTPS, only to a certificate that passed
 * every check, and never to a target the user has not agreed to (docs/tls.md §5).
 */
export function buildPost(
  lookup: Lookup,
  target: PostTarget,
  c: Connected,
): { request: HttpExchangeRequest; mayAuthenticate: boolean } {
  const { options, profile } = lookup;
  // Never to this machine or its link for a public name, however valid the certificate (address-scope.ts).
  const mayAuthenticate =
    options.credentials !== undefined &&
    c.certificateValid &&
    (!target.foreign || target.consented) &&
    c.local !== 'loopback' &&
    c.local !== 'link-local';
  const headers: Record<string, string> = { ...profile.headers };
  if (mayAuthenticate && options.credentials) {
    headers['authorization'] =
      `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}`;
  }
  const { url } = target;
  return {
    mayAuthenticate,
    request: {
      url,
      method: 'POST',
      address: c.address,
      headers,
      body:
        target.protocol === 'soap' ? soapRequestBody(target.email, url) : poxRequestBody(target.email, profile.schema),
      timeoutMs: Math.max(1, lookup.limit(c.since).ms),
      ca: options.ca,
      ...(url.protocol === 'https:'
        ? {
            tls: c.certificateValid
              ? { mode: 'verify' as const }
              : { mode: 'pinned' as const, fingerprint256: c.probe?.certificate?.sha256 ?? '' },
          }
        : {}),
    },
  };
}

/** Steps whose credentials were kept back from a local address of a public name, with the words to say so. */
const withheld = new WeakMap<StepRun['step'], string>();

/** One POST step; its detail ends by saying so when credentials were withheld (see buildPost). */
export async function postStep(lookup: Lookup, target: PostTarget): Promise<StepRun> {
  const run = await postOnce(lookup, target);
  const note = withheld.get(run.step);
  if (note !== undefined) run.step.detail = `${run.step.detail} ${note}`;
  return run;
}

async function postOnce(lookup: Lookup, target: PostTarget): Promise<StepRun> {
  const { method, url, email, round } = target;
  const connected = await connect(lookup, method, email, url, round);
  if (connected.kind === 'finished') return connected.run;
  const c = connected.connection;
  const step = stepFor(method, email, url, round, c);
  const { options, profile } = lookup;

  const limit = lookup.limit(c.since);
  const { request, mayAuthenticate } = buildPost(lookup, target, c);
  step.httpMethod = 'POST';
  step.credentialsSent = mayAuthenticate;
  const response = await send(lookup, step, request, limit);
  if (options.credentials !== undefined && (c.local === 'loopback' || c.local === 'link-local')) {
    withheld.set(
      step,
      `Credentials withheld: ${url.hostname} is a public name, but it resolved to ${c.address}, a ${c.local} address.`,
    );
  }
  if (!response) return { step, next: { kind: 'continue' } };
  const accepted = c.certificateValid ? '' : ' (certificate accepted by the user)';

  if (REDIRECT_STATUSES.has(response.status)) {
    const location = response.headers.location;
    let to: URL | undefined;
    try {
      to = location ? new URL(location, url) : undefined;
    } catch {
      to = undefined;
    }
    if (!to) {
      step.result = 'http-status';
      step.detail = `HTTP ${response.status} without a usable Location header.`;
      return { step, next: { kind: 'continue' } };
    }
    step.result = 'redirect-url';
    step.redirectTo = to.href;
    step.detail = `HTTP ${response.status} redirect to ${to.href}.`;
    return { step, next: { kind: 'redirect-url', url: to } };
  }
  if (response.status === 401) {
    const schemes = authSchemes(response.headers);
    step.result = 'http-status';
    step.authSchemes = schemes;
    step.detail = `HTTP 401: the server wants ${schemes.length ? schemes.join(', ') : 'authentication'}${
      mayAuthenticate
        ? ' and refused the credentials sent'
        : options.credentials
          ? '; no credentials were sent here'
          : '; no credentials were given'
    }. The client moves on.`;
    return { step, next: { kind: 'continue' } };
  }
  if (response.status !== 200) {
    step.result = 'http-status';
    step.detail =
      target.protocol === 'soap'
        ? `HTTP ${response.status}: no SOAP Autodiscover answer at ${url.pathname}${accepted}. The client moves on.`
        : `HTTP ${response.status}: not an Autodiscover answer${accepted}. The client moves on.`;
    return { step, next: { kind: 'continue' } };
  }

  if (response.truncated) {
    // Real answers are a few KiB; a cut-off body would only read as malformed XML, which says less.
    step.result = 'invalid-response';
    step.detail = 'HTTP 200 with an answer larger than 256 KiB: not an Autodiscover answer. The client moves on.';
    return { step, next: { kind: 'continue' } };
  }
  if (target.protocol === 'soap') return { step, next: soapNext(step, response.body, target, accepted) };
  const parsed = parseAutodiscoverResponse(response.body, profile.schema);
  switch (parsed.kind) {
    case 'settings':
      if (profile.needsEwsUrl && !parsed.protocols.some((p) => typeof p['ewsUrl'] === 'string' && p['ewsUrl'] !== '')) {
        step.result = 'error-response';
        step.missingSettings = ['EwsUrl'];
        step.detail = `Autodiscover settings with ${parsed.protocols.length} protocol block(s), but no EwsUrl: ${profile.short} has no EWS URL (AutodiscoverDidNotReturnEwsUrl) and fails.`;
        return { step, next: { kind: 'fail' } };
      }
      step.result = 'settings';
      step.detail = `Autodiscover settings with ${parsed.protocols.length} protocol block(s)${accepted}.`;
      return {
        step,
        next: {
          kind: 'settings',
          settings: { email, url: url.href, method, user: parsed.user, protocols: parsed.protocols },
        },
      };
    case 'redirectAddr':
      step.result = 'redirect-addr';
      step.redirectTo = parsed.address;
      step.detail = `Action redirectAddr: the lookup starts again for ${parsed.address}.`;
      return { step, next: { kind: 'redirect-addr', address: parsed.address } };
    case 'redirectUrl': {
      let to: URL | undefined;
      try {
        to = new URL(parsed.url);
      } catch {
        to = undefined;
      }
      step.redirectTo = parsed.url;
      if (!to) {
        step.result = 'invalid-response';
        step.detail = `Action redirectUrl with a RedirectUrl that is not a URL.`;
        return { step, next: { kind: 'continue' } };
      }
      step.result = 'redirect-url';
      step.detail = `Action redirectUrl: the request goes to ${to.href}.`;
      return { step, next: { kind: 'redirect-url', url: to } };
    }
    case 'error': {
      step.result = 'error-response';
      // An error from an SCP URL is inconclusive (EWS Managed API); elsewhere it is the server's final word.
      const final = method !== 'scp' && profile.errorResponse === 'stop';
      step.detail = `Autodiscover error ${parsed.code}: ${parsed.message}${final ? ' The client stops here.' : ' The client tries the next URL.'}`;
      return { step, next: final ? { kind: 'fail' } : { kind: 'continue' } };
    }
    case 'invalid':
      step.result = 'invalid-response';
      step.detail = `HTTP 200, but not an Autodiscover answer: ${parsed.reason}.`;
      return { step, next: { kind: 'continue' } };
  }
}

/** What an EWS application does with a GetUserSettings answer (HTTP 200): docs/lookups.md, the ews profile. */
function soapNext(step: Step, body: string, target: PostTarget, accepted: string): StepRun['next'] {
  const { url, email, method } = target;
  const read = readSoapAnswer(body);
  if (read.kind === 'invalid') {
    step.result = 'invalid-response';
    step.detail = `HTTP 200, but not a GetUserSettings answer: ${read.reason}. The client moves on.`;
    return { kind: 'continue' };
  }
  step.soap = { errorCode: read.errorCode };
  if (read.kind === 'missing') step.missingSettings = read.missing;
  switch (read.kind) {
    case 'settings':
      step.result = 'settings';
      step.detail = `GetUserSettings answered NoError with the EWS URL${accepted}.`;
      return {
        kind: 'settings',
        settings: { email, url: url.href, method, user: read.user, protocols: read.protocols },
      };
    case 'redirect-addr':
      step.result = 'redirect-addr';
      step.redirectTo = read.address;
      step.detail = `ErrorCode RedirectAddress: the lookup starts again for ${read.address}.`;
      return { kind: 'redirect-addr', address: read.address };
    case 'redirect-url': {
      step.redirectTo = read.url;
      let to: URL;
      try {
        to = new URL(read.url);
      } catch {
        step.result = 'invalid-response';
        step.detail = 'ErrorCode RedirectUrl with a RedirectTarget that is not a URL. The client moves on.';
        return { kind: 'continue' };
      }
      step.result = 'redirect-url';
      step.detail = `ErrorCode RedirectUrl: GetUserSettings goes to ${to.href}.`;
      return { kind: 'redirect-url', url: to };
    }
    case 'missing':
      step.result = 'error-response';
      step.detail = `GetUserSettings answered NoError, but with neither ${read.missing.join(' nor ')}: the application has no EWS URL (AutodiscoverDidNotReturnEwsUrl) and gives up on SOAP Autodiscover; its POX lookup follows.`;
      return { kind: 'soap-fallback' };
    case 'error':
      step.result = 'error-response';
      if (read.scope === 'response') {
        step.detail = `GetUserSettings refused the request: ErrorCode ${read.errorCode}${read.message ? ` (${read.message})` : ''}. The client tries the next host.`;
        return { kind: 'continue' };
      }
      step.detail = `GetUserSettings answered ErrorCode ${read.errorCode} for the user${read.message ? ` (${read.message})` : ''}: the application gives up on SOAP Autodiscover; its POX lookup follows.`;
      return { kind: 'soap-fallback' };
  }
}
