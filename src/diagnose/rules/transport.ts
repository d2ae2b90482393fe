/**
 * Rules over how the settings travel and what they ask for: configuration answered over plain HTTP, and mail
 * protocols that take a password without (required) TLS. Both read the recorded answer only: the step that gave
 * the settings and the settings themselves, never a new connection.
 */
import { PROFILES } from '../../discover/profiles.js';
import type { ProtocolSettings } from '../../discover/report.js';
import { type Draft, indexed, type Rule, shownUrl } from '../finding.js';

export const plainHttpConfigRule: Rule = ({ report }) => {
  if (report.outcome !== 'settings' || report.settings === null) return [];
  const steps = indexed(report);
  const answered = steps.findLast(({ step }) => step.result === 'settings');
  if (answered === undefined || !answered.step.url?.toLowerCase().startsWith('http://')) return [];
  const url = new URL(answered.step.url);
  const https = steps.filter(
    ({ step, index }) => index < answered.index && step.url?.toLowerCase().startsWith('https://'),
  );
  const email = answered.step.email;
  return [
    {
      code: 'CONFIG_OVER_PLAIN_HTTP',
      steps: [answered.index],
      vars: {
        client: PROFILES[report.client as keyof typeof PROFILES]?.short ?? report.client,
        url: shownUrl(answered.step.url),
        host: url.hostname,
        httpsUrl: `https://${url.host}${url.pathname}`,
        httpsTried:
          https.map(({ step }) => `${shownUrl(step.url)}: ${step.result}`).join('; ') || 'no HTTPS URL was tried',
        domain: email.slice(email.lastIndexOf('@') + 1),
      },
    },
  ];
};

const MAIL = new Set(['IMAP', 'POP3', 'SMTP']);
const TLS_PORT: Readonly<Record<string, string>> = {
  IMAP: 'port 993',
  POP3: 'port 995',
  SMTP: 'port 465, or 587 with STARTTLS required',
};
/** Methods that send no reusable password (autoconfig's vocabulary; docs/protocol.md §6.2). */
const NO_PASSWORD = new Set(['oauth2', 'gssapi', 'client-ip-address', 'none']);

/** 'none' without TLS, 'optional' when TLS is used only if offered, undefined when TLS is required. */
function weakTransport(p: ProtocolSettings): 'none' | 'optional' | undefined {
  const encryption = typeof p['encryption'] === 'string' ? p['encryption'].toLowerCase() : undefined;
  if (encryption === 'none') return 'none';
  // POX Encryption "Auto": the client negotiates, so an attacker who strips STARTTLS gets the login in clear.
  if (encryption === 'auto') return 'optional';
  if (encryption === undefined && p['ssl'] === false) return 'none';
  return undefined;
}

/** The password method the settings ask for, or undefined when none is used. */
function passwordMethod(p: ProtocolSettings): string | undefined {
  const auth = typeof p['authentication'] === 'string' ? p['authentication'] : undefined;
  if (auth !== undefined) {
    if (NO_PASSWORD.has(auth.toLowerCase())) return undefined;
    return auth === 'password-cleartext'
      ? 'the password in clear text'
      : auth === 'password-encrypted'
        ? 'a challenge-response password (CRAM-MD5)'
        : `${auth} (a password)`;
  }
  // POX: AuthRequired off means no login at all; SPA on is NTLM, a password hash on the wire.
  if (p['authRequired'] === false) return undefined;
  return p['spa'] === true ? 'SPA/NTLM (a password hash)' : 'the password in clear text';
}

export const plaintextLoginRule: Rule = ({ report }) => {
  const settings = report.settings;
  if (settings === null) return [];
  const settingsIndex = report.steps.findLastIndex((s) => s.result === 'settings');
  const drafts: Draft[] = [];
  const seen = new Set<string>();
  for (const p of settings.protocols) {
    const protocol = String(p.type).toUpperCase();
    if (!MAIL.has(protocol)) continue;
    const transport = weakTransport(p);
    const authentication = passwordMethod(p);
    if (transport === undefined || authentication === undefined) continue;
    const server = String(p['server'] ?? 'the server');
    const port = String(p['port'] ?? 'its default port');
    const key = `${protocol} ${server.toLowerCase()} ${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    drafts.push({
      code: 'PLAINTEXT_PASSWORD_LOGIN',
      steps: settingsIndex >= 0 ? [settingsIndex] : [],
      vars: {
        protocol,
        server,
        port,
        url: shownUrl(settings.url),
        authentication,
        how: transport === 'none' ? 'without TLS' : 'with TLS only if offered',
        transport: transport === 'none' ? 'without TLS' : 'with TLS only if the server offers it (Encryption Auto)',
        stripNote:
          transport === 'optional'
            ? 'With optional TLS, an attacker who removes STARTTLS from the server’s greeting gets the same.'
            : '',
        tlsPort: TLS_PORT[protocol],
      },
    });
  }
  return drafts;
};
