/**
 * What kind of address a DNS answer gave, and whether a name is public. An unspecified address (0.0.0.0, ::) is
 * no server: on Linux a connection to it reaches this machine's own listeners, so it is never a target. Loopback
 * and link-local answers for a public name point a client at this machine or its link (a cloud metadata service
 * at 169.254.169.254, say): credentials never go there. Private answers are reported but used, because split-horizon
 * DNS (autodiscover.contoso.com → 10.1.2.3 inside the company) is an ordinary, working deployment.
 */
import { isIP } from 'node:net';
import { parse } from 'tldts';

export type AddressScope = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'public';

function v4Scope(address: string): AddressScope {
  const [a = 0, b = 0] = address.split('.').map(Number);
  if (a === 0) return 'unspecified'; // 0.0.0.0/8, "this network": never a destination (RFC 1122 §3.2.1.3)
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private'; // RFC 1918
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // RFC 6598 shared address space (carrier NAT)
  return 'public';
}

/** The scope of an IP literal (anything else is `public`: it is not ours to judge). */
export function addressScope(address: string): AddressScope {
  const family = isIP(address);
  if (family === 4) return v4Scope(address);
  if (family !== 6) return 'public';
  const lower = address.toLowerCase();
  const mapped = /^(?:0{0,4}:){0,5}(?::|0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (mapped !== undefined) return v4Scope(mapped);
  const groups = expand(lower);
  if (groups.every((g) => g === 0)) return 'unspecified';
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return 'loopback';
  const first = groups[0] ?? 0;
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7 (RFC 4193)
  return 'public';
}

/** The eight 16-bit groups of an IPv6 literal (a trailing dotted quad counts as two). */
function expand(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parts = (s: string) =>
    s === ''
      ? []
      : s.split(':').flatMap((p) => {
          if (!p.includes('.')) return [Number.parseInt(p, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = p.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  return [...left, ...new Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right];
}

/**
 * Whether a host name is public: under an ICANN suffix of the public suffix list. Special-use and non-public
 * names (.test, .example, .invalid, .localhost: RFC 6761; .local: RFC 6762; home.arpa: RFC 8375; .internal, .lan,
 * .corp) are not, so a lab or an intranet pointing them at 127.x or 10.x is normal and raises nothing.
 */
export function isPublicName(host: string): boolean {
  const parsed = parse(host);
  if (parsed.isIp || !parsed.isIcann || parsed.publicSuffix === null) return false;
  return !/(^|\.)arpa$/.test(parsed.publicSuffix);
}

/** The scope of an answer that matters for a public name: loopback or link-local (no credentials), or private. */
export function localScope(host: string, address: string): 'loopback' | 'link-local' | 'private' | undefined {
  if (!isPublicName(host)) return undefined;
  const scope = addressScope(address);
  return scope === 'loopback' || scope === 'link-local' || scope === 'private' ? scope : undefined;
}
