/** The real ports: Node's DNS (steered by --dns), TLS probe, HTTP exchange and LDAP. */
import { createNodeResolver } from '../adapters/node/dns.js';
import { probeTls } from '../tls/index.js';
import type { DiscoverPorts } from './context.js';
import { exchange } from './http.js';
import { lookupScp } from './scp.js';

export function createNodePorts(options: { dnsServers?: readonly string[]; timeoutMs: number }): DiscoverPorts {
  const dns = createNodeResolver({
    ...(options.dnsServers && options.dnsServers.length > 0 ? { servers: [...options.dnsServers] } : {}),
    timeoutMs: options.timeoutMs,
  });
  return {
    dns,
    probeTls,
    exchange,
    lookupScp,
    now: () => performance.now(),
    random: Math.random,
  };
}
