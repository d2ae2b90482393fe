/**
 * The diagnose endpoint connects on behalf of whoever uses it: by default it must not reach the server's own
 * network. Every address the engine would connect to comes from its DNS port (names, and IP literals, which
 * lookupAddresses returns as they are), for the first URL and for every redirect alike; the guard removes the
 * refused ones there, after resolution, so a name that resolves to 127.0.0.1 or 10.x is refused like the literal.
 * The HTTP and TLS ports check again before connecting (defence in depth, e.g. a port used directly).
 */
import { BlockList, isIP } from 'node:net';
import type { DiscoverPorts } from '../../discover/context.js';

/** Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries) and what they are, for the message. */
const RANGES: readonly [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', '"this network"'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.88.99.0', 24, 'ipv4', '6to4 relay'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64'],
  ['64:ff9b:1::', 48, 'ipv6', 'NAT64'],
  ['100::', 64, 'ipv6', 'discard-only'],
  ['2001::', 23, 'ipv6', 'IETF protocol assignments'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['2002::', 16, 'ipv6', '6to4'],
  ['fc00::', 7, 'ipv6', 'unique local (private)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const lists = RANGES.map(([net, prefix, type, label]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, type, label };
});

/** Why connecting to `address` is refused (e.g. "loopback"), or undefined when it is a public address. */
export function refusedRange(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return refusedRange(mapped);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return lists.find((l) => l.type === type && l.list.check(address, type))?.label;
}

export const GUARD_CODE = 'EADDRNOTALLOWED';

const why = (address: string, range: string) =>
  `the diagnose service refuses ${address} (${range} address): it does not connect into private or special networks (the operator can allow it with serve --allow-private)`;

/** The ports with every refused address removed (DNS) or refused (connections). */
export function guardPorts(ports: DiscoverPorts): DiscoverPorts {
  const dns = ports.dns;
  const guardedDns: DiscoverPorts['dns'] = {
    resolve4: (name) => dns.resolve4(name),
    resolve6: (name) => dns.resolve6(name),
    resolveCname: (name) => dns.resolveCname(name),
    resolveSrv: (name) => dns.resolveSrv(name),
    resolveMx: (name) => dns.resolveMx(name),
    resolveTxt: (name) => dns.resolveTxt(name),
    lookupAddresses: async (host: string) => {
      const result = await dns.lookupAddresses(host);
      if (result.status !== 'ok') return result;
      const allowed = result.addresses.filter((a) => refusedRange(a.address) === undefined);
      if (allowed.length > 0) return { ...result, addresses: allowed };
      const first = result.addresses[0];
      return {
        name: result.name,
        status: 'error' as const,
        code: GUARD_CODE,
        message: first ? why(first.address, refusedRange(first.address) ?? 'special') : 'no address',
      };
    },
    connectLookup: dns.connectLookup,
  };
  return {
    ...ports,
    dns: guardedDns,
    exchange: async (request) => {
      const range = refusedRange(request.address);
      if (range)
        return {
          ok: false,
          code: GUARD_CODE,
          message: why(request.address, range),
          ms: 0,
          sent: false,
          stage: 'connect',
        };
      return ports.exchange(request);
    },
    probeTls: async (options) => {
      const range = refusedRange(options.address);
      if (range) throw new Error(why(options.address, range));
      return ports.probeTls(options);
    },
    lookupScp: async () => {
      throw new Error('the diagnose service does not search directories');
    },
  };
}
