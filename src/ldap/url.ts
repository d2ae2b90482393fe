/** LDAP URLs as SCP pointers and `--ldap` give them: `ldap://host[:port]` or `ldaps://…` (RFC 4516, no DN part). */
import { isIP } from 'node:net';

export interface LdapTarget {
  secure: boolean;
  host: string;
  port: number;
  /** `ldap://host:port`, scheme and host lower-cased: also the loop-detection key. */
  url: string;
}

/** `ldap://host[:port]` or `ldaps://…`, scheme in any case (pointers say `LDAP://`), an optional trailing `/`. */
export function parseLdapUrl(value: string): LdapTarget | undefined {
  const m = /^(ldaps?):\/\/(\[[0-9a-f:.]+\]|[^/:?#\s[\]@]+)(?::(\d{1,5}))?\/?$/i.exec(value.trim());
  if (m === null) return undefined;
  const secure = (m[1] ?? '').toLowerCase() === 'ldaps';
  const rawHost = (m[2] ?? '').toLowerCase();
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost.replace(/\.$/, '');
  const port = m[3] === undefined ? (secure ? 636 : 389) : Number(m[3]);
  if (host === '' || port < 1 || port > 65_535) return undefined;
  if (rawHost.startsWith('[') && isIP(host) !== 6) return undefined;
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  return { secure, host, port, url: `${secure ? 'ldaps' : 'ldap'}://${shown}:${port}` };
}
