/**
 * The TLS probe: one handshake (sometimes two), no application data ever (never a request, let alone
 * credentials), and every piece of certificate evidence captured even when the certificate is rejected. This is the only file in src/tls that touches the network.
 */
import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls, { type DetailedPeerCertificate, type SecureContext, type TLSSocket } from 'node:tls';
import { AutodiscoError } from '../errors.js';
import { namesMayMatch, sameCertificate, toX509List } from './certificate.js';
import { analyzeChain, type ChainAnalysis } from './chain.js';
import { verifyErrorMessage } from './codes.js';
import { certificateCache } from './der-cache.js';
import { matchName, type NameMatch } from './names.js';
import { type CertificateSummary, summarizeCertificate } from './summary.js';
import { trustContext } from './trust.js';

export interface TlsProbeOptions {
  /** IP address to connect to. Names are resolved by the caller, so DNS (and `--dns`) stays under its control. */
  address: string;
  port: number;
  /** SNI to send; `null` sends none. An IP literal is not sent either (RFC 6066 forbids it; https omits it too). */
  servername: string | null;
  /** Name the certificate must carry. Default: `servername`, else `address`. */
  host?: string;
  /** Extra trusted roots (PEM), ADDED to `tls.rootCertificates`, never replacing them. */
  ca?: readonly string[];
  /** Deadline for the whole probe: connect + handshake, the second look included (default 10000). */
  timeoutMs?: number;
  /** Reference time for the chain analysis (default: now). */
  now?: Date;
  /** Allow a second handshake to resolve the served chain when the first is ambiguous and its sent certificates
   * cannot be read (default true; see ServedChainMethod). */
  secondLook?: boolean;
  /**
   * Receives the TLS sessions (tickets) the server hands out on the probe's first handshake, for a later
   * connection to resume (sessions.ts), then `null` once its connection is closed (no more will come); never those
   * of the second look, whose trust store is empty.
   */
  onSession?: (session: Buffer | null) => void;
  /**
   * Takes the first handshake's connection, open, instead of the probe closing it (never the second look's): the
   * caller then owns it and must close it (an audit sends the step's request on it, warm-connections.ts). Called
   * only when the handshake completed, before the probe's result is known.
   */
  onOpen?: (connection: TLSSocket) => void;
}

/**
 * How `servedChain` was obtained. Node's detailed peer certificate is the chain linked from the leaf, with the
 * local trust-store root appended when the server did not send it, so:
 * - `handshake`: the linked chain does not end in a trust-store certificate, so nothing was appended: exact.
 * - `sent`: it did; the certificates the server sent in that same handshake (OpenSSL's peer chain, which holds
 *   nothing from our store), linked from the leaf the way Node links them, gave the chain as sent: exact, and
 *   what a second handshake with an empty trust store would give, without making one.
 * - `second-look`: the sent certificates could not be read; a second handshake with an empty trust store (which
 *   appends nothing) and the same leaf gave the chain as sent.
 * - `assumed`: neither worked (the second look failed, was not allowed, or saw another leaf: a load balancer);
 *   trailing trust-store certificates were dropped on the assumption the server did not send its root (the
 *   common case; sending it is harmless).
 */
export type ServedChainMethod = 'handshake' | 'sent' | 'second-look' | 'assumed';

export interface TlsProbeResult {
  address: string;
  port: number;
  /** The SNI actually sent, null when none was. */
  servername: string | null;
  /** The name the certificate was checked against. */
  host: string;
  /** Whether the TLS handshake completed (with `rejectUnauthorized: false`, so also for bad certificates). */
  handshake: boolean;
  /** Where a failed probe stopped: `connect` (no TCP connection), `handshake` (TCP up, TLS failed), else null. */
  failedAt: 'connect' | 'handshake' | null;
  /**
   * The error a normal HTTPS client reports: the connection error (ECONNREFUSED, ECONNRESET, ETIMEDOUT,
   * ERR_SSL_WRONG_VERSION_NUMBER, …), else OpenSSL's chain verdict (CERT_HAS_EXPIRED, …), else
   * ERR_TLS_CERT_ALTNAME_INVALID when the name does not match; null when the certificate is accepted.
   */
  code: string | null;
  message: string | null;
  protocol: string | null;
  cipher: string | null;
  /** OpenSSL's chain verdict against `tls.rootCertificates` + `ca` (the name is not part of it). */
  authorized: boolean;
  authorizationError: string | null;
  /** `tls.checkServerIdentity`'s reason when the name does not match, else null. */
  identityError: string | null;
  /** The leaf, captured even when rejected. */
  certificate: CertificateSummary | null;
  /** The certificates the server sent that chain from the leaf, leaf first (see `chainMethod`). */
  chain: CertificateSummary[];
  /** The same certificates as objects, for further checks (not JSON material). */
  servedChain: X509Certificate[];
  chainMethod: ServedChainMethod | null;
  /** Our own analysis of `servedChain` against the same trust store: every problem, not just the first. */
  chainAnalysis: ChainAnalysis | null;
  /** The three name verdicts for `host`. */
  names: NameMatch | null;
  /** Wall time of the probe, all handshakes included. */
  ms: number;
}

