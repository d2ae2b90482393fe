/**
 * A TLS listener that picks a host's certificate by SNI before the handshake starts (see client-hello.ts for why
 * node's SNICallback is not used): it reads the ClientHello off the TCP socket, chooses the secure context, puts
 * those bytes back (`unshift`) and runs the TLS server side on the TCP socket itself: Node's TLSSocket feeds what
 * the socket already holds to OpenSSL first, then reads the native handle directly. (The first version replayed
 * the bytes through a Duplex of its own; the CPU is the same, the handshake's work being where it was counted.)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { MAX_RECORD, peekServerName } from './client-hello.js';

export interface SniChoice {
  /** Server names (`*.contoso.test` matches one label) that select `context`. */
  names: readonly string[];
  context: SecureContext;
}

export interface SniListenerOptions {
  /** For clients that send no SNI, or a name no choice lists. */
  defaultContext: SecureContext;
  choices: readonly SniChoice[];
  /** Each connection whose handshake completed, with the TCP socket under it. */
  onSecure(socket: TLSSocket, tcp: Socket): void;
  /**
   * Chooses the context itself, by SNI name and by the address the client connected to (the fleet lab, whose
   * certificates are made on first use). Replaces `choices`; a rejection closes the connection.
   */
  choose?(servername: string | null, localAddress: string): SecureContext | Promise<SecureContext>;
  /** Each accepted TCP connection, as soon as it is accepted. */
  onConnection?(tcp: Socket): void;
  /** ClientHello and handshake must be done within this. @default 10_000 */
  handshakeTimeoutMs?: number;
}

/** RFC 6125 matching of a server name against a DNS name or a `*.` wildcard (one whole leftmost label). */
export function nameMatches(pattern: string, servername: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const s = servername.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return p === s;
  const dot = s.indexOf('.');
  return dot > 0 && s.slice(dot + 1) === p.slice(2);
}

export function createSniListener(options: SniListenerOptions): Server {
  const timeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const contextFor = (servername: string | null): SecureContext => {
    if (servername === null) return options.defaultContext;
    return (
      options.choices.find((c) => c.names.some((n) => nameMatches(n, servername)))?.context ?? options.defaultContext
    );
  };

  return createServer((tcp) => {
    options.onConnection?.(tcp);
    // Resets and aborted handshakes are routine; there is no one to report them to.
    tcp.on('error', () => {});
    tcp.setTimeout(timeoutMs, () => tcp.destroy());
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const peek = peekServerName(buffered);
      if (!peek.complete && buffered.length < MAX_RECORD) return;
      tcp.off('data', onData);
      tcp.pause();
      const servername = peek.complete ? peek.servername : null;
      if (options.choose === undefined) {
        serve(tcp, buffered, contextFor(servername));
        return;
      }
      Promise.resolve(options.choose(servername, tcp.localAddress ?? ''))
        .then((context) => {
          if (!tcp.destroyed) serve(tcp, buffered, context);
        })
        .catch(() => tcp.destroy());
    };
    tcp.on('data', onData);
  });

  function serve(tcp: Socket, buffered: Buffer, secureContext: SecureContext): void {
    tcp.unshift(buffered);
    const tls = new TLSSocket(tcp, { isServer: true, secureContext });
    // A client that rejects the certificate aborts the handshake: nothing to answer.
    tls.on('error', () => tls.destroy());
    tls.on('close', () => tcp.destroy());
    tls.once('secure', () => {
      tcp.setTimeout(0);
      options.onSecure(tls, tcp);
    });
  }
}
