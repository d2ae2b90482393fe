/**
 * What the planner works from, whichever file it came from: the deployment description (deployment.ts) or the
 * server configuration `autodisco serve` answers from (src/settings). Both converters are pure.
 */
import type { Config, MailServer } from '../settings/schema.js';
import { DEFAULT_ORGANIZATION, type Deployment, type DeploymentServer, type ServiceUrlsInput } from './deployment.js';

/** Where the planned names point: addresses (A / AAAA) or another host name (CNAME). */
export type DnsTarget = { addresses: readonly string[] } | { cname: string };

export interface PlanDomain {
  /** An accepted (address) domain, A-labels. */
  name: string;
  /** What autodiscover.<name> should be a CNAME to; null: it gets the addresses itself. */
  autodiscoverTarget: string | null;
  /** Host the `_autodiscover._tcp.<name>` SRV record would name (must be on the certificate). */
  srvTarget: string;
  /** Also publish autoconfig.<name> (Thunderbird). */
  autoconfig: boolean;
  /** e.g. "alias of example.test"; shown in reasons. */
  note?: string;
}

/** One reason a host name is needed, kept structured so that reasons can be merged into one readable line. */
export type HostRole =
  | { kind: 'namespace'; label: string }
  | { kind: 'url'; service: string; scope: 'internal' | 'external' }
  | { kind: 'outlook-anywhere'; scope: 'internal' | 'external' }
  | { kind: 'scp'; server: string }
  | { kind: 'mail'; protocol: 'IMAP' | 'POP3' | 'SMTP'; port: number; security: 'tls' | 'starttls' }
  | { kind: 'autodiscover-host'; domain: string };

export interface PlanHost {
  name: string;
  roles: HostRole[];
  /**
   * Names expected on one certificate share a group. Exchange (IIS) binds one certificate for every HTTPS name;
   * the servers of a configuration's IMAP/SMTP hosts each have their own.
   */
  group: string;
  /** TLS port to probe with --check; null when the service is STARTTLS only (not probed). */
  port: number | null;
  /** Publish a record for it, pointing at the anchor (or at the addresses when it is the anchor). */
  dns: boolean;
}

export interface PlanServer {
  name: string;
  fqdn: string | null;
  site: string;
  siteScope: string[];
  /** The AutoDiscoverServiceInternalUri (serviceBindingInformation). */
  url: string;
  /** True when the file left it out and Exchange's default (the NetBIOS name) is assumed. */
  urlIsDefault: boolean;
  domains: string[];
  whenCreated: string | null;
}

export interface PlanInput {
  source: 'deployment' | 'config';
  organization: string;
  domains: PlanDomain[];
  /** The host that carries the addresses; other published names are CNAMEs to it. Null: each name gets them. */
  anchor: string | null;
  /** The group whose names `--csr` requests (the Autodiscover / Exchange certificate). */
  mainGroup: string;
  /** A name on the certificate to suggest in fixes, e.g. webmail.domain.com. */
  suggestedHost: string;
  hosts: PlanHost[];
  servers: PlanServer[];
  dns: { ttl: number; external: DnsTarget | null; internal: DnsTarget | null };
  rootDomain: boolean;
}

/** Exchange setup's default SCP URL: the server's NetBIOS name. */
export function defaultScpUrl(server: string): string {
  return `https://${server}/Autodiscover/Autodiscover.xml`;
}

const SERVICE_LABELS = {
  owa: 'OWA',
  ecp: 'ECP',
  ews: 'EWS',
  oab: 'OAB',
  activeSync: 'ActiveSync',
  mapi: 'MAPI/HTTP',
} as const;

const SERVICE_PATHS = {
  owa: '/owa',
  ecp: '/ecp',
  ews: '/EWS/Exchange.asmx',
  oab: '/OAB',
  activeSync: '/Microsoft-Server-ActiveSync',
  mapi: '/mapi',
} as const;

type ServiceKey = keyof typeof SERVICE_LABELS;
const SERVICE_KEYS = Object.keys(SERVICE_LABELS) as ServiceKey[];

