/** The connection of an SCP search: TCP, and TLS for ldaps, with the certificate kept as evidence. */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { LdapTarget } from '../ldap/url.js';
import { summarizeCertificate, trustContext, walkPeerChain } from '../tls/index.js';
import type { StepTls } from './report.js';
import { errnoCode, type Failure, NETWORK_REASONS } from './scp-failure.js';

export type Opened = { ok: true; socket: Socket; tls?: StepTls } | { ok: false; failure: Failure; tls?: StepTls };

/**
 * TCP (and TLS for ldaps) to one address, done here rather than by ldapts so that each phase fails with its own
 * result and the certificate is captured even when it is rejected. The open socket is then handed to ldapts.
 */
export function openSocket(
  target: LdapTarget,
  address: string,
  timeoutMs: number,
  ca: readonly string[],
  /** The deadline in words, for the message (what is left of it is `timeoutMs`). */
  deadline = `--timeout ${timeoutMs} ms`,
): Promise<Opened> {
  const at = `${target.host} (${isIP(address) === 6 ? `[${address}]` : address}:${target.port})`;
  const servername = isIP(target.host) === 0 ? target.host : undefined;
  return new Promise((resolve) => {
    let tcpUp = false;
    let done = false;
    const secure: TLSSocket | undefined = target.secure
      ? tlsConnect({
          host: address,
          port: target.port,
          ...(servername !== undefined ? { servername } : {}),
          secureContext: trustContext(ca),
          rejectUnauthorized: false, // checked below, after capturing the certificate
        })
      : undefined;
    const socket: Socket = secure ?? netConnect({ host: address, port: target.port });
    const evidence = (error: string | null): { tls?: StepTls } => {
      if (secure === undefined || !tcpUp) return {};
      const peer = secure.getPeerCertificate(true);
      const chain = peer?.raw !== undefined ? walkPeerChain(peer).map((c) => summarizeCertificate(c)) : [];
      const tls: StepTls = {
        protocol: secure.getProtocol() ?? null,
        error,
        certificate: chain[0] ?? null,
        chain,
        servername: servername ?? null,
      };
      return { tls };
    };
    const finish = (value: Opened): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('connect');
      socket.removeAllListeners('secureConnect');
      socket.removeAllListeners('error');
      if (!value.ok) {
        socket.on('error', () => {});
        socket.destroy();
      }
      resolve(value);
    };
    const timer = setTimeout(() => {
      const phase = tcpUp ? 'the TLS handshake with' : 'connecting to';
      finish({
        ok: false,
        failure: { result: 'timeout', detail: `${phase} ${at}: no answer within ${deadline}` },
        ...evidence('ETIMEDOUT'),
      });
    }, timeoutMs);
    socket.once('connect', () => {
      tcpUp = true;
      if (secure === undefined) finish({ ok: true, socket });
    });
    socket.once('error', (err: Error) => {
      const code = errnoCode(err) ?? 'ERR_UNKNOWN';
      if (!tcpUp) {
        const why = NETWORK_REASONS[code] ?? err.message;
        finish({
          ok: false,
          failure: { result: 'connect-failed', detail: `could not connect to ${at}: ${code}, ${why}` },
        });
        return;
      }
      finish({
        ok: false,
        failure: { result: 'tls-error', detail: `the TLS handshake with ${at} failed: ${code} (${err.message})` },
        ...evidence(code),
      });
    });
    secure?.once('secureConnect', () => {
      let code: string | null = null;
      let why = '';
      if (!secure.authorized) {
        code = String(secure.authorizationError ?? 'CERT_UNTRUSTED');
        why = `the certificate chain is not trusted (${code})`;
      } else {
        const identity = checkServerIdentity(servername ?? address, secure.getPeerCertificate(true));
        if (identity !== undefined) {
          code = errnoCode(identity) ?? 'ERR_TLS_CERT_ALTNAME_INVALID';
          why = identity.message;
        }
      }
      if (code === null) finish({ ok: true, socket, ...evidence(null) });
      else {
        finish({
          ok: false,
          failure: { result: 'tls-error', detail: `${at} presented a certificate the client rejects: ${why}` },
          ...evidence(code),
        });
      }
    });
  });
}
