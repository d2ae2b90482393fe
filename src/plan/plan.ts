/**
 * The planner: from a deployment (or a server configuration) to the DNS records to publish, the SRV alternative,
 * the SCP entries, the names the certificate must carry, whether one wildcard would do, and what will not work.
 * Rules from protocol.md §1.1, §1.2 and §8 and tls-and-security.md §1. Pure: no I/O, same input, same plan.
 */
import { parse as parseDomain } from 'tldts';
import type { DnsTarget, HostRole, PlanHost, PlanInput } from './input.js';
import { classifyName, parentOf, wildcardIssuable } from './names.js';
import { CONFIG_NC_PLACEHOLDER, scpKeywords, scpPath, underConfiguration } from './scp.js';

export interface DnsRecordPlan {
  /** `external`: the public zone; `internal`: the zone inside the network (split-brain DNS). */
  view: 'external' | 'internal';
  /** The zone the record belongs in (its accepted domain, else its registrable domain). */
  zone: string;
  name: string;
  type: 'A' | 'AAAA' | 'CNAME';
  /** Address, or the CNAME target without the trailing dot. `<address>` when it is not known yet. */
  value: string;
  ttl: number;
  why: string;
  /** The value is unknown (no address given): the zone snippet has the record commented out. */
  placeholder?: true;
}

export interface SrvAlternative {
  domain: string;
  name: string;
  target: string;
  port: 443;
  /** The zone-file line. */
  record: string;
  caveat: string;
}

export interface ScpEntryPlan {
  server: string;
  site: string;
  url: string;
  urlIsDefault: boolean;
  keywords: string[];
  /** With `<configurationNamingContext>` standing for the forest's configuration NC. */
  dn: string;
  whenCreated: string | null;
  /** Exchange Management Shell line that sets this (Exchange 2016+; Set-ClientAccessServer on 2007–2013). */
  command: string;
}

export interface CertificateName {
  name: string;
  why: string;
  publicCaWillIssue: boolean;
  warning?: string;
  /** Names of one group belong on one certificate; `--csr` requests the plan's main group. */
  group: string;
  /** TLS port `--check` probes; null: STARTTLS only, not probed. */
  port: number | null;
}

export interface NotNeededName {
  name: string;
  why: string;
}

export interface WildcardPlan {
  possible: boolean;
  wildcard?: string;
  covers: string[];
  notCovered: { name: string; why: string }[];
  note: string;
}

export interface Plan {
  source: PlanInput['source'];
  /** The group `--csr` requests. */
  mainGroup: string;
  dnsRecords: DnsRecordPlan[];
  zoneSnippet: string;
  srvAlternative: SrvAlternative[];
  scpEntries: ScpEntryPlan[];
  certificateNames: CertificateName[];
  /** Names someone might expect on the certificate, and why they are not. */
  notNeeded: NotNeededName[];
  wildcard: WildcardPlan;
  warnings: string[];
  /**
   * Accepted domains whose bare name the plan does not make answer Autodiscover: Outlook tries
   * https://<domain>/autodiscover/autodiscover.xml first all the same, so `--check` looks at what it serves.
   */
  rootDomains: string[];
}

const PLACEHOLDER = '<address>';

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** One readable line from a host's roles: "mail namespace; internal and external URLs: OWA, EWS; …". */
export function describeRoles(roles: readonly HostRole[]): string {
  const parts: string[] = [];
  const namespaces = unique(roles.flatMap((r) => (r.kind === 'namespace' ? [r.label] : [])));
  parts.push(...namespaces);
  const urls = (scope: 'internal' | 'external') =>
    unique(roles.flatMap((r) => (r.kind === 'url' && r.scope === scope ? [r.service] : [])));
  const external = urls('external');
  const internal = urls('internal');
  if (external.length > 0 && external.join() === internal.join()) {
    parts.push(`internal and external URLs: ${external.join(', ')}`);
  } else {
    if (external.length > 0) parts.push(`external URLs: ${external.join(', ')}`);
    if (internal.length > 0) parts.push(`internal URLs: ${internal.join(', ')}`);
  }
  const oa = unique(roles.flatMap((r) => (r.kind === 'outlook-anywhere' ? [r.scope] : [])));
  if (oa.length === 2) parts.push('Outlook Anywhere internal and external host name');
  else if (oa.length === 1) parts.push(`Outlook Anywhere ${oa[0]} host name`);
  const scp = unique(roles.flatMap((r) => (r.kind === 'scp' ? [r.server] : [])));
  if (scp.length > 0) parts.push(`AutoDiscoverServiceInternalUri of ${list(scp)} (SCP: domain-joined Outlook)`);
  for (const r of roles) {
    if (r.kind === 'mail')
      parts.push(`${r.protocol} server (port ${r.port}, ${r.security === 'tls' ? 'TLS' : 'STARTTLS'})`);
  }
  const adHosts = unique(roles.flatMap((r) => (r.kind === 'autodiscover-host' ? [r.domain] : [])));
  if (adHosts.length > 0) parts.push(`Autodiscover host of ${list(adHosts)}`);
  return unique(parts).join('; ');
}

