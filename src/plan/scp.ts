/**
 * The Autodiscover SCP objects an Exchange Client Access server's setup writes into the configuration naming
 * context (docs/protocol.md §1.1), as data and as LDIF. Pure.
 */
import { escapeRdnValue } from '../ldap/dn.js';
import { EXCHANGE_ADMIN_GROUP, SCP_SERVICE_CLASS_NAME, SCP_URL_KEYWORD } from '../ldap/scp.js';

export const SCP_OBJECT_CLASSES = ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'] as const;

/** Stands for the forest's configuration naming context until it is known (read from the root DSE). */
export const CONFIG_NC_PLACEHOLDER = '<configurationNamingContext>';

/** The containers from the organisation down to a server's SCP, outermost first, relative to the configuration NC. */
export function scpPath(organization: string, server: string): { organization: string; chain: string[]; scp: string } {
  const org = `CN=${escapeRdnValue(organization)},CN=Microsoft Exchange,CN=Services`;
  const servers = `CN=Servers,CN=${EXCHANGE_ADMIN_GROUP},CN=Administrative Groups,${org}`;
  const serverDn = `CN=${escapeRdnValue(server)},${servers}`;
  const protocols = `CN=Protocols,${serverDn}`;
  const autodiscover = `CN=Autodiscover,${protocols}`;
  return {
    organization: org,
    chain: [
      `CN=Administrative Groups,${org}`,
      `CN=${EXCHANGE_ADMIN_GROUP},CN=Administrative Groups,${org}`,
      servers,
      serverDn,
      protocols,
      autodiscover,
    ],
    scp: `CN=${escapeRdnValue(server)},${autodiscover}`,
  };
}

/** `below` + the configuration NC. */
export function underConfiguration(below: string, configNc: string): string {
  return `${below},${configNc}`;
}

export function scpKeywords(siteScope: readonly string[], domains: readonly string[]): string[] {
  return [SCP_URL_KEYWORD, ...siteScope.map((s) => `Site=${s}`), ...domains.map((d) => `Domain=${d}`)];
}

/** The attributes a client may write; whenCreated (and objectCategory) are the directory's to set. */
export function scpAttributes(server: string, url: string, keywords: readonly string[]): Record<string, string[]> {
  return {
    objectClass: [...SCP_OBJECT_CLASSES],
    cn: [server],
    keywords: [...keywords],
    serviceBindingInformation: [url],
    serviceClassName: [SCP_SERVICE_CLASS_NAME],
  };
}

export interface LdifRecord {
  dn: string;
  attributes: Readonly<Record<string, readonly string[]>>;
  /** Comment lines written above the record (without the leading '#'). */
  comments?: readonly string[];
}

/** RFC 2849 SAFE-STRING (ASCII without NUL, LF, CR; not starting with space, ':' or '<'); else base64 after `::`. */
function isSafe(value: string): boolean {
  if (value === '') return true;
  if (value.startsWith(' ') || value.startsWith(':') || value.startsWith('<') || value.endsWith(' ')) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13 || c > 127) return false;
  }
  return true;
}

function line(attribute: string, value: string): string {
  return isSafe(value) ? `${attribute}: ${value}` : `${attribute}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

/** LDIF change records (`changetype: add`), as `ldifde -i` or `ldapadd` take them. */
export function toLdif(records: readonly LdifRecord[]): string {
  const out = ['version: 1'];
  for (const r of records) {
    out.push('');
    for (const c of r.comments ?? []) out.push(`# ${c}`);
    out.push(line('dn', r.dn), 'changetype: add');
    for (const [name, values] of Object.entries(r.attributes)) for (const v of values) out.push(line(name, v));
  }
  return `${out.join('\n')}\n`;
}
