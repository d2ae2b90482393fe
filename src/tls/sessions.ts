/**
 * TLS sessions to resume within one audit run, per (address, port, SNI name, trust store). A real client resumes
 * the session it has with a server (Windows' SChannel, OpenSSL, every browser): the second connection to the same
 * host skips the certificate exchange and its signature. The audit does the same for its request connections,
 * which follow the probe's handshake to the same host within milliseconds.
 *
 * A resumed TLS 1.3 connection exchanges no certificate: Node reports it authorized and shows no peer
 * certificate (checked in test/audit/sessions.test.ts). So a session is only worth what its full handshake was
 * worth, and each one kept here carries that origin:
 * - `verifiedFor`: the host name its full handshake was accepted for (chain verified against this trust store AND
 *   the name matched, as a normal client requires); only a request in `verify` mode to that very name resumes it;
 * - `sha256`: the certificate its full handshake presented; only a request pinned to that certificate (a
 *   click-through) resumes it.
 * Only the probe's first handshake gives sessions (never the second look, made with an empty trust store), and a
 * session is only offered to a connection with the same address, port, SNI name and trust store (the key). The
 * certificate evidence recorded for a step is always the probe's full handshake.
 *
 * Bounded: the `limit` most recently stored keys stay (one session each, the latest ticket).
 */
import { setNewest } from '../bounded-map.js';

export interface KeptSession {
  ticket: Buffer;
  /** The name the full handshake's certificate was accepted for (chain and name), else null. */
  verifiedFor: string | null;
  /** The SHA-256 fingerprint of the full handshake's certificate (as node:crypto writes it), when known. */
  sha256: string | null;
}

/**
 * The longest a request waits for the session of the handshake just made with its host: past it, a full
 * handshake. The probe closes its connection right away, so its ticket or its close comes well within it.
 */
const ARRIVAL_MS = 250;

export class TlsSessions {
  readonly #byKey = new Map<string, KeptSession>();
  /** Handshakes whose session is still to come (see expect()). */
  readonly #pending = new Map<string, { arrived: Promise<void> }>();
  /** Connections that offered a session, and those the server resumed. */
  readonly stats = { offered: 0, resumed: 0 };

  constructor(readonly limit = 1000) {}

  static key(address: string, port: number | string, servername: string | null, ca: readonly string[] = []): string {
    return `${address}|${port}|${servername ?? ''}|${ca.join('\u0000')}`;
  }

  get(key: string): KeptSession | undefined {
    return this.#byKey.get(key);
  }

  /**
   * The session a request may resume: `verify` mode needs one accepted for its host name, a pin one with the
   * pinned certificate. Undefined when there is none, or the one kept does not qualify.
   */
  forRequest(key: string, host: string, pin: string | undefined): KeptSession | undefined {
    const kept = this.#byKey.get(key);
    if (kept === undefined) return undefined;
    const fits = pin === undefined ? kept.verifiedFor === host.toLowerCase() : kept.sha256 === pin;
    return fits ? kept : undefined;
  }

  set(key: string, session: KeptSession): void {
    // Most recently stored last: the oldest goes first when the bound is reached.
    setNewest(this.#byKey, key, session, this.limit);
  }

  /**
   * A handshake with `key` has started: until the returned function is called (its first ticket kept, or its
   * connection closed without one), arrival(key) waits for it. A TLS 1.3 ticket comes one round trip after the
   * handshake, when the request that follows the probe is about to start.
   */
  expect(key: string): () => void {
    let done!: () => void;
    const arrived = new Promise<void>((resolve) => {
      done = resolve;
    });
    const wait = { arrived };
    this.#pending.set(key, wait);
    return () => {
      done();
      if (this.#pending.get(key) === wait) this.#pending.delete(key);
    };
  }

  /** Resolves once the expected session for `key` is in (or will not come), at most `maxMs` later. */
  arrival(key: string, maxMs = ARRIVAL_MS): Promise<void> | undefined {
    const wait = this.#pending.get(key);
    if (wait === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxMs);
    });
    return Promise.race([wait.arrived, late]).finally(() => clearTimeout(timer));
  }

  delete(key: string): void {
    this.#byKey.delete(key);
  }

  get size(): number {
    return this.#byKey.size;
  }
}
