/**
 * The part every URL step shares: resolve the host (through the DNS port), open TLS for evidence, and decide
 * what the client does with the certificate. Returns either a finished step (the lookup could not get as far as
 * a request) or a connection plan for the request.
 */
import { addressFailure } from '../../dns/resolver.js';
import { stepTlsWithVerdicts, type TlsProbeResult } from '../../tls/index.js';
import type { Lookup, Next, StepRun } from '../context.js';
import type { HttpExchangeRequest, HttpExchangeResult } from '../http.js';
import { certificatePromptMessage, describeConnectFailure, describeTlsFailure } from '../messages.js';
import { certificatePolicy } from '../profiles.js';
import type { Step, StepMethod, StepTls } from '../report.js';

export interface Connected {
  address: string;
  addresses: string[];
  /** HTTPS only: the evidence, and whether the client accepted the certificate (valid, or clicked through). */
  probe?: TlsProbeResult;
  tls?: StepTls;
  /** The certificate passed every check: the only case in which credentials may be sent. */
  certificateValid: boolean;
  /** Time spent so far (DNS + handshakes). */
  ms: number;
}

const roundMs = (ms: number) => Math.round(ms * 10) / 10;

export type ConnectOutcome = { kind: 'connected'; connection: Connected } | { kind: 'finished'; run: StepRun };

function base(method: StepMethod, email: string, url: URL, round: number): Step {
  return {
    method,
    email,
    url: url.href,
    host: url.hostname,
    addresses: [],
    result: 'skipped',
    status: null,
    redirectTo: null,
    detail: '',
    ms: 0,
    round,
  };
}

/**
 * Resolves and (for HTTPS) handshakes. `accept` says whether a certificate problem may be clicked through
 * here (the user's --accept certificate, for steps whose policy is to prompt).
 */
export async function connect(
  lookup: Lookup,
  method: StepMethod,
  email: string,
  url: URL,
  round: number,
  options: { prefetch?: boolean } = {},
): Promise<ConnectOutcome> {
  const charge = !options.prefetch;
  const step = base(method, email, url, round);
  const finished = (next: Next = { kind: 'continue' }): ConnectOutcome => ({ kind: 'finished', run: { step, next } });
  const { timeoutMs } = lookup.options;

  const dns = await lookup.resolve(url.hostname, charge);
  step.ms = roundMs(step.ms + dns.ms);
  step.dnsMs = dns.ms;
  const resolved = dns.value;
  if (resolved.status !== 'ok') {
    const failure = addressFailure(resolved);
    step.phase = 'dns';
    step.result = failure.result;
    step.detail = `${url.hostname} ${failure.reason}.`;
    return finished();
  }
  step.addresses = resolved.addresses.map((a) => a.address);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));

  if (url.protocol !== 'https:') {
    return {
      kind: 'connected',
      connection: { address: step.addresses[0] ?? '', addresses: step.addresses, certificateValid: false, ms: step.ms },
    };
  }

  // Like WinHTTP, try each address until one accepts the connection.
  let probe: TlsProbeResult | undefined;
  for (const address of step.addresses) {
    const attempt = await lookup.probe(address, port, url.hostname, charge);
    step.ms = roundMs(step.ms + attempt.ms);
    probe = attempt.value;
    if (probe.failedAt !== 'connect') break;
  }
  if (!probe) return finished();
  const tls = stepTlsWithVerdicts(probe) ?? undefined;
  if (tls) step.tls = tls;
  const target = `${url.hostname}:${port}`;

  if (probe.failedAt === 'connect' || (probe.failedAt === 'handshake' && !probe.certificate)) {
    const code = probe.code ?? 'ECONNRESET';
    step.result = code === 'ETIMEDOUT' ? 'timeout' : probe.failedAt === 'connect' ? 'connect-failed' : 'tls-error';
    step.phase = probe.failedAt === 'connect' ? 'connect' : 'tls';
    step.detail = describeConnectFailure(code, target, timeoutMs);
    return finished();
  }
  const connected = (certificateValid: boolean): ConnectOutcome => ({
    kind: 'connected',
    connection: {
      address: probe.address,
      addresses: step.addresses,
      probe,
      ...(tls ? { tls } : {}),
      certificateValid,
      ms: step.ms,
    },
  });
  if (probe.code === null) return connected(true);

  // The certificate is refused. The profile decides: move on silently, or stop at the security prompt.
  const why = describeTlsFailure(probe);
  if (certificatePolicy(lookup.profile, method) === 'move-on') {
    step.result = 'tls-error';
    step.detail = `${why} At this step ${lookup.profile.short} moves on without asking.`;
    return finished();
  }
  if (!lookup.options.accept.certificate) {
    step.result = 'prompt';
    step.detail = `${why} ${lookup.profile.short} stops here and asks the user.`;
    return finished({
      kind: 'prompt',
      prompt: {
        kind: 'certificate',
        url: url.href,
        host: url.hostname,
        message: certificatePromptMessage(url.hostname, probe),
      },
    });
  }
  // --accept certificate: the user pressed Yes. The request goes on, pinned to this certificate, without credentials.
  return connected(false);
}

