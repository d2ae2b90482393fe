/**
 * Thunderbird autoconfig servers (docs/protocol.md §6.2) in the protocol shape of the discovery report, so that a
 * `thunderbird` lookup's settings read like an Outlook one's: `type` upper-cased as POX writes it, `ssl` and
 * `encryption` as POX uses them (`SSL` = implicit TLS, `TLS` = STARTTLS, `None`), `loginName` with Thunderbird's
 * placeholders filled in.
 */
import type { AutoconfigServer, ParsedAutoconfig } from '../formats/autoconfig.js';
import { expandPlaceholders } from '../settings/resolve.js';
import type { Authentication, Security } from '../settings/schema.js';
import type { ProtocolSettings } from './report.js';

const ENCRYPTION: Readonly<Record<Security, 'SSL' | 'TLS' | 'None'>> = { tls: 'SSL', starttls: 'TLS', none: 'None' };

/** Authentication values Thunderbird understands, in the parser's vocabulary (formats/autoconfig.ts). */
const KNOWN_AUTHENTICATION: Readonly<Record<Authentication, true>> = {
  'password-cleartext': true,
  'password-encrypted': true,
  ntlm: true,
  gssapi: true,
  oauth2: true,
  'client-ip-address': true,
  none: true,
};

function toProtocol(server: AutoconfigServer, email: string): ProtocolSettings {
  const out: ProtocolSettings = { type: server.type.toUpperCase() };
  if (server.hostname !== undefined) out['server'] = expandPlaceholders(server.hostname, email);
  if (server.port !== undefined) out['port'] = server.port;
  if (server.security !== undefined) {
    out['ssl'] = server.security !== 'none';
    out['encryption'] = ENCRYPTION[server.security];
  }
  if (server.username !== undefined) out['loginName'] = expandPlaceholders(server.username, email);
  // Thunderbird takes the first value it understands; when it understands none, the first one is shown as written.
  const authentication =
    server.authentication.find((a) => Object.hasOwn(KNOWN_AUTHENTICATION, a)) ?? server.authentication[0];
  if (authentication !== undefined) out['authentication'] = authentication;
  if (server.owaUrl !== undefined) out['owaUrl'] = server.owaUrl;
  if (server.ewsUrl !== undefined) out['ewsUrl'] = server.ewsUrl;
  if (server.easUrl !== undefined) out['easUrl'] = server.easUrl;
  return out;
}

/**
 * The servers of a parsed `config-v1.1.xml`, incoming first then outgoing, each in document order, with the
 * placeholders expanded for `email`. Keys are present only when the document gave a value.
 */
export function autoconfigToProtocols(parsed: ParsedAutoconfig, email: string): ProtocolSettings[] {
  return [...parsed.incoming, ...parsed.outgoing].map((server) => toProtocol(server, email));
}
