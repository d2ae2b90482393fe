/**
 * Chain analysis: what is wrong with the certificates a server sent, all of it at once. Node (OpenSSL) reports
 * only its first error and stops; the diagnostic must say "expired AND incomplete" together and name the
 * certificate concerned.
 *
 * Rules (the path is built the way OpenSSL builds it, so verdicts line up with Node's error codes):
 *
 * 1. Start at the leaf (`servedChain[0]`). Repeat, at most 10 certificates deep:
 *    a. The current certificate is self-signed (subject = issuer, own key verifies): the path ends. It is
 *       trusted when the same certificate (same DER) is in the trust store. Otherwise the verdict is
 *       `self-signed` if it is the leaf (Node: DEPTH_ZERO_SELF_SIGNED_CERT), else `untrusted-root`
 *       (SELF_SIGNED_CERT_IN_CHAIN).
 *    b. Else look for its issuer (OpenSSL's X509_check_issued plus the signature) first in the trust store
 *       (OpenSSL's "trusted first"), then among the served certificates not yet used, then among the `intermediates`
 *       the caller supplied (certificates the server did NOT send, e.g. downloaded from AIA). The issuer found
 *       is appended and becomes current.
 *    c. No issuer anywhere: the path ends short. The verdict is `incomplete` if the path holds only the leaf
 *       (the server sent no issuer for it: UNABLE_TO_VERIFY_LEAF_SIGNATURE), else `untrusted-root` (a CA
 *       certificate whose issuer we do not know: UNABLE_TO_GET_ISSUER_CERT_LOCALLY).
 * 2. If the path only reached trust through supplied `intermediates`, the verdict is `incomplete`: the server
 *    omits certificates a client needs (Windows fetches them from AIA, OpenSSL clients fail). If it used supplied
 *    certificates and still did not reach trust, the verdict stays `untrusted-root` and an `incomplete` problem
 *    is recorded as well.
 *
 * Limits: a leaf-only chain from a private CA (doc §2.1 row 2) also reads `incomplete`, exactly as Node
 * conflates them; supply the AIA-downloaded issuer(s) as `intermediates` to tell the two apart. A chain that
 * stops at an intermediate could also be missing a second intermediate rather than having an untrusted root;
 * again, supplying downloaded issuers resolves it.
 *
 * Besides the verdict, every certificate on the path (the trust anchor included) is checked for dates, every
 * issuer for basicConstraints cA, and the leaf for EKU serverAuth. Served certificates off the path are listed.
 */
import type { X509Certificate } from 'node:crypto';
import { AutodiscoError } from '../errors.js';
import {
  basicsOf,
  type CertificateInput,
  isIssuedBy,
  isSelfSigned,
  sameCertificate,
  toX509List,
} from './certificate.js';
import { type CertificateSummary, describeCertificate, summarizeCertificate } from './summary.js';

export type ChainVerdict = 'trusted' | 'incomplete' | 'untrusted-root' | 'self-signed';

export type ChainProblemCode =
  | 'self-signed'
  | 'untrusted-root'
  | 'incomplete'
  | 'expired'
  | 'not-yet-valid'
  | 'issuer-not-ca'
  | 'no-server-auth'
  | 'unused-certificate'
  | 'root-sent';

export interface ChainElement {
  /** Where the certificate came from: sent by the server, supplied by the caller, or the client's trust store. */
  source: 'served' | 'supplied' | 'trust-store';
  /** Index in `servedChain`, `intermediates` or the flattened `trustedRoots`, according to `source`. */
  index: number;
  role: 'leaf' | 'intermediate' | 'root';
  certificate: CertificateSummary;
  validity: 'valid' | 'expired' | 'not-yet-valid';
}

export interface ChainProblem {
  code: ChainProblemCode;
  /** `error`: a client fails on it; `warning`: works but should be fixed; `info`: harmless. */
  severity: 'error' | 'warning' | 'info';
  /** Position in `path` of the certificate concerned; for `unused-certificate`, the index in `servedChain`. */
  element: number | null;
  /** Subject of that certificate, so a message can name it without looking it up. */
  subject: string | null;
  message: string;
}