/** The zone a name is published in: the longest accepted domain it is in, else its registrable domain. */
function zoneOf(name: string, domains: readonly string[]): string {
  const owner = domains.filter((d) => name === d || name.endsWith(`.${d}`)).sort((a, b) => b.length - a.length)[0];
  if (owner !== undefined) return owner;
  return parseDomain(name).domain ?? parentOf(name) ?? name;
}

function nonPublicFix(input: PlanInput): string {
  return input.source === 'deployment'
    ? `set AutoDiscoverServiceInternalUri (and internal URLs) to a name on the certificate, e.g. https://${input.suggestedHost}/Autodiscover/Autodiscover.xml`
    : 'use a public DNS name for this host in the configuration';
}

/** The warning for a name no public CA certifies; undefined for a public name. */
function nameWarning(name: string, input: PlanInput): string | undefined {
  const c = classifyName(name);
  if (c.kind === 'public') return undefined;
  if (c.kind === 'public-ip') return `${name} is an IP address: few public CAs certify addresses; use a host name`;
  if (c.kind === 'reserved') return `${name} ${c.reason}; no public CA will issue it`;
  return `${name} ${c.reason}: no public CA will issue this; ${nonPublicFix(input)}`;
}

interface NameEntry {
  name: string;
  why: string[];
  group: string;
  port: number | null;
}

/** Every name in order: the anchor, autodiscover.<d>, autoconfig.<d>, root domains, then the other hosts. */
function requiredNames(input: PlanInput): NameEntry[] {
  const out: NameEntry[] = [];
  const add = (name: string, why: string, group: string, port: number | null) => {
    const existing = out.find((e) => e.name === name);
    if (existing === undefined) {
      out.push({ name, why: [why], group, port });
      return;
    }
    if (!existing.why.includes(why)) existing.why.push(why);
    if (group === input.mainGroup) existing.group = group;
    existing.port ??= port;
  };
  const hostEntry = (h: PlanHost) => add(h.name, describeRoles(h.roles), h.group, h.port);
  const anchor = input.hosts.find((h) => h.name === input.anchor);
  if (anchor !== undefined) hostEntry(anchor);
  for (const h of input.hosts)
    if (h.group === input.mainGroup && h.roles.some((r) => r.kind === 'autodiscover-host')) hostEntry(h);
  for (const d of input.domains) {
    const name = `autodiscover.${d.name}`;
    const who = d.note === undefined ? `@${d.name}` : `@${d.name} (${d.note})`;
    const srv = d.srvTarget === name ? '' : ' (or publish the SRV alternative instead)';
    add(
      name,
      `Outlook's Autodiscover URL for ${who} addresses: https://${name}/autodiscover/autodiscover.xml${srv}`,
      input.mainGroup,
      443,
    );
  }
  for (const d of input.domains) {
    if (!d.autoconfig) continue;
    const name = `autoconfig.${d.name}`;
    add(
      name,
      `Thunderbird's autoconfig URL for @${d.name} addresses: https://${name}/mail/config-v1.1.xml`,
      input.mainGroup,
      443,
    );
  }
  if (input.rootDomain) {
    for (const d of input.domains) {
      add(
        d.name,
        `root-domain Autodiscover URL https://${d.name}/autodiscover/autodiscover.xml (Outlook tries it first)`,
        input.mainGroup,
        443,
      );
    }
  }
  for (const h of input.hosts) if (h.name !== input.anchor) hostEntry(h);
  return out;
}