/** Host of an https URL in the form names are compared (lower case, no brackets). */
export function urlHost(url: string): string {
  const host = new URL(url).hostname.toLowerCase();
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Collects hosts in first-seen order, merging roles. */
class HostList {
  readonly hosts: PlanHost[] = [];

  add(name: string, role: HostRole, options: { group: string; port: number | null; dns: boolean }): void {
    const existing = this.hosts.find((h) => h.name === name);
    if (existing === undefined) {
      this.hosts.push({ name, roles: [role], ...options });
      return;
    }
    existing.roles.push(role);
    existing.dns ||= options.dns;
    if (existing.port === null) existing.port = options.port;
  }
}

function resolveUrl(
  given: ServiceUrlsInput | undefined,
  scope: 'internal' | 'external',
  namespace: string,
  key: ServiceKey,
): string | null {
  const value = given?.[scope];
  if (value === null) return null;
  return value ?? `https://${namespace}${SERVICE_PATHS[key]}`;
}

function planServer(s: DeploymentServer): PlanServer {
  return {
    name: s.name,
    fqdn: s.fqdn ?? null,
    site: s.site,
    siteScope: s.siteScope ?? [s.site],
    url: s.autoDiscoverServiceInternalUri ?? defaultScpUrl(s.name),
    urlIsDefault: s.autoDiscoverServiceInternalUri === undefined,
    domains: s.domains ?? [],
    whenCreated: s.whenCreated ?? null,
  };
}

export const EXCHANGE_GROUP = 'exchange';
export const AUTODISCO_GROUP = 'autodisco';

/** The deployment file → plan input. Every HTTPS name is served by the Client Access servers' one certificate. */
export function fromDeployment(d: Deployment): PlanInput {
  const mail = d.namespaces.mail;
  const internal = d.namespaces.internal ?? mail;
  const hosts = new HostList();
  const https = { group: EXCHANGE_GROUP, port: 443 };
  hosts.add(mail, { kind: 'namespace', label: 'mail namespace' }, { ...https, dns: true });
  const autodiscoverNs = d.namespaces.autodiscover;
  if (autodiscoverNs !== undefined && !d.acceptedDomains.some((a) => autodiscoverNs === `autodiscover.${a}`)) {
    hosts.add(autodiscoverNs, { kind: 'namespace', label: 'Autodiscover namespace' }, { ...https, dns: true });
  }
  for (const key of SERVICE_KEYS) {
    const given = d.services[key];
    const external = resolveUrl(given, 'external', mail, key);
    if (external !== null) {
      hosts.add(
        urlHost(external),
        { kind: 'url', service: SERVICE_LABELS[key], scope: 'external' },
        { ...https, dns: true },
      );
    }
    const inside = resolveUrl(given, 'internal', internal, key);
    if (inside !== null) {
      hosts.add(
        urlHost(inside),
        { kind: 'url', service: SERVICE_LABELS[key], scope: 'internal' },
        { ...https, dns: false },
      );
    }
  }
  const oa = d.outlookAnywhere;
  const oaExternal = oa?.externalHostname === undefined ? mail : oa.externalHostname;
  const oaInternal = oa?.internalHostname === undefined ? internal : oa.internalHostname;
  if (oaExternal !== null)
    hosts.add(oaExternal, { kind: 'outlook-anywhere', scope: 'external' }, { ...https, dns: true });
  if (oaInternal !== null)
    hosts.add(oaInternal, { kind: 'outlook-anywhere', scope: 'internal' }, { ...https, dns: false });
  const servers = d.servers.map(planServer);
  for (const s of servers) hosts.add(urlHost(s.url), { kind: 'scp', server: s.name }, { ...https, dns: false });

  const external: DnsTarget | null =
    d.dns.externalAddresses !== undefined
      ? { addresses: d.dns.externalAddresses }
      : d.dns.loadBalancer !== undefined
        ? { cname: d.dns.loadBalancer }
        : null;
  return {
    source: 'deployment',
    organization: d.organization,
    domains: d.acceptedDomains.map((name) => ({
      name,
      autodiscoverTarget: mail,
      srvTarget: mail,
      autoconfig: d.dns.autoconfig,
    })),
    anchor: mail,
    mainGroup: EXCHANGE_GROUP,
    suggestedHost: mail,
    hosts: hosts.hosts,
    servers,
    dns: {
      ttl: d.dns.ttl,
      external,
      internal: d.dns.internalAddresses === undefined ? null : { addresses: d.dns.internalAddresses },
    },
    rootDomain: d.rootDomain,
  };
}

const DEFAULT_PORTS = {
  IMAP: { tls: 993, starttls: 143 },
  POP3: { tls: 995, starttls: 110 },
  SMTP: { tls: 465, starttls: 587 },
} as const;

export interface FromConfigOptions {
  ttl?: number;
  target?: DnsTarget | null;
}

/**
 * The server configuration → plan input. autodisco serves autodiscover.<domain> and autoconfig.<domain> (and a
 * domain's autodiscoverHost) for every domain and alias: those names form the main certificate. The IMAP, POP3,
 * SMTP, ActiveSync and Exchange hosts the answers point at are other servers, each needing its own name on its
 * own certificate; they are checked, not put in the CSR.
 */
export function fromConfig(config: Config, options: FromConfigOptions = {}): PlanInput {
  const hosts = new HostList();
  const domains: PlanDomain[] = [];
  const main = { group: AUTODISCO_GROUP, port: 443, dns: true };
  for (const d of config.domains) {
    const own = `autodiscover.${d.name}`;
    const custom = d.autodiscoverHost !== undefined && d.autodiscoverHost !== own ? d.autodiscoverHost : null;
    if (custom !== null) hosts.add(custom, { kind: 'autodiscover-host', domain: d.name }, main);
    const srvTarget = custom ?? own;
    domains.push({ name: d.name, autodiscoverTarget: custom, srvTarget, autoconfig: true });
    for (const alias of d.aliases) {
      domains.push({
        name: alias,
        autodiscoverTarget: custom,
        srvTarget,
        autoconfig: true,
        note: `alias of ${d.name}`,
      });
    }
  }
  const other = (name: string, port: number | null) => ({
    group: hosts.hosts.find((h) => h.name === name)?.group ?? name,
    port,
    dns: false,
  });
  for (const d of config.domains) {
    const mailServer = (protocol: 'IMAP' | 'POP3' | 'SMTP', server: MailServer | undefined) => {
      if (server === undefined || server.security === 'none') return;
      const port = server.port ?? DEFAULT_PORTS[protocol][server.security];
      const probe = server.security === 'tls' ? port : null;
      hosts.add(server.host, { kind: 'mail', protocol, port, security: server.security }, other(server.host, probe));
    };
    mailServer('IMAP', d.imap);
    mailServer('POP3', d.pop3);
    mailServer('SMTP', d.smtp);
    if (d.activeSync !== undefined) {
      const host = urlHost(d.activeSync.url);
      hosts.add(host, { kind: 'url', service: 'ActiveSync', scope: 'external' }, other(host, 443));
    }
    const ex = d.exchange;
    if (ex === undefined) continue;
    const urls: [string, { internal?: string | undefined; external?: string | undefined } | undefined][] = [
      ['OWA', ex.owa],
      ['ECP', ex.ecp],
      ['EWS', ex.ews],
      ['OAB', ex.oab],
      ['Availability', ex.availability],
      ['MAPI/HTTP', ex.mapiHttp],
    ];
    for (const [service, pair] of urls) {
      for (const scope of ['external', 'internal'] as const) {
        const url = pair?.[scope];
        if (url === undefined || !url.startsWith('https:')) continue;
        const host = urlHost(url);
        hosts.add(host, { kind: 'url', service, scope }, other(host, 443));
      }
    }
    const oa = ex.outlookAnywhere;
    if (oa?.ssl) {
      hosts.add(oa.externalHost, { kind: 'outlook-anywhere', scope: 'external' }, other(oa.externalHost, 443));
      if (oa.internalHost !== undefined) {
        hosts.add(oa.internalHost, { kind: 'outlook-anywhere', scope: 'internal' }, other(oa.internalHost, 443));
      }
    }
  }
  const first = domains[0];
  return {
    source: 'config',
    organization: DEFAULT_ORGANIZATION,
    domains,
    anchor: null,
    mainGroup: AUTODISCO_GROUP,
    suggestedHost: first === undefined ? 'autodiscover.example.com' : (first.autodiscoverTarget ?? first.srvTarget),
    hosts: hosts.hosts,
    servers: [],
    dns: { ttl: options.ttl ?? 3600, external: options.target ?? null, internal: null },
    rootDomain: false,
  };
}