export interface ChainAnalysis {
  verdict: ChainVerdict;
  /** `verdict` is `trusted` and no problem is an error (dates, CA flag, EKU). */
  ok: boolean;
  /** The certification path, leaf first; ends with the trust anchor when one was reached. */
  path: ChainElement[];
  /** Indexes of served certificates that are not on the path. */
  unused: number[];
  /** RFC 4514 issuer name the path stopped at (`incomplete`, `untrusted-root` without a root sent), else null. */
  missingIssuer: string | null;
  /** AIA caIssuers URLs of the certificate whose issuer is missing: where Windows would fetch it. */
  missingIssuerUrls: string[];
  problems: ChainProblem[];
}

export interface AnalyzeChainOptions {
  /** Certificates as the server sent them, leaf first. PEM strings may hold several certificates. */
  servedChain: readonly CertificateInput[];
  /** The client's trust store (e.g. `[...tls.rootCertificates, ...extra]`). PEM bundles are split. */
  trustedRoots: readonly CertificateInput[];
  /** Certificates the server did not send but a client could obtain (AIA downloads). */
  intermediates?: readonly CertificateInput[];
  /** Reference time for validity (default: now). */
  now?: Date;
}

const MAX_DEPTH = 10;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';

interface Candidate {
  cert: X509Certificate;
  source: ChainElement['source'];
  index: number;
}

function validityAt(cert: X509Certificate, now: Date): ChainElement['validity'] {
  const { notBefore, notAfter } = basicsOf(cert);
  if (now.getTime() < notBefore.getTime()) return 'not-yet-valid';
  if (now.getTime() > notAfter.getTime()) return 'expired';
  return 'valid';
}

/** Builds the path (rules 1a-1c) and returns it with how it ended. */
function buildPath(served: X509Certificate[], store: X509Certificate[], supplied: X509Certificate[]) {
  const leaf = served[0];
  if (leaf === undefined) throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', 'servedChain is empty');
  const path: Candidate[] = [{ cert: leaf, source: 'served', index: 0 }];
  const usedServed = new Set<number>([0]);
  const usedSupplied = new Set<number>();
  const pool = (list: X509Certificate[], source: Candidate['source']) =>
    list.map((cert, index) => ({ cert, source, index }));
  const candidates = [...pool(store, 'trust-store'), ...pool(served, 'served'), ...pool(supplied, 'supplied')];
  let end: 'trusted' | 'self-signed' | 'missing-issuer' = 'missing-issuer';
  for (;;) {
    const current = path[path.length - 1] as Candidate;
    if (isSelfSigned(current.cert)) {
      const trusted = current.source === 'trust-store' || store.some((s) => sameCertificate(s, current.cert));
      end = trusted ? 'trusted' : 'self-signed';
      break;
    }
    if (path.length >= MAX_DEPTH) break;
    const issuer = candidates.find(
      (c) =>
        !(c.source === 'served' && usedServed.has(c.index)) &&
        !(c.source === 'supplied' && usedSupplied.has(c.index)) &&
        !path.some((p) => sameCertificate(p.cert, c.cert)) &&
        isIssuedBy(current.cert, c.cert),
    );
    if (issuer === undefined) break;
    if (issuer.source === 'served') usedServed.add(issuer.index);
    if (issuer.source === 'supplied') usedSupplied.add(issuer.index);
    path.push(issuer);
  }
  return { path, end, usedServed };
}

