/**
 * A TLS listener that picks a host's certificate by SNI before the handshake starts (see client-hello.ts for why
 * node's SNICallback is not used): it reads the ClientHello off the TCP socket, chooses the secure context, then
 * runs the TLS server side over a stream that replays those bytes followed by the rest of the connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
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

/** The bytes already read, then everything else the socket receives; writes go straight to the socket. */
class ReplayStream extends Duplex {
  readonly #socket: Socket;

  constructor(socket: Socket, first: Buffer) {
    super();
    this.#socket = socket;
    this.push(first);
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#socket.write(chunk, done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#socket.end();
    done();
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    this.#socket.destroy();
    done(error);
  }
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
    const tls = new TLSSocket(new ReplayStream(tcp, buffered), { isServer: true, secureContext });
    // A client that rejects the certificate aborts the handshake: nothing to answer.
    tls.on('error', () => tls.destroy());
    tls.on('close', () => tcp.destroy());
    tls.once('secure', () => {
      tcp.setTimeout(0);
      options.onSecure(tls, tcp);
    });
  }
}
