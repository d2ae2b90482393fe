/**
 * What a fleet is, before anything listens: deterministic domain names, each domain's category (balanced, in an
 * order drawn from the seed), its DNS records, the settings each shared server answers with, and the manifest
 * (every domain's category and what each client must meet there). Pure: no I/O.
 */
import type { Zone, ZoneRecord } from '../../dns/zone.js';
import { AutodiscoError } from '../../errors.js';
import { type Config, type DomainSettings, domain as domainSchema } from '../../settings/schema.js';
import { CATEGORIES, type Expectation, FLEET_CATEGORIES, type FleetCategory, type FleetClient } from './categories.js';

export const FLEET_ZONE = 'fleet.test';
export const MAX_FLEET_DOMAINS = 99_999;

/** The shared hosts, by their offset in the fleet's range (the DNS server is at .53). */
export const FLEET_HOSTS = {
  /** Websites at https://<domain>: the certificate chosen by SNI says which category. */
  web: 100,
  /** Websites on plain HTTP only (nothing listens on 443 there). */
  webNoTls: 101,
  /** The domains' own Exchange-like server: autodiscover.<domain>, mail.<domain>. */
  exchange: 102,
  /** A hosting provider reached through SRV records: autodiscover.hoster.test. */
  hoster: 103,
  /** Plain-HTTP redirector of the HTTP redirect method (nothing on 443). */
  redirector: 104,
  /** The provider the redirects lead to: mail.provider.test. */
  provider: 105,
  /** A shared web host with a wildcard certificate *.webhost.test as its default. */
  webhost: 106,
} as const;
export type FleetHostRole = keyof typeof FLEET_HOSTS;

export interface FleetDomain {
  index: number;
  domain: string;
  email: string;
  category: FleetCategory;
}

export interface FleetManifest {
  schema: 'autodisco.fleet-manifest/1';
  seed: number;
  domains: number;
  range: string;
  dns: string;
  ca: string;
  /** Domains per category. */
  counts: Record<FleetCategory, number>;
  categories: Record<FleetCategory, { title: string; like: string; expect: Record<FleetClient, Expectation> }>;
  entries: { domain: string; email: string; category: FleetCategory }[];
}

/** mulberry32: a small, well-known seeded generator; the fleet must be the same for the same seed everywhere. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function fleetDomainName(index: number, category: FleetCategory): string {
  return `d${String(index).padStart(5, '0')}-${category}.${FLEET_ZONE}`;
}

/** N domains, every category as often as the others (±1), in an order drawn from the seed. */
export function planFleet(count: number, seed: number): FleetDomain[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_FLEET_DOMAINS) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `--domains ${count}: expected a whole number from 1 to ${MAX_FLEET_DOMAINS}`,
    );
  }
  const categories = Array.from({ length: count }, (_, i) => FLEET_CATEGORIES[i % FLEET_CATEGORIES.length]);
  const next = random(seed);
  for (let i = categories.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [categories[i], categories[j]] = [categories[j], categories[i]];
  }
  return categories.map((category, index) => {
    const c = category as FleetCategory;
    const domain = fleetDomainName(index, c);
    return { index, domain, email: `postmaster@${domain}`, category: c };
  });
}

/** Which category a name under the fleet zone belongs to, and its domain (`www.d00001-healthy.fleet.test`). */
export function domainOf(name: string): { domain: string; category: FleetCategory; label: string } | undefined {
  const m = /^(?:([a-z0-9-]+)\.)?(d\d{5,}-([a-z-]+)\.fleet\.test)\.?$/.exec(name.toLowerCase());
  if (m === null) return undefined;
  const category = m[3] as FleetCategory;
  if (!FLEET_CATEGORIES.includes(category)) return undefined;
  return { domain: m[2] as string, category, label: m[1] ?? '' };
}

function a(name: string, role: FleetHostRole, at: (offset: number) => string): ZoneRecord {
  return { name, type: 'A', value: at(FLEET_HOSTS[role]) };
}