function certificateNames(input: PlanInput): CertificateName[] {
  return requiredNames(input).map((e) => {
    const c = classifyName(e.name);
    const warning = nameWarning(e.name, input);
    return {
      name: e.name,
      why: e.why.join('; '),
      publicCaWillIssue: c.publicCaWillIssue,
      ...(warning === undefined ? {} : { warning }),
      group: e.group,
      port: e.port,
    };
  });
}

function targetRecords(
  view: DnsRecordPlan['view'],
  name: string,
  target: DnsTarget | null,
  ttl: number,
  why: string,
  zone: string,
): DnsRecordPlan[] {
  const record = (type: DnsRecordPlan['type'], value: string): DnsRecordPlan => ({
    view,
    zone,
    name,
    type,
    value,
    ttl,
    why,
  });
  if (target === null) return [{ ...record('A', PLACEHOLDER), placeholder: true }];
  if ('cname' in target) return [record('CNAME', target.cname)];
  return target.addresses.map((a) => record(a.includes(':') ? 'AAAA' : 'A', a));
}

function dnsRecords(input: PlanInput): DnsRecordPlan[] {
  const domains = input.domains.map((d) => d.name);
  const serverNames = new Set(
    input.servers.flatMap((s) => [s.name.toLowerCase(), ...(s.fqdn === null ? [] : [s.fqdn])]),
  );
  const records: DnsRecordPlan[] = [];
  const views: [DnsRecordPlan['view'], DnsTarget | null][] = [['external', input.dns.external]];
  if (input.dns.internal !== null) views.push(['internal', input.dns.internal]);
  for (const [view, target] of views) {
    const done = new Set<string>();
    const point = (name: string, why: string, cnameTo: string | null) => {
      if (!name.includes('.')) return;
      if (done.has(name)) {
        for (const r of records) if (r.view === view && r.name === name && !r.why.includes(why)) r.why += `; ${why}`;
        return;
      }
      done.add(name);
      const zone = zoneOf(name, domains);
      if (cnameTo === null || cnameTo === name)
        records.push(...targetRecords(view, name, target, input.dns.ttl, why, zone));
      else records.push({ view, zone, name, type: 'CNAME', value: cnameTo, ttl: input.dns.ttl, why });
    };
    const published = (h: PlanHost) =>
      h.group === input.mainGroup &&
      (view === 'external' ? h.dns : !serverNames.has(h.name) && classifyName(h.name).kind !== 'single-label');
    const anchor = input.hosts.find((h) => h.name === input.anchor);
    if (anchor !== undefined) point(anchor.name, describeRoles(anchor.roles), null);
    for (const h of input.hosts) if (published(h)) point(h.name, describeRoles(h.roles), input.anchor);
    for (const d of input.domains) {
      const name = `autodiscover.${d.name}`;
      point(
        name,
        `Outlook looks up https://${name}/autodiscover/autodiscover.xml for @${d.name} addresses`,
        d.autodiscoverTarget ?? input.anchor,
      );
    }
    for (const d of input.domains) {
      if (!d.autoconfig) continue;
      const name = `autoconfig.${d.name}`;
      point(name, `Thunderbird looks up https://${name}/mail/config-v1.1.xml for @${d.name} addresses`, input.anchor);
    }
  }
  return records;
}