type Handshake =
  | {
      ok: true;
      protocol: string | null;
      cipher: string | null;
      authorized: boolean;
      authorizationError: string | null;
      /** The certificates as the server sent them, in its order; empty when Node could not say. */
      sent: X509Certificate[];
      /** Node's detailed peer chain (see ServedChainMethod), read only when `sent` is empty: it costs more. */
      linked: X509Certificate[] | null;
    }
  | { ok: false; failedAt: 'connect' | 'handshake'; code: string; message: string };

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Node's bundled roots, parsed once (about 17 ms for 144 certificates). `tls.rootCertificates` is frozen for the
 * life of the process, so this memo can never go stale; extra roots are parsed per probe.
 */
let bundledRoots: X509Certificate[] | undefined;
function trustStore(extra: readonly X509Certificate[]): X509Certificate[] {
  bundledRoots ??= toX509List(tls.rootCertificates);
  return [...bundledRoots, ...extra];
}

/** The extra roots of recent probes, parsed (a run's --ca is the same for every probe). */
const parsedExtraRoots = new Map<string, X509Certificate[]>();

/** Parses the extra roots up front, so a bad `ca` is the caller's error rather than a failed probe. */
function extraRoots(ca: readonly string[]): X509Certificate[] {
  const key = ca.join('\u0000');
  const known = parsedExtraRoots.get(key);
  if (known !== undefined) return known;
  const roots = ca.flatMap((pem, i) => {
    const certs = toX509List([pem]);
    if (certs.length === 0) throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `ca[${i}] holds no PEM certificate`);
    return certs;
  });
  // As small and bounded as trust.ts's secure contexts: a process rarely sees more than a few --ca sets.
  if (parsedExtraRoots.size >= 16) parsedExtraRoots.clear();
  parsedExtraRoots.set(key, roots);
  return roots;
}
const CLOSE_GRACE_MS = 1_000;

/** Node's error code; an AggregateError (several addresses tried) carries it on itself or its first error. */
function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    if ('code' in error && typeof error.code === 'string') return error.code;
    if ('errors' in error && Array.isArray(error.errors)) return errorCode(error.errors[0]);
  }
  return 'UNKNOWN';
}

