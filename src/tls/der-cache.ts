/**
 * Parsed certificates per DER, for the life of the process. A certificate is immutable: the same DER always
 * parses to the same thing, so everything derived from the DER alone (the node:crypto object, the @peculiar
 * parse, the report's summary, "self-signed", "A issued B") is computed once and reused, whichever handshake
 * or step brought the certificate. An audit of 10,000 domains sees the same intermediate and root in every
 * handshake, and the same leaf in each of a domain's lookups: parsing them again cost about 40% of the CPU.
 *
 * Nothing that depends on the time (validity) or on the name asked for (name verdicts) is kept here.
 * Bounded: the `limit` most recently used certificates stay; derived facts live beside their certificate
 * object (a WeakMap) and go with it.
 */

import { X509Certificate } from 'node:crypto';
import { setNewest } from '../bounded-map.js';

/** Facts derived from one certificate's DER (filled lazily by certificate.ts and summary.ts). */
export interface DerivedFacts {
  /** The @peculiar/x509 parse (dates, names). */
  parsed?: unknown;
  /** Subject, issuer, CNs and validity, and the names' canonical forms (certificate.ts basicsOf). */
  basics?: unknown;
  /** The report's certificate summary, never handed out itself (callers get a copy). */
  summary?: unknown;
  selfSigned?: boolean;
  /** Issuer fingerprint256 → whether that certificate issued this one (names, AKI/SKI, signature). */
  issuedBy?: Map<string, boolean>;
}

export class CertificateCache {
  readonly #byFingerprint = new Map<string, X509Certificate>();
  readonly stats = { hits: 0, misses: 0 };

  constructor(readonly limit = 1024) {}

  /**
   * The certificate object for `der`; `fingerprint256` is its SHA-256 as node:crypto writes it (a handshake's
   * peer certificate carries it, computed by Node from the same DER: no second hash). The same DER gives the
   * same object.
   */
  fromDer(der: Uint8Array, fingerprint256: string): X509Certificate {
    const hit = this.#byFingerprint.get(fingerprint256);
    if (hit !== undefined) {
      this.stats.hits++;
      // Most recently used last: the provider's intermediate every handshake shows never leaves.
      setNewest(this.#byFingerprint, fingerprint256, hit, this.limit);
      return hit;
    }
    this.stats.misses++;
    const cert = new X509Certificate(der);
    // Stored under its own hash, so a caller's wrong fingerprint cannot plant a certificate under another's.
    setNewest(this.#byFingerprint, cert.fingerprint256, cert, this.limit);
    return cert;
  }

  /**
   * The remembered object for this certificate, or `cert` itself, remembered from now on: for objects node:crypto
   * already made (a handshake's peer certificates), which need not be parsed a second time from their DER.
   */
  adopt(cert: X509Certificate): X509Certificate {
    const fingerprint = cert.fingerprint256;
    const hit = this.#byFingerprint.get(fingerprint);
    this.stats[hit === undefined ? 'misses' : 'hits']++;
    setNewest(this.#byFingerprint, fingerprint, hit ?? cert, this.limit);
    return hit ?? cert;
  }

  get size(): number {
    return this.#byFingerprint.size;
  }
}

/** The process's cache (probes, SCP's LDAPS evidence). */
export const certificateCache = new CertificateCache();

const facts = new WeakMap<X509Certificate, DerivedFacts>();

/** The facts remembered for this certificate object (empty at first). */
export function factsOf(cert: X509Certificate): DerivedFacts {
  let known = facts.get(cert);
  if (known === undefined) {
    known = {};
    facts.set(cert, known);
  }
  return known;
}
