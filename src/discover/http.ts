/**
 * One HTTP(S) exchange for a discovery step: connects to an address the DNS port chose (so `--dns` steers the
 * connection too), never follows redirects, caps the body, and on HTTPS is pinned to the certificate the
 * evidence probe saw, so the answer recorded comes from the certificate recorded.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { TLSSocket } from 'node:tls';
import { trustContext } from '../tls/trust.js';

export interface HttpExchangeRequest {
  url: URL;
  method: 'GET' | 'POST';
  /** The address to connect to (already resolved). */
  address: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * A deadline for the whole exchange (connect, TLS, request, headers and the whole body), not an idle timer: a
   * server dripping its headers or body, or an endless chunked body, cannot keep the step alive past it.
   */
  timeoutMs: number;
  /** Extra trusted roots, added to Node's bundled ones. */
  ca?: readonly string[];
  /**
   * HTTPS only. `verify`: a normal client (the chain and the name must be valid). `pinned`: the user accepted this
   * certificate (a click-through): any certificate is taken, but only the one with this SHA-256 fingerprint.
   */
  tls?: { mode: 'verify' } | { mode: 'pinned'; fingerprint256: string };
  /** The largest body kept; the rest is read and dropped. */
  maxBody?: number;
  /**
   * Abandons the exchange (result code ECANCELED): a request sent ahead of the walk whose answer the lookup, now
   * over, will never take does not hold its connection (and the server's) open until its deadline.
   */
  signal?: AbortSignal;
  /**
   * HTTPS only: a TLS session to resume, from an earlier handshake with the same address, port, SNI name and trust
   * store. A resumed TLS 1.3 connection exchanges no certificate (Node then reports it authorized, with no peer
   * certificate to check, and skips its name check), so the caller vouches for the session's origin: in `verify` mode its full handshake was
   * accepted for this very host name with the same trust store; pinned, it presented the pinned certificate
   * (src/tls/sessions.ts keeps that bond). The server may refuse it: then the handshake is a full one, checked as
   * usual.
   */
  session?: Buffer;
  /**
   * HTTPS only: an open TLS connection to the same address, port and SNI name to send the request on, instead of
   * connecting (an audit's probe connection, src/tls/warm-connections.ts). As with `session`, the caller vouches
   * for its handshake: in `verify` mode it was accepted for this very host name with the same trust store; pinned,
   * it presented the pinned certificate. Without `onReusable` the request is its last one (`Connection: close`).
   */
  connection?: TLSSocket;
  /**
   * With `connection` only: asks the server to keep the connection open (`Connection: keep-alive`) and, once the
   * answer is complete and the server did keep it, hands it back: the caller owns it again.
   */
  onReusable?: (connection: TLSSocket) => void;
  /** HTTPS only: receives the sessions (tickets) this connection's server hands out, and whether it resumed. */
  onSession?: (session: Buffer, resumed: boolean) => void;
}

export type HttpExchangeResult =
  | {
      ok: true;
      status: number;
      headers: IncomingHttpHeaders;
      body: string;
      truncated: boolean;
      ms: number;
      /** HTTPS: whether the server resumed the offered session (no certificate exchanged on this connection). */
      resumed?: boolean;
    }
  /**
   * `sent`: whether the connection (and TLS) was up, so the request went out: false when it never left.
   * `stage`: how far the exchange got when it failed (for a timeout: what the deadline cut short).
   */
  | { ok: false; code: string; message: string; ms: number; sent: boolean; stage: ExchangeStage };

/** Where an exchange was: connecting, in the TLS handshake, waiting for the headers, or reading the body. */
export type ExchangeStage = 'connect' | 'tls' | 'headers' | 'body';

/** The largest answer body kept (post.ts names the figure when it refuses a larger one). */
export const DEFAULT_MAX_BODY = 256 * 1024;

/** The peer's leaf certificate, whatever Node asks (see exchange()'s name check). */
const leafOnly = function (this: TLSSocket) {
  return TLSSocket.prototype.getPeerCertificate.call(this, false);
} as TLSSocket['getPeerCertificate'];