/** The issuer-linked chain Node reconstructed, leaf first. Self-signed certificates point at themselves. */
export function walkPeerChain(peer: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = peer;
  while (current?.raw !== undefined && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    // The same intermediate and root come with every handshake: parsed once per DER (der-cache.ts).
    chain.push(certificateCache.fromDer(current.raw, current.fingerprint256));
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * The certificates the server sent, in its order: OpenSSL's peer chain, which Node hands out as the peer
 * X509Certificate and its `issuerCertificate` links (unlike getPeerCertificate(true), nothing from the trust store).
 */
function sentCertificates(socket: TLSSocket): X509Certificate[] {
  const sent: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let cert = socket.getPeerX509Certificate(); cert !== undefined; cert = cert.issuerCertificate) {
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
    sent.push(certificateCache.adopt(cert));
  }
  return sent;
}

/**
 * The sent certificates linked from the leaf as Node links the detailed peer certificate: each step takes the
 * first remaining sent certificate that issued the current one (X509_check_issued), until none does.
 */
export function linkSent(sent: readonly X509Certificate[]): X509Certificate[] {
  const [leaf, ...rest] = sent;
  if (leaf === undefined) return [];
  const chain = [leaf];
  const left = [...rest];
  for (let current = leaf; ; ) {
    const at = left.findIndex((candidate) => current.checkIssued(candidate));
    if (at < 0) return chain;
    current = left.splice(at, 1)[0] as X509Certificate;
    chain.push(current);
  }
}

/** What the probe's socket answers Node's own getPeerCertificate(true) during the handshake (see handshake()). */
const skippedPeerCertificate = (() => ({})) as unknown as TLSSocket['getPeerCertificate'];

function handshake(
  options: {
    address: string;
    port: number;
    sni: string | null;
    secureContext: SecureContext;
    onSession?: ((session: Buffer | null) => void) | undefined;
    onOpen?: ((connection: TLSSocket) => void) | undefined;
  },
  timeoutMs: number,
): Promise<Handshake> {
  return new Promise((resolve) => {
    let connected = false;
    let done = false;
    const socket = tls.connect({
      host: options.address,
      port: options.port,
      servername: options.sni ?? '', // '' sends no SNI
      secureContext: options.secureContext,
      rejectUnauthorized: false,
      // Node's built-in name check would run against `servername` (or the address when there is none) and mix
      // its verdict into authorizationError. We keep authorizationError for the chain and check the name ourselves.
      checkServerIdentity: () => undefined,
    });
    // Node builds the detailed peer chain (getPeerCertificate(true): every certificate, the store's root included,
    // turned into an object) only to hand it to checkServerIdentity, which the probe replaces by a no-op above: its
    // name verdict is matchName's, its chain verdict OpenSSL's. Until the handshake is done this socket answers
    // that call with nothing (12% of an audit's CPU went there); the probe reads the certificates itself.
    socket.getPeerCertificate = skippedPeerCertificate;
    const finish = (outcome: Handshake) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (outcome.ok && options.onOpen !== undefined) {
        options.onOpen(socket);
      } else if (outcome.ok) {
        // Close politely, sending nothing but close_notify: destroy() would drop our TLS 1.3 Finished still queued,
        // and the server would log a failed handshake for every probe. The unref'd timer bounds the wait.
        socket.end();
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      } else {
        socket.destroy();
      }
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      const phase = connected ? 'TLS handshake' : 'connection';
      const message = `${phase} to ${options.address}:${options.port} timed out after ${timeoutMs} ms`;
      finish({ ok: false, failedAt: connected ? 'handshake' : 'connect', code: 'ETIMEDOUT', message });
    }, timeoutMs);
    socket.once('connect', () => {
      connected = true;
    });
    // TLS 1.3 tickets arrive just after the handshake, while the socket closes: still taken.
    const onSession = options.onSession;
    if (onSession !== undefined) {
      socket.on('session', (session: Buffer) => onSession(session));
      socket.once('close', () => onSession(null));
    }
    socket.once('secureConnect', () => {
      // Node's check is over: the socket's own method again.
      Reflect.deleteProperty(socket, 'getPeerCertificate');
      const cipher = socket.getCipher();
      const error = socket.authorizationError;
      const sent = sentCertificates(socket);
      finish({
        ok: true,
        protocol: socket.getProtocol(),
        cipher: cipher?.standardName ?? cipher?.name ?? null,
        authorized: socket.authorized,
        authorizationError: error === undefined || error === null ? null : String(error),
        sent,
        linked: sent.length > 0 ? null : walkPeerChain(socket.getPeerCertificate(true)),
      });
    });
    // Stays attached after the outcome is known: a reset while closing must not become an uncaught error.
    socket.on('error', (error: Error) => {
      finish({
        ok: false,
        failedAt: connected ? 'handshake' : 'connect',
        code: errorCode(error),
        message: error.message,
      });
    });
  });
}

/** The chain linked from the leaf: from the sent certificates when Node gave them, else Node's detailed chain. */
function linkedChain(h: Extract<Handshake, { ok: true }>): X509Certificate[] {
  return h.sent.length > 0 ? linkSent(h.sent) : (h.linked ?? []);
}

/**
 * The served chain from the certificates sent (see ServedChainMethod): the linked chain itself, whatever the
 * store holds. The method says what Node's detailed chain would have needed: `handshake` when it would have
 * ended outside the trust store, else `sent` (Node appends store issuers while the chain's top is not
 * self-issued, as X509_check_issued(top, top) says).
 */
function servedChainFromSent(
  sent: X509Certificate[],
  trust: X509Certificate[],
): { chain: X509Certificate[]; method: ServedChainMethod } {
  const chain = linkSent(sent);
  const top = chain[chain.length - 1] as X509Certificate;
  const appended = !top.checkIssued(top) && trust.some((t) => namesMayMatch(top, t) && top.checkIssued(t));
  const endsInStore = appended || (chain.length > 1 && trust.some((t) => sameCertificate(t, top)));
  return { chain, method: endsInStore ? 'sent' : 'handshake' };
}