/** A step record for a request step, ready to be completed by the caller. */
export function stepFor(method: StepMethod, email: string, url: URL, round: number, connection: Connected): Step {
  const step: Step = {
    method,
    email,
    url: url.href,
    host: url.hostname,
    addresses: connection.addresses,
    result: 'skipped',
    status: null,
    redirectTo: null,
    detail: '',
    ms: connection.ms,
    round,
  };
  if (connection.tls) step.tls = connection.tls;
  return step;
}

/**
 * Sends a step's request and charges its time to the step. A transport failure completes the step (timeout or
 * connect-failed, in the HTTP phase) and returns undefined; otherwise the response, with the status recorded.
 */
export async function send(
  lookup: Lookup,
  step: Step,
  request: HttpExchangeRequest,
): Promise<Extract<HttpExchangeResult, { ok: true }> | undefined> {
  const response = await lookup.exchange(request);
  step.ms = roundMs(step.ms + response.ms);
  if (!response.ok) {
    step.result = response.code === 'ETIMEDOUT' ? 'timeout' : 'connect-failed';
    step.phase = 'http';
    if (!response.sent) {
      // The connection never came up (a refused port 80, say): no request reached a server, so the step made none.
      step.phase = request.url.protocol === 'https:' && response.code !== 'ETIMEDOUT' ? 'tls' : 'connect';
      delete step.httpMethod;
      delete step.credentialsSent;
    }
    step.detail = describeConnectFailure(response.code, request.url.host, lookup.options.timeoutMs);
    return undefined;
  }
  step.status = response.status;
  return response;
}

/** The unauthenticated GET of a step (HTTP redirect method, autoconfig): no credentials, no following. */
export function getRequest(lookup: Lookup, url: URL, c: Connected): HttpExchangeRequest {
  return {
    url,
    method: 'GET',
    address: c.address,
    headers: { 'user-agent': lookup.profile.headers['user-agent'] ?? 'autodisco' },
    timeoutMs: lookup.options.timeoutMs,
    ca: lookup.options.ca,
    ...(url.protocol === 'https:'
      ? {
          tls: c.certificateValid
            ? { mode: 'verify' as const }
            : { mode: 'pinned' as const, fingerprint256: c.probe?.certificate?.sha256 ?? '' },
        }
      : {}),
  };
}

/** Connects and sends a step's GET: either the step ended on the way (`done`), or here is the answer. */
export async function getStep(
  lookup: Lookup,
  method: StepMethod,
  email: string,
  url: URL,
  round: number,
): Promise<{ done: StepRun } | { step: Step; response: Extract<HttpExchangeResult, { ok: true }> }> {
  const connected = await connect(lookup, method, email, url, round);
  if (connected.kind === 'finished') return { done: connected.run };
  const step = stepFor(method, email, url, round, connected.connection);
  step.httpMethod = 'GET';
  step.credentialsSent = false;
  const response = await send(lookup, step, getRequest(lookup, url, connected.connection));
  if (!response) return { done: { step, next: { kind: 'continue' } } };
  return { step, response };
}
