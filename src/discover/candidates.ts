/**
 * Where a client may look, and where it must not. Candidates come from the exact domain of the address, never
 * from a parent (the 2021 "Autodiscover leak": clients that "failed up" to autodiscover.<tld> sent credentials
 * to whoever owned that name).
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { getDomain, getPublicSuffix } from 'tldts';

export interface AddressParts {
  email: string;
  local: string;
  domain: string;
}

export type AddressCheck = { ok: true; address: AddressParts } | { ok: false; reason: string };

/** Checks that an address has a domain a client may build candidates from. */
export function checkAddress(raw: string): AddressCheck {
  const value = raw.trim();
  const at = value.lastIndexOf('@');
  if (at < 1 || at === value.length - 1)
    return { ok: false, reason: `"${raw}" is not an e-mail address (expected local@domain)` };
  const local = value.slice(0, at);
  const rawDomain = value.slice(at + 1).replace(/\.$/, '');
  if (isIP(rawDomain.replace(/^\[|\]$/g, '')))
    return { ok: false, reason: `${rawDomain} is an IP address: Autodiscover needs a domain name` };
  const domain = domainToASCII(rawDomain).toLowerCase();
  if (!domain) return { ok: false, reason: `"${rawDomain}" is not a valid domain name` };
  if (!domain.includes('.')) {
    return { ok: false, reason: `${domain} is a top-level name: no client may look for autodiscover.${domain}` };
  }
  // A public suffix (co.uk, github.io...) belongs to no single organisation: asking it would leak credentials.
  if (getPublicSuffix(domain, { allowPrivateDomains: true }) === domain) {
    return { ok: false, reason: `${domain} is a public suffix: no client may look for autodiscover.${domain}` };
  }
  return { ok: true, address: { email: `${local}@${domain}`, local, domain } };
}

/** Fills `{domain}` and `{email}` (URL-encoded) in a plan's URL template. */
export function fillTemplate(template: string, address: AddressParts): URL {
  return new URL(
    template.replaceAll('{domain}', address.domain).replaceAll('{email}', encodeURIComponent(address.email)),
  );
}

/** What Outlook accepts from the HTTP redirect method: https, and a path of the form /autodiscover/…/autodiscover.xml. */
export function isAutodiscoverRedirectTarget(url: URL): boolean {
  return url.protocol === 'https:' && /^\/autodiscover\/([^/]+\/)*autodiscover\.xml$/i.test(url.pathname);
}

/** Resolves a Location header against the request URL; undefined when it is not a URL at all. */
export function resolveLocation(location: string | string[] | undefined, base: URL): URL | undefined {
  const value = Array.isArray(location) ? location[0] : location;
  if (!value) return undefined;
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}

/** The registrable domain (eTLD+1) of a host, for "is this the same organisation?" (Thunderbird's consent rule). */
export function baseDomain(host: string): string {
  // A public suffix itself (or a name tldts cannot place) is its own base: no organisation above it.
  return getDomain(host, { allowPrivateDomains: true }) ?? host;
}
