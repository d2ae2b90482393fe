/**
 * The planner: from a deployment (or a server configuration) to the DNS records to publish, the SRV alternative,
 * the SCP entries, the names the certificate must carry, whether one wildcard would do, and what will not work.
 * Rules from docs/protocol.md §1.1, §1.2 and §8 and docs/tls.md §1. Pure: no I/O, same input, same plan.
 * The DNS records are planned in dns-records.ts, the zone-file text is written by render.ts.
 */
import { dnsRecords, srvAlternatives } from './dns-records.js';
import type { PlanHost, PlanInput } from './input.js';
import { classifyName, parentOf, wildcardIssuable } from './names.js';
import { renderZoneSnippet } from './render.js';
import { describeRoles, list, unique } from './roles.js';
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
