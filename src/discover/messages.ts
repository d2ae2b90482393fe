/**
 * The words of the trace: one sentence per outcome, naming the hosts and certificate names involved, and the
 * prompts the real client would show. Written for an admin reading it at 2 a.m.
 */
import { joinList } from '../text/join.js';
import type { TlsProbeResult } from '../tls/index.js';

const list = (names: readonly string[]): string => joinList(names, 'no DNS name');

function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : 'an unknown date';
}

/** Why a certificate was refused, in one or two sentences. */
export function describeTlsFailure(probe: TlsProbeResult): string {
  const cert = probe.certificate;
  const names = cert ? cert.dnsNames : [];
  const code = probe.code ?? '';
  const nameProblem = probe.names && !probe.names.node.ok;
  const nameSentence = cert
    ? `The certificate names ${list(names.length > 0 ? names : [cert.subject])} but not ${probe.host}.`
    : `The certificate does not name ${probe.host}.`;
  switch (code) {
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return nameSentence;
    case 'CERT_HAS_EXPIRED':
      return `The certificate (${list(names)}) expired on ${day(cert?.notAfter)}.${nameProblem ? ` ${nameSentence}` : ''}`;
    case 'CERT_NOT_YET_VALID':
      return `The certificate (${list(names)}) is not valid before ${day(cert?.notBefore)}; check the server's and this machine's clocks.`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `The certificate (${cert?.subject ?? 'unknown subject'}) is self-signed: no client trusts it unless it is installed on every machine.${nameProblem ? ` ${nameSentence}` : ''}`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE': {
      const missing = probe.chainAnalysis?.missingIssuer;
      return `The server sent its certificate without the intermediate certificate${missing ? ` (${missing})` : ''} that links it to a trusted root, or it was issued by a private CA this machine does not trust.`;
    }
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return `The certificate chain leads to a root this machine does not trust (${probe.chainAnalysis?.missingIssuer ?? cert?.issuer ?? 'unknown issuer'}).`;
    default:
      return `The TLS connection failed: ${probe.message ?? code}.`;
  }
}

/** The line of Windows' security alert that fails, as Outlook shows it. */
function alertLine(code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return 'The name on the security certificate is invalid or does not match the name of the site.';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return 'The security certificate has expired or is not yet valid.';
  return 'The security certificate was issued by a company you have not chosen to trust.';
}

export function certificatePromptMessage(host: string, probe: TlsProbeResult): string {
  return `Security Alert (${host}): ${alertLine(probe.code ?? '')} Do you want to proceed?`;
}

export function redirectPromptMessage(email: string, url: string): string {
  return `Allow this website to configure ${email} server settings? ${url} Your account was redirected to this website for settings. You should only allow settings from sources you know and trust.`;
}

/** Connection failures a step can meet, in words. */
export function describeConnectFailure(code: string, target: string, timeoutMs: number): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `Nothing accepts connections at ${target} (connection refused).`;
    case 'ETIMEDOUT':
    case 'ETIMEOUT':
      return `No answer from ${target} within ${timeoutMs} ms.`;
    case 'ECONNRESET':
      return `${target} closed the connection before answering.`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return `${target} answers plain HTTP on the HTTPS port.`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${target} cannot be reached (${code}).`;
    default:
      return `The connection to ${target} failed (${code}).`;
  }
}

const STAGE_WORDS = {
  connect: 'connecting',
  tls: 'in the TLS handshake',
  headers: 'waiting for the response headers',
  body: 'reading the response body',
} as const;

/**
 * A step cut short by a deadline, saying which one: the step's own --timeout (a deadline for the connection, TLS,
 * request and whole answer together, not an idle timer), or the lookup's --budget.
 */
export function describeDeadline(
  target: string,
  stage: keyof typeof STAGE_WORDS,
  limit: { by: 'timeout' | 'budget'; timeoutMs: number; budgetMs: number },
): string {
  if (limit.by === 'budget') {
    return `The lookup's --budget of ${limit.budgetMs} ms ran out while ${STAGE_WORDS[stage]} with ${target}: no further step is tried.`;
  }
  return `No complete answer from ${target} within --timeout ${limit.timeoutMs} ms (a deadline for the whole step: connection, TLS, request and answer); it was still ${STAGE_WORDS[stage]}.`;
}