/** Resolves which of Node's linked certificates the server really sent, when the sent ones could not be read. */
async function servedChainOf(
  first: X509Certificate[],
  trust: X509Certificate[],
  second: () => Promise<Handshake> | null,
): Promise<{ chain: X509Certificate[]; method: ServedChainMethod }> {
  const inStore = (cert: X509Certificate) => trust.some((t) => sameCertificate(t, cert));
  const tail = first[first.length - 1];
  // The leaf is always sent; only certificates after it can have come from our own store.
  if (first.length < 2 || tail === undefined || !inStore(tail)) return { chain: first, method: 'handshake' };
  const look = await second();
  const looked = look?.ok ? linkedChain(look) : [];
  if (looked[0] !== undefined && first[0] !== undefined && sameCertificate(looked[0], first[0])) {
    return { chain: looked, method: 'second-look' };
  }
  const chain = [...first];
  while (chain.length > 1 && inStore(chain[chain.length - 1] as X509Certificate)) chain.pop();
  return { chain, method: 'assumed' };
}

function messageFor(code: string | null, identityError: string | null): string | null {
  if (code === null) return null;
  // The same text `tls.connect` puts in the error it throws when it rejects the name.
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `Hostname/IP does not match certificate's altnames: ${identityError}`;
  return verifyErrorMessage(code);
}

/**
 * Connects to `address:port`, completes a TLS handshake with `rejectUnauthorized: false` so a bad certificate is
 * captured rather than refused, and reports what a normal HTTPS client would have decided (`code`) together with
 * every piece of evidence (leaf, served chain, chain analysis, the three name verdicts). Network failures come
 * back as a result with `code` and no certificate; only invalid arguments (an address that is not an IP
 * literal, a bad port, a `ca` entry that is not a PEM certificate) reject, with ADK_ERR_INVALID_ARGUMENT.
 */
export async function probeTls(options: TlsProbeOptions): Promise<TlsProbeResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sni = options.servername === null || isIP(options.servername) !== 0 ? null : options.servername;
  const host = options.host ?? options.servername ?? options.address;
  if (isIP(options.address) === 0) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `address "${options.address}" is not an IP address`);
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `port ${options.port} is not a TCP port`);
  }
  const extra = [...(options.ca ?? [])];
  const extraCerts = extraRoots(extra);
  const target = { address: options.address, port: options.port, sni };
  const base = { address: options.address, port: options.port, servername: sni, host };

  const first = await handshake(
    { ...target, secureContext: trustContext(extra), onSession: options.onSession, onOpen: options.onOpen },
    timeoutMs,
  );
  if (!first.ok) {
    return {
      ...base,
      handshake: false,
      failedAt: first.failedAt,
      code: first.code,
      message: first.message,
      protocol: null,
      cipher: null,
      authorized: false,
      authorizationError: null,
      identityError: null,
      certificate: null,
      chain: [],
      servedChain: [],
      chainMethod: null,
      chainAnalysis: null,
      names: null,
      ms: Math.round(performance.now() - started),
    };
  }

  const trust = trustStore(extraCerts);
  const secondLook = options.secondLook ?? true;
  const { chain, method } =
    first.sent.length > 0
      ? servedChainFromSent(first.sent, trust)
      : await servedChainOf(first.linked ?? [], trust, () =>
          // The second look shares the probe's deadline; with no time left the chain is `assumed`, not waited for.
          secondLook && timeoutMs - (performance.now() - started) >= 1
            ? handshake(
                { ...target, secureContext: trustContext([], { bundled: false }) },
                Math.floor(timeoutMs - (performance.now() - started)),
              )
            : null,
        );
  const leaf = chain[0];
  const names = leaf === undefined ? null : matchName(host, leaf);
  const identityError = names === null || names.node.ok ? null : (names.node.reason ?? null);
  let code = first.authorizationError;
  if (code === null && identityError !== null) code = 'ERR_TLS_CERT_ALTNAME_INVALID';
  const chainAnalysis =
    leaf === undefined
      ? null
      : analyzeChain({ servedChain: chain, trustedRoots: trust, now: options.now ?? new Date() });
  return {
    ...base,
    handshake: true,
    failedAt: null,
    code,
    message: messageFor(code, identityError),
    protocol: first.protocol,
    cipher: first.cipher,
    authorized: first.authorized,
    authorizationError: first.authorizationError,
    identityError,
    certificate: leaf === undefined ? null : summarizeCertificate(leaf),
    chain: chain.map((cert) => summarizeCertificate(cert)),
    servedChain: chain,
    chainMethod: method,
    chainAnalysis,
    names,
    ms: Math.round(performance.now() - started),
  };
}