export function exchange(req: HttpExchangeRequest): Promise<HttpExchangeResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  const https = req.url.protocol === 'https:';
  const family = isIP(req.address) === 6 ? 6 : 4;
  // Every name resolution of this connection returns the address the step already resolved.
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: req.address, family },
      ]);
    else callback(null, req.address, family);
  };
  const pin = req.tls?.mode === 'pinned' ? req.tls.fingerprint256 : undefined;
  const reuse = https && req.connection !== undefined ? req.onReusable : undefined;

  return new Promise((resolve) => {
    let settled = false;
    let stage: ExchangeStage = 'connect';
    let deadline: NodeJS.Timeout | undefined;
    const finish = (result: HttpExchangeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const options = {
      method: req.method,
      host: req.url.hostname,
      port: req.url.port || (https ? 443 : 80),
      path: `${req.url.pathname}${req.url.search}`,
      headers: {
        ...(reuse !== undefined ? { connection: 'keep-alive' } : {}),
        ...req.headers,
        ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
      },
      lookup,
      // A connection of its own per exchange (a fresh agent), or the one the caller handed over (no agent then).
      ...(https && req.connection !== undefined
        ? { createConnection: () => req.connection }
        : { agent: false as const }),
      ...(https
        ? {
            servername: isIP(req.url.hostname) ? undefined : req.url.hostname,
            secureContext: trustContext(req.ca),
            rejectUnauthorized: pin === undefined,
            ...(pin !== undefined ? { checkServerIdentity: () => undefined } : {}),
            ...(req.session !== undefined ? { session: req.session } : {}),
          }
        : {}),
    };
    const client = (https ? httpsRequest : httpRequest)(options, (res) => {
      stage = 'body';
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const max = req.maxBody ?? DEFAULT_MAX_BODY;
      res.on('data', (chunk: Buffer) => {
        if (size >= max) {
          truncated = true;
          return;
        }
        chunks.push(chunk.subarray(0, max - size));
        size += chunk.length;
        if (size > max) truncated = true;
      });
      res.on('end', () =>
        finish({
          ok: true,
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          truncated,
          ms: elapsed(),
          ...(https ? { resumed } : {}),
        }),
      );
      res.on('error', (err: NodeJS.ErrnoException) =>
        finish({ ok: false, code: err.code ?? 'ECONNRESET', message: err.message, ms: elapsed(), sent: true, stage }),
      );
    });
    // Until the connection (and, for HTTPS, the handshake) is up, nothing of the request has reached the server.
    let sent = false;
    let resumed = false;
    client.on('socket', (socket) => {
      if (https && req.connection !== undefined) {
        // Connected and through its handshake already: the request goes out at once.
        sent = true;
        stage = 'headers';
        // node:http emits 'free' once the answer is complete on a connection both sides keep open.
        if (reuse !== undefined) socket.once('free', () => reuse(socket as TLSSocket));
        return;
      }
      if (https) socket.once('connect', () => (stage = stage === 'connect' ? 'tls' : stage));
      socket.once(https ? 'secureConnect' : 'connect', () => {
        sent = true;
        stage = 'headers';
      });
      if (!https) return;
      const tlsSocket = socket as TLSSocket;
      // Node's name check (checkServerIdentity, on a full handshake) reads only the leaf's subject and names, but
      // Node hands it the detailed chain, every certificate turned into an object: the leaf alone is enough, and
      // costs a fraction. Until the handshake is done this socket answers that call with the leaf.
      if (pin === undefined) tlsSocket.getPeerCertificate = leafOnly;
      const onSession = req.onSession;
      // Node hands sessions over after 'secureConnect' (and never on a connection it rejected).
      if (onSession !== undefined) tlsSocket.on('session', (session: Buffer) => onSession(session, resumed));
      tlsSocket.once('secureConnect', () => {
        Reflect.deleteProperty(tlsSocket, 'getPeerCertificate');
        // On a resumed session Node shows no peer certificate and skips its name check (TLS 1.2 and 1.3 alike,
        // test/audit/sessions.test.ts): what the session is worth is the caller's word (see `session`).
        resumed = tlsSocket.isSessionReused();
      });
      if (pin === undefined) return;
      socket.once('secureConnect', () => {
        const seen = tlsSocket.getPeerCertificate().fingerprint256;
        // A resumed TLS 1.3 session shows no certificate: its origin is the pinned one (see `session`).
        if (seen === undefined && resumed) return;
        if (seen !== pin) {
          client.destroy(
            Object.assign(new Error('the server presented another certificate than the one accepted'), {
              code: 'ERR_CERT_CHANGED',
            }),
          );
        }
      });
    });
    // One timer for the whole exchange (the `timeout` option of node:http is an idle timer, reset by every byte).
    deadline = setTimeout(() => {
      const error = Object.assign(new Error(`no complete answer within ${req.timeoutMs} ms`), { code: 'ETIMEDOUT' });
      const at = stage;
      client.destroy(error);
      // The response stream may already be detached from the request: settle here, with where the deadline struck.
      finish({ ok: false, code: 'ETIMEDOUT', message: error.message, ms: elapsed(), sent, stage: at });
    }, req.timeoutMs);
    client.on('error', (err: NodeJS.ErrnoException) =>
      finish({
        ok: false,
        code: err.code ?? 'ERR_UNKNOWN',
        message: err.message,
        ms: elapsed(),
        // A certificate that changed since the handshake of the probe: the request is not sent on it.
        sent: sent && err.code !== 'ERR_CERT_CHANGED',
        stage,
      }),
    );
    const cancel = () => {
      const at = stage;
      client.destroy(Object.assign(new Error('abandoned: the lookup is over'), { code: 'ECANCELED' }));
      finish({
        ok: false,
        code: 'ECANCELED',
        message: 'abandoned: the lookup is over',
        ms: elapsed(),
        sent,
        stage: at,
      });
    };
    if (req.signal?.aborted) cancel();
    req.signal?.addEventListener('abort', cancel, { once: true });
    client.once('close', () => req.signal?.removeEventListener('abort', cancel));
    if (req.body !== undefined) client.write(req.body);
    client.end();
  });
}

/** The schemes a 401 offers: `Negotiate`, `NTLM`, `Basic realm="x"` → ['Negotiate', 'NTLM', 'Basic']. */
export function authSchemes(headers: Readonly<Record<string, string | string[] | undefined>>): string[] {
  const raw = headers['www-authenticate'];
  const values = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const schemes: string[] = [];
  for (const value of values) {
    // A header may carry several challenges: "Negotiate, NTLM" or "Basic realm="a, b"".
    for (const m of value.matchAll(/(?:^|,)\s*([A-Za-z][A-Za-z0-9-]*)(?=\s|,|$)(?![^"]*"(?:[^"]*"[^"]*")*[^"]*$)/g)) {
      const scheme = m[1];
      if (scheme && !/=/.test(scheme) && !schemes.includes(scheme)) schemes.push(scheme);
    }
  }
  return schemes;
}