/** BIND zone-file text: one block per view and zone, a comment above each record saying why. */
export function renderZoneSnippet(records: readonly DnsRecordPlan[]): string {
  const lines: string[] = [];
  for (const view of ['external', 'internal'] as const) {
    const inView = records.filter((r) => r.view === view);
    if (inView.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(
      view === 'external'
        ? '; ===== external view (public DNS) ====='
        : '; ===== internal view (DNS inside the network) =====',
    );
    for (const zone of unique(inView.map((r) => r.zone))) {
      lines.push(`; --- zone ${zone} ---`);
      for (const r of inView.filter((x) => x.zone === zone)) {
        lines.push(`; ${r.why}`);
        const value = r.type === 'CNAME' ? `${r.value}.` : r.value;
        const text = `${r.name}. ${r.ttl} IN ${r.type} ${value}`;
        lines.push(r.placeholder ? `; ${text}   <- address unknown: fill it in` : text);
      }
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function srvAlternatives(input: PlanInput): SrvAlternative[] {
  // A domain whose SRV record would name its own autodiscover host has no alternative to offer.
  return input.domains
    .filter((d) => d.srvTarget !== `autodiscover.${d.name}`)
    .map((d) => {
      const name = `_autodiscover._tcp.${d.name}`;
      const target = d.srvTarget;
      const redirect =
        `Outlook asks the user to allow https://${target}/autodiscover/autodiscover.xml to configure the account ` +
        '("Allow this website to configure … server settings?") unless the host is pre-approved in the RedirectServers registry value';
      return {
        domain: d.name,
        name,
        target,
        port: 443,
        record: `${name}. ${input.dns.ttl} IN SRV 0 0 443 ${target}.`,
        caveat:
          `Instead of autodiscover.${d.name} (then that name need not be on the certificate, only ${target}). ` +
          `${redirect}; Outlook tries SRV last, after https://autodiscover.${d.name}/, which must then not resolve ` +
          '(or must fail cleanly: no wildcard DNS record sending it to a website); Windows Mail and Outlook for Mac ignore SRV.',
      };
    });
}

function quoteShell(value: string): string {
  return /^[A-Za-z0-9._:/-]+$/.test(value) ? value : `'${value.replace(/'/g, "''")}'`;
}

function scpEntries(input: PlanInput): ScpEntryPlan[] {
  return input.servers.map((s) => {
    const url = s.urlIsDefault ? `https://${input.suggestedHost}/Autodiscover/Autodiscover.xml` : s.url;
    const scope = s.siteScope.map(quoteShell).join(',');
    return {
      server: s.name,
      site: s.site,
      url: s.url,
      urlIsDefault: s.urlIsDefault,
      keywords: scpKeywords(s.siteScope, s.domains),
      dn: underConfiguration(scpPath(input.organization, s.name).scp, CONFIG_NC_PLACEHOLDER),
      whenCreated: s.whenCreated,
      command: `Set-ClientAccessService -Identity ${quoteShell(s.name)} -AutoDiscoverServiceInternalUri ${url} -AutoDiscoverSiteScope ${scope}`,
    };
  });
}

function notNeeded(input: PlanInput, names: readonly CertificateName[]): NotNeededName[] {
  const onCert = new Set(names.map((n) => n.name));
  const out: NotNeededName[] = [];
  for (const s of input.servers) {
    if (!onCert.has(s.name.toLowerCase())) {
      out.push({
        name: s.name,
        why: "the server's NetBIOS name: no client URL uses it, so it stays off the certificate",
      });
    }
    if (s.fqdn !== null && !onCert.has(s.fqdn)) {
      out.push({ name: s.fqdn, why: "the server's own FQDN: no client URL uses it, so it stays off the certificate" });
    }
  }
  if (!input.rootDomain) {
    for (const d of input.domains) {
      if (onCert.has(d.name)) continue;
      out.push({
        name: d.name,
        why:
          `Outlook tries https://${d.name}/autodiscover/autodiscover.xml first; it is not planned to answer ` +
          `(rootDomain / --root-domain if it should). If a website answers HTTPS on ${d.name}, that website's certificate ` +
          `must include ${d.name}, not only www.${d.name}, or Outlook shows a certificate error and may never reach ` +
          `autodiscover.${d.name}; otherwise stop serving HTTPS on the bare domain.`,
      });
    }
  }
  return out;
}

function wildcardPlan(input: PlanInput, names: readonly CertificateName[]): WildcardPlan {
  const main = names.filter((n) => n.group === input.mainGroup);
  const candidates = new Map<string, string[]>();
  for (const n of main) {
    const parent = parentOf(n.name);
    if (!n.publicCaWillIssue || parent === null || !wildcardIssuable(parent)) continue;
    candidates.set(parent, [...(candidates.get(parent) ?? []), n.name]);
  }
  let best: string | undefined;
  for (const [parent, covered] of candidates) {
    if (best === undefined || covered.length > (candidates.get(best)?.length ?? 0)) best = parent;
  }
  if (best === undefined) {
    return {
      possible: false,
      covers: [],
      notCovered: main.map((n) => ({
        name: n.name,
        why: n.publicCaWillIssue ? 'no wildcard can be issued above it' : 'not a public name',
      })),
      note: 'No wildcard can serve: none of the names has a parent domain a public CA would issue a wildcard for.',
    };
  }
  const wildcard = `*.${best}`;
  const covers = candidates.get(best) ?? [];
  const notCovered = main
    .filter((n) => !covers.includes(n.name))
    .map((n) => {
      if (!n.publicCaWillIssue)
        return { name: n.name, why: 'not a public name: no public CA issues it, wildcard or not' };
      if (n.name === best) return { name: n.name, why: `the bare domain: ${wildcard} does not cover ${best}` };
      if (n.name.endsWith(`.${best}`))
        return { name: n.name, why: `two or more labels below ${best}: a wildcard matches exactly one label` };
      return { name: n.name, why: `another domain: ${wildcard} covers names in ${best} only` };
    });
  const possible = notCovered.length === 0;
  const outlookAnywhere = input.hosts.some((h) => h.roles.some((r) => r.kind === 'outlook-anywhere'));
  const oaNote = outlookAnywhere
    ? ` Outlook Anywhere clients then need the certificate principal name msstd:${wildcard} (Set-OutlookProvider EXPR -CertPrincipalName msstd:${wildcard}); Outlook 2007 on Windows XP fails with wildcard certificates.`
    : '';
  const internal = main.filter((n) => !n.publicCaWillIssue).map((n) => n.name);
  const note = possible
    ? `One certificate for ${wildcard} covers every name above.${oaNote}`
    : internal.length === notCovered.length
      ? `${wildcard} covers every name a public CA will issue; ${list(internal)} no public CA issues at all, wildcard or not: change the URLs that use ${internal.length === 1 ? 'it' : 'them'} (see Warnings).`
      : `${wildcard} covers ${covers.length} of the ${main.length} names; the others need their own entries (a SAN certificate, alone or next to the wildcard), or, for another domain's autodiscover name, its SRV alternative.`;
  return { possible, wildcard, covers, notCovered, note };
}

function planWarnings(
  input: PlanInput,
  names: readonly CertificateName[],
  records: readonly DnsRecordPlan[],
): string[] {
  const warnings: string[] = [];
  for (const n of names) if (n.warning !== undefined) warnings.push(n.warning);
  for (const s of input.servers) {
    const path = new URL(s.url).pathname;
    if (path.toLowerCase() !== '/autodiscover/autodiscover.xml') {
      warnings.push(
        `${s.name}: AutoDiscoverServiceInternalUri ${s.url} does not end in /Autodiscover/Autodiscover.xml, which is where Outlook posts`,
      );
    }
  }
  const placeholders = unique(records.filter((r) => r.placeholder).map((r) => r.name));
  if (placeholders.length > 0) {
    const how =
      input.source === 'deployment'
        ? 'dns.externalAddresses or dns.loadBalancer (or --address / --cname)'
        : '--address or --cname';
    warnings.push(
      `no address for ${list(placeholders)}: give ${how}; the zone snippet has these records commented out`,
    );
  }
  if (input.source === 'deployment' && input.dns.internal === null) {
    const serverNames = new Set(
      input.servers.flatMap((s) => [s.name.toLowerCase(), ...(s.fqdn === null ? [] : [s.fqdn])]),
    );
    const insideOnly = input.hosts.filter(
      (h) => !h.dns && h.name.includes('.') && !serverNames.has(h.name) && !records.some((r) => r.name === h.name),
    );
    for (const h of insideOnly) {
      warnings.push(
        `${h.name} is used inside only (${describeRoles(h.roles)}): it needs a record in the internal DNS zone; give dns.internalAddresses to plan it`,
      );
    }
  }
  if (input.rootDomain) {
    for (const d of input.domains) {
      warnings.push(
        `${d.name} must reach the Client Access servers on port 443 for the root-domain URL, but the bare domain usually points at the website: forward /autodiscover/ from there; no DNS record is planned for it`,
      );
    }
  }
  return warnings;
}

export function buildPlan(input: PlanInput): Plan {
  const names = certificateNames(input);
  const records = dnsRecords(input);
  return {
    source: input.source,
    mainGroup: input.mainGroup,
    dnsRecords: records,
    zoneSnippet: renderZoneSnippet(records),
    srvAlternative: srvAlternatives(input),
    scpEntries: scpEntries(input),
    certificateNames: names,
    notNeeded: notNeeded(input, names),
    wildcard: wildcardPlan(input, names),
    warnings: planWarnings(input, names, records),
    rootDomains: input.rootDomain ? [] : input.domains.map((d) => d.name),
  };
}

/** The names `--csr` requests: the main group's, public ones only unless `includeInternal`. */
export function csrNames(plan: Plan, includeInternal = false): string[] {
  return plan.certificateNames
    .filter((n) => n.group === plan.mainGroup && (includeInternal || n.publicCaWillIssue))
    .map((n) => n.name);
}