export function analyzeChain(options: AnalyzeChainOptions): ChainAnalysis {
  const served = toX509List(options.servedChain);
  const store = toX509List(options.trustedRoots);
  const supplied = toX509List(options.intermediates ?? []);
  const now = options.now ?? new Date();
  const { path, end, usedServed } = buildPath(served, store, supplied);
  const top = path[path.length - 1] as Candidate;
  const usedSuppliedCerts = path.some((c) => c.source === 'supplied');

  const elements: ChainElement[] = path.map((c, i) => ({
    source: c.source,
    index: c.index,
    role: i === 0 ? 'leaf' : isSelfSigned(c.cert) ? 'root' : 'intermediate',
    certificate: summarizeCertificate(c.cert),
    validity: validityAt(c.cert, now),
  }));
  const problems: ChainProblem[] = [];
  const problem = (code: ChainProblemCode, severity: ChainProblem['severity'], at: number | null, message: string) => {
    const subject = at === null ? null : (elements[at]?.certificate.subject ?? null);
    problems.push({ code, severity, element: at, subject, message });
  };

  let verdict: ChainVerdict;
  let missingIssuer: string | null = null;
  let missingIssuerUrls: string[] = [];
  const topIndex = path.length - 1;
  const topSubject = elements[topIndex]?.certificate.subject ?? '';
  if (end === 'trusted') {
    verdict = usedSuppliedCerts ? 'incomplete' : 'trusted';
  } else if (end === 'self-signed') {
    verdict = topIndex === 0 ? 'self-signed' : 'untrusted-root';
    if (verdict === 'self-signed') {
      problem('self-signed', 'error', 0, `The certificate "${topSubject}" is self-signed and not trusted.`);
    } else {
      problem('untrusted-root', 'error', topIndex, `The root "${topSubject}" was sent but is not a trusted root.`);
    }
  } else {
    const details = describeCertificate(top.cert);
    missingIssuer = details.issuer;
    missingIssuerUrls = details.aiaIssuers;
    verdict = topIndex === 0 ? 'incomplete' : 'untrusted-root';
    if (verdict === 'untrusted-root') {
      problem(
        'untrusted-root',
        'error',
        topIndex,
        `"${topSubject}" was issued by "${missingIssuer}", which is neither sent nor a trusted root.`,
      );
    }
  }
  if (verdict === 'incomplete' || usedSuppliedCerts) {
    const first = path.findIndex((c) => c.source === 'supplied');
    const at = first === -1 ? topIndex : first - 1;
    const issuer = first === -1 ? missingIssuer : (elements[first]?.certificate.subject ?? null);
    const subject = elements[at]?.certificate.subject ?? '';
    problem('incomplete', 'error', at, `The server does not send the issuer "${issuer}" of "${subject}".`);
  }

  elements.forEach((e, i) => {
    if (e.validity === 'expired') {
      problem('expired', 'error', i, `"${e.certificate.subject}" expired on ${e.certificate.notAfter}.`);
    } else if (e.validity === 'not-yet-valid') {
      problem('not-yet-valid', 'error', i, `"${e.certificate.subject}" is valid from ${e.certificate.notBefore}.`);
    }
    if (i > 0 && !path[i]?.cert.ca) {
      problem('issuer-not-ca', 'error', i, `"${e.certificate.subject}" issued a certificate but is not a CA.`);
    }
  });
  // node:crypto's `keyUsage` is the EKU OID list (undefined without the extension, which means any purpose).
  const eku = path[0]?.cert.keyUsage;
  if (eku !== undefined && !eku.includes(SERVER_AUTH) && !eku.includes(ANY_EKU)) {
    problem('no-server-auth', 'error', 0, 'The certificate is not for TLS servers (no serverAuth extended key usage).');
  }

  const unused: number[] = [];
  served.forEach((cert, i) => {
    if (usedServed.has(i)) return;
    const anchor = path.find((c) => c.source === 'trust-store' && sameCertificate(c.cert, cert));
    if (anchor !== undefined) {
      problem('root-sent', 'info', path.indexOf(anchor), 'The server sends the root certificate; clients ignore it.');
      return;
    }
    unused.push(i);
    const subject = summarizeCertificate(cert).subject;
    problems.push({
      code: 'unused-certificate',
      severity: 'warning',
      element: i,
      subject,
      message: `The server sends "${subject}", which is not part of the leaf's chain.`,
    });
  });

  const ok = verdict === 'trusted' && !problems.some((p) => p.severity === 'error');
  return { verdict, ok, path: elements, unused, missingIssuer, missingIssuerUrls, problems };
}
