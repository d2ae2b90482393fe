/**
 * Reads the server name (SNI, RFC 6066 §3) from the first TLS record a client sends, before any TLS code sees it.
 *
 * The lab needs this because node's SNICallback cannot serve "exactly this certificate": it installs the chosen
 * certificate next to the default one (so an RSA certificate chosen by SNI loses to an ECDSA default the client
 * also accepts) and keeps the default certificate's chain when the chosen one has none (so "intermediate not
 * sent" would still send it). Choosing the context before the handshake starts avoids both.
 */

/** A TLS record carries at most 2^14 bytes of plaintext (RFC 8446 §5.1); a little slack for odd clients. */
export const MAX_RECORD = 5 + 16_384 + 2_048;

export type HelloPeek =
  /** More bytes are needed to read the first record. */
  | { complete: false }
  /** `servername` is null when there is none, or when the bytes are not a ClientHello at all. */
  | { complete: true; servername: string | null };

const NONE: HelloPeek = { complete: true, servername: null };

/** A bounds-checked reader over one buffer; every read past the end returns null. */
class Reader {
  #at = 0;
  constructor(readonly bytes: Buffer) {}
  u8(): number | null {
    if (this.#at + 1 > this.bytes.length) return null;
    return this.bytes[this.#at++] ?? null;
  }
  u16(): number | null {
    if (this.#at + 2 > this.bytes.length) return null;
    const v = this.bytes.readUInt16BE(this.#at);
    this.#at += 2;
    return v;
  }
  u24(): number | null {
    if (this.#at + 3 > this.bytes.length) return null;
    const v = this.bytes.readUIntBE(this.#at, 3);
    this.#at += 3;
    return v;
  }
  take(n: number): Buffer | null {
    if (this.#at + n > this.bytes.length) return null;
    const v = this.bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return v;
  }
  /** Whatever is left. */
  rest(): Buffer {
    const v = this.bytes.subarray(this.#at);
    this.#at = this.bytes.length;
    return v;
  }
  skip(n: number | null): boolean {
    return n !== null && this.take(n) !== null;
  }
}

function serverNameExtension(data: Buffer): string | null {
  const list = new Reader(data);
  const length = list.u16();
  if (length === null) return null;
  const entries = new Reader(list.take(length) ?? Buffer.alloc(0));
  for (;;) {
    const type = entries.u8();
    const size = entries.u16();
    if (type === null || size === null) return null;
    const name = entries.take(size);
    if (name === null) return null;
    // host_name(0) is the only name type defined.
    if (type === 0) return name.toString('ascii').toLowerCase();
  }
}

/**
 * What the first TLS record in `bytes` says about the server name. Anything that is not a TLS handshake record
 * starting a ClientHello (plain HTTP on the HTTPS port, garbage) is complete with no name, so the default
 * certificate answers and the TLS code reports the error as it would for any server.
 */
export function peekServerName(bytes: Buffer): HelloPeek {
  if (bytes.length === 0) return { complete: false };
  // 22: handshake record.
  if (bytes[0] !== 22) return NONE;
  if (bytes.length < 5) return { complete: false };
  const recordLength = bytes.readUInt16BE(3);
  if (5 + recordLength > MAX_RECORD) return NONE;
  if (bytes.length < 5 + recordLength) return { complete: false };

  const r = new Reader(bytes.subarray(5, 5 + recordLength));
  // 1: client_hello. A ClientHello split over several records is read as far as the first one goes.
  if (r.u8() !== 1 || r.u24() === null) return NONE;
  const ok =
    r.skip(2) && // legacy_version
    r.skip(32) && // random
    r.skip(r.u8()) && // legacy_session_id
    r.skip(r.u16()) && // cipher_suites
    r.skip(r.u8()); // legacy_compression_methods
  if (!ok) return NONE;
  const extensionsLength = r.u16();
  if (extensionsLength === null) return NONE;
  const extensions = new Reader(r.take(extensionsLength) ?? r.rest());
  for (;;) {
    const type = extensions.u16();
    const size = extensions.u16();
    if (type === null || size === null) return NONE;
    const data = extensions.take(size);
    if (data === null) return NONE;
    if (type === 0) return { complete: true, servername: serverNameExtension(data) };
  }
}
