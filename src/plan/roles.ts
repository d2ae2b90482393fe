/** How a plan says what a host is for: one line from its roles, and the joiners the plan's sentences use. */
import { joinList } from '../text/join.js';
import type { HostRole } from './input.js';

export const list = (items: readonly string[]): string => joinList(items);

export function unique<T>(items: readonly T[]): T[] {
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
