/**
 * The DNS half of a plan: the A/AAAA/CNAME records to publish (external and, for split-brain DNS, internal view),
 * each in its zone with the reason it is needed, and the SRV alternative per domain.
 */
import { parse as parseDomain } from 'tldts';
import type { DnsTarget, PlanHost, PlanInput } from './input.js';
import { classifyName, parentOf } from './names.js';
import type { DnsRecordPlan, SrvAlternative } from './plan.js';
import { describeRoles } from './roles.js';

const PLACEHOLDER = '<address>';

/** The zone a name is published in: the longest accepted domain it is in, else its registrable domain. */
function zoneOf(name: string, domains: readonly string[]): string {
  const owner = domains.filter((d) => name === d || name.endsWith(`.${d}`)).sort((a, b) => b.length - a.length)[0];
  if (owner !== undefined) return owner;
  return parseDomain(name).domain ?? parentOf(name) ?? name;
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

export function dnsRecords(input: PlanInput): DnsRecordPlan[] {
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

export function srvAlternatives(input: PlanInput): SrvAlternative[] {
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