function records(d: FleetDomain, at: (offset: number) => string): ZoneRecord[] {
  const n = d.domain;
  const mx = (exchange: string): ZoneRecord => ({ name: `${n}.`, type: 'MX', preference: 10, exchange });
  const own = [a(`autodiscover.${n}.`, 'exchange', at), a(`mail.${n}.`, 'exchange', at), mx(`mail.${n}`)];
  switch (d.category) {
    case 'healthy':
    case 'root-trap':
      return [a(`${n}.`, 'web', at), a(`www.${n}.`, 'web', at), ...own];
    case 'root-no-tls':
      return [a(`${n}.`, 'webNoTls', at), a(`www.${n}.`, 'webNoTls', at), ...own];
    case 'expired':
      return own;
    case 'srv-only':
      return [
        {
          name: `_autodiscover._tcp.${n}.`,
          type: 'SRV',
          priority: 0,
          weight: 0,
          port: 443,
          target: 'autodiscover.hoster.test',
        },
        mx('mail.hoster.test'),
      ];
    case 'http-redirect':
      return [a(`autodiscover.${n}.`, 'redirector', at), mx('mail.provider.test')];
    case 'nothing':
      return [];
    case 'plain-http-autoconfig':
      // autoconfig.<domain> on the address without HTTPS: https:// is refused, http:// answers.
      return [a(`autoconfig.${n}.`, 'webNoTls', at), ...own];
    case 'dangling-host':
    case 'expiring':
      return own;
    case 'wildcard-dns':
      return [a(`${n}.`, 'webhost', at), a(`*.${n}.`, 'webhost', at), a(`mail.${n}.`, 'exchange', at), mx(`mail.${n}`)];
  }
}

/**
 * Seconds. The fleet stands for customer domains on the internet, whose records carry TTLs of minutes, and it
 * never changes a record at runtime (the lab's zones keep TTL 0 because they do): clients may cache its answers
 * as they would real ones (an audit's shared DNS cache does, for the provider hosts every domain points at).
 */
export const FLEET_TTL = 300;

/** The fleet's zones: one for every domain under fleet.test, the providers', and an empty root (NXDOMAIN). */
export function fleetZones(domains: readonly FleetDomain[], at: (offset: number) => string): Zone[] {
  const zones: Zone[] = [
    { origin: FLEET_ZONE, records: domains.flatMap((d) => records(d, at)) },
    {
      origin: 'hoster.test',
      records: [a('autodiscover', 'hoster', at), a('mail', 'hoster', at)],
    },
    { origin: 'provider.test', records: [a('mail', 'provider', at)] },
    { origin: 'webhost.test', records: [a('www', 'webhost', at)] },
    { origin: '.', records: [] },
  ];
  return zones.map((zone) => ({ ...zone, records: zone.records.map((r) => ({ ...r, ttl: FLEET_TTL })) }));
}

/** Where the dangling-host category's settings point: a domain that has no DNS at all. */
export function goneHost(d: FleetDomain): string {
  return `mail-${d.index}.gone-provider.test`;
}

/** The settings of one domain, served from `host` (its own mail.<domain>, or the provider's). */
function domainSettings(domain: string, host: string, hosted: boolean, imapSecurity = 'tls'): DomainSettings {
  return domainSchema.parse({
    name: domain,
    displayName: hosted ? `${domain} (hosted)` : domain,
    imap: { host, security: imapSecurity },
    smtp: { host, port: 587, security: 'starttls' },
    activeSync: { url: `https://${host}/Microsoft-Server-ActiveSync` },
    exchange: {
      server: host,
      ews: { external: `https://${host}/EWS/Exchange.asmx` },
      outlookAnywhere: { externalHost: host },
    },
  });
}

/** What each shared Autodiscover server serves: its own domains, the hoster's SRV customers, the provider's. */
export function fleetConfigs(domains: readonly FleetDomain[]): { exchange: Config; hoster: Config; provider: Config } {
  const pick = (...cats: FleetCategory[]) => domains.filter((d) => cats.includes(d.category));
  return {
    exchange: {
      domains: [
        ...pick('healthy', 'root-trap', 'root-no-tls', 'expired', 'wildcard-dns', 'expiring').map((d) =>
          domainSettings(d.domain, `mail.${d.domain}`, false),
        ),
        ...pick('plain-http-autoconfig').map((d) => domainSettings(d.domain, `mail.${d.domain}`, false, 'none')),
        ...pick('dangling-host').map((d) => domainSettings(d.domain, goneHost(d), false)),
      ],
      users: [],
    },
    hoster: { domains: pick('srv-only').map((d) => domainSettings(d.domain, 'mail.hoster.test', true)), users: [] },
    provider: {
      domains: pick('http-redirect').map((d) => domainSettings(d.domain, 'mail.provider.test', true)),
      users: [],
    },
  };
}

export function fleetManifest(
  domains: readonly FleetDomain[],
  seed: number,
  where: { range: string; dns: string; ca: string },
): FleetManifest {
  const counts = Object.fromEntries(FLEET_CATEGORIES.map((c) => [c, 0])) as Record<FleetCategory, number>;
  for (const d of domains) counts[d.category]++;
  return {
    schema: 'autodisco.fleet-manifest/1',
    seed,
    domains: domains.length,
    ...where,
    counts,
    categories: CATEGORIES,
    entries: domains.map((d) => ({ domain: d.domain, email: d.email, category: d.category })),
  };
}
