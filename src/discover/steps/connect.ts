/**
 * The part every URL step shares: resolve the host (through the DNS port), open TLS for evidence, and decide
 * what the client does with the certificate. Returns either a finished step (the lookup could not get as far as
 * a request) or a connection plan for the request.
 */
import { addressFailure } from '../../dns/resolver.js';
import { stepTlsWithVerdicts, type TlsProbeResult } from '../../tls/index.js';
import { addressScope, localScope } from '../address-scope.js';
import type { Lookup, Next, StepLimit, StepRun } from '../context.js';
import type { HttpExchangeRequest, HttpExchangeResult } from '../http.js';
import { certificatePromptMessage, describeConnectFailure, describeDeadline, describeTlsFailure } from '../messages.js';
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
  /**
   * Set when a public name led to this machine (loopback) or its link (link-local): credentials never go there.
   * `private` is set too (for the report), but does not stop credentials: split-horizon DNS is ordinary.
   */
  local?: 'loopback' | 'link-local' | 'private';
  /** Time spent so far (DNS + handshakes). */
  ms: number;
  /** When the step's network part began (ports.now()): its --timeout runs from here, DNS excluded. */
  since: number;
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
  const target = `${url.hostname}:${port}`;
  // 0.0.0.0 and :: are no server: on Linux a connection to them reaches this machine's own listeners.
  const usable = step.addresses.filter((a) => addressScope(a) !== 'unspecified');
  if (usable.length === 0) {
    step.result = 'refused';
    step.refusal = 'unspecified-address';
    step.phase = 'connect';
    step.detail = `${url.hostname} resolves only to ${step.addresses.join(', ')}, an unspecified address: that is no server (on Linux it reaches this machine's own services), so the client does not connect. Fix the A/AAAA records of ${url.hostname}.`;
    return finished();
  }
  const since = lookup.ports.now();
  const cutShort = (limit: StepLimit, stage: 'connect' | 'tls'): ConnectOutcome => {
    step.result = 'timeout';
    step.phase = stage;
    if (limit.by === 'budget') lookup.budgetCut();
    step.detail = describeDeadline(target, stage, { by: limit.by, timeoutMs, budgetMs: lookup.budgetMs });
    return finished();
  };

  if (url.protocol !== 'https:') {
    return {
      kind: 'connected',
      connection: {
        address: usable[0] ?? '',
        addresses: step.addresses,
        certificateValid: false,
        ms: step.ms,
        since,
        ...localOf(url.hostname, usable[0] ?? ''),
      },
    };
  }

  // Like WinHTTP, try each address until one accepts the connection, all within the step's deadline.
  let probe: TlsProbeResult | undefined;
  let limit = lookup.limit(since);
  for (const address of usable) {
    limit = lookup.limit(since);
    if (limit.ms <= 0) break;
    const attempt = await lookup.probe(address, port, url.hostname, charge, limit.ms);
    step.ms = roundMs(step.ms + attempt.ms);
    probe = attempt.value;
    if (probe.failedAt !== 'connect') break;
  }
  if (!probe) return limit.ms <= 0 ? cutShort(limit, 'connect') : finished();
  const tls = stepTlsWithVerdicts(probe) ?? undefined;
  if (tls) step.tls = tls;

  if (probe.failedAt === 'connect' || (probe.failedAt === 'handshake' && !probe.certificate)) {
    const code = probe.code ?? 'ECONNRESET';
    if (code === 'ETIMEDOUT') return cutShort(limit, probe.failedAt === 'connect' ? 'connect' : 'tls');
    step.result = probe.failedAt === 'connect' ? 'connect-failed' : 'tls-error';
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
      since,
      ...localOf(url.hostname, probe.address),
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

function localOf(host: string, address: string): { local?: Connected['local'] } {
  const local = localScope(host, address);
  return local === undefined ? {} : { local };
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
  limit: StepLimit = { ms: request.timeoutMs, by: 'timeout' },
): Promise<Extract<HttpExchangeResult, { ok: true }> | undefined> {
  const response =
    limit.ms > 0
      ? await lookup.exchange(request)
      : ({ ok: false, code: 'ETIMEDOUT', message: 'no time left', ms: 0, sent: false, stage: 'connect' } as const);
  step.ms = roundMs(step.ms + response.ms);
  if (!response.ok && response.code === 'ETIMEDOUT') {
    step.result = 'timeout';
    step.phase = response.stage === 'connect' ? 'connect' : response.stage === 'tls' ? 'tls' : 'http';
    if (!response.sent) {
      delete step.httpMethod;
      delete step.credentialsSent;
    }
    if (limit.by === 'budget') lookup.budgetCut();
    step.detail = describeDeadline(request.url.host, response.stage, {
      by: limit.by,
      timeoutMs: lookup.options.timeoutMs,
      budgetMs: lookup.budgetMs,
    });
    return undefined;
  }
  if (!response.ok) {
    step.result = 'connect-failed';
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
    timeoutMs: Math.max(1, lookup.limit(c.since).ms),
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
  const limit = lookup.limit(connected.connection.since);
  const response = await send(lookup, step, getRequest(lookup, url, connected.connection), limit);
  if (!response) return { done: { step, next: { kind: 'continue' } } };
  return { step, response };
}
