/**
 * Open TLS connections left by an audit's probes, for the request that follows each probe to the same host. The
 * probe's handshake is a full one, its evidence recorded; the HTTP request of the same step used to open a second
 * connection (resuming the probe's session, sessions.ts) a few milliseconds later. Sending the request on the
 * probe's own connection saves that second handshake on both ends: for a hosting provider's server that is one
 * key exchange less per request (bench/profile-issue-10.md, third round).
 *
 * A connection is worth what its handshake was worth, as a session is (sessions.ts), and carries the same bond:
 * `verifiedFor`, the host name the probe accepted it for (chain verified against this trust store AND the name
 * matched, as a normal client requires), or `sha256`, the certificate it presented (for a request pinned to that
 * certificate, a click-through). Only a request with the same address, port, SNI name and trust store (the key)
 * that this bond satisfies takes it. The request asks to keep the connection open, and a connection the server
 * kept comes back here, with the same bond, for the next request (the other client of the same domain, usually):
 * HTTP keep-alive, as every client has it. A connection waits at most `idleMs` before it is closed politely.
 *
 * Bounded: at most `limit` connections wait at once (the oldest is closed first), one per key.
 */
import type { TLSSocket } from 'node:tls';

/** What the connection's handshake was accepted for (see sessions.ts KeptSession). */
export interface Vouched {
  verifiedFor: string | null;
  sha256: string | null;
}

interface Waiting {
  socket: TLSSocket;
  vouched: Vouched;
  timer: NodeJS.Timeout;
}

/** How long a close_notify is given to leave before the socket is destroyed (as the probe's own close). */
const CLOSE_GRACE_MS = 1_000;

/** Closes a connection that carried nothing: close_notify, then destroy after a grace period. */
export function closeUnused(socket: TLSSocket): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
}

/** Open, and nothing came from the server since the handshake but TLS housekeeping (tickets). */
function usable(socket: TLSSocket): boolean {
  return !socket.destroyed && socket.writable && socket.readable && !socket.readableEnded;
}

export class WarmConnections {
  readonly #byKey = new Map<string, Waiting>();
  /** Connections parked, taken by a request, and closed unused (expired, replaced, evicted or unfit). */
  readonly stats = { parked: 0, taken: 0, unused: 0 };

  constructor(
    readonly limit = 256,
    readonly idleMs = 1_000,
  ) {}

  /** Keeps `socket` for the next fitting request with `key`, or closes it when its handshake vouches for nothing. */
  park(key: string, socket: TLSSocket, vouched: Vouched): void {
    if ((vouched.verifiedFor === null && vouched.sha256 === null) || !usable(socket)) {
      this.#discard(socket);
      return;
    }
    const previous = this.#byKey.get(key);
    if (previous !== undefined) this.#drop(key, previous);
    const waiting: Waiting = {
      socket,
      vouched,
      timer: setTimeout(() => this.#drop(key, waiting), this.idleMs),
    };
    waiting.timer.unref();
    // Waiting keeps no process alive: a run that is over exits without waiting for the idle timers.
    socket.unref();
    this.stats.parked++;
    this.#byKey.set(key, waiting);
    // Beyond the bound, the oldest waiting connection goes.
    while (this.#byKey.size > this.limit) {
      const [oldestKey, oldest] = this.#byKey.entries().next().value as [string, Waiting];
      this.#drop(oldestKey, oldest);
    }
  }

  /**
   * The connection waiting for `key` when its bond satisfies this request (`verify` mode: accepted for `host`;
   * pinned: showing the pinned certificate); the caller then owns it. Undefined otherwise.
   */
  take(key: string, host: string, pin: string | undefined): { socket: TLSSocket; vouched: Vouched } | undefined {
    const waiting = this.#byKey.get(key);
    if (waiting === undefined) return undefined;
    const { vouched } = waiting;
    const fits = pin === undefined ? vouched.verifiedFor === host.toLowerCase() : vouched.sha256 === pin;
    if (!fits) return undefined;
    this.#byKey.delete(key);
    clearTimeout(waiting.timer);
    if (!usable(waiting.socket)) {
      this.#discard(waiting.socket);
      return undefined;
    }
    this.stats.taken++;
    waiting.socket.ref();
    return { socket: waiting.socket, vouched };
  }

  /** Closes every waiting connection (the run is over). */
  close(): void {
    for (const [key, waiting] of this.#byKey) this.#drop(key, waiting);
  }

  get size(): number {
    return this.#byKey.size;
  }

  #drop(key: string, waiting: Waiting): void {
    if (this.#byKey.get(key) === waiting) this.#byKey.delete(key);
    clearTimeout(waiting.timer);
    this.#discard(waiting.socket);
  }

  #discard(socket: TLSSocket): void {
    this.stats.unused++;
    closeUnused(socket);
  }
}
