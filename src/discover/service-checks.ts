/**
 * After settings are found, the client goes on to the URLs they hand out (EWS, OAB, Outlook Anywhere, MAPI,
 * ActiveSync). Their certificates are evidence too: a settings answer that points at a host whose certificate
 * does not cover it fails later, in a way admins rarely connect with Autodiscover.
 */

import { addressFailure } from '../dns/resolver.js';
import { stepTlsWithVerdicts } from '../tls/index.js';
import { addressScope } from './address-scope.js';
import type { Lookup } from './context.js';
import { describeConnectFailure, describeTlsFailure } from './messages.js';
import type { DiscoveredSettings, ServiceCheck } from './report.js';

interface ServiceUrl {
  service: string;
  url: URL;
}

function urlsOf(settings: DiscoveredSettings): ServiceUrl[] {
  const out: ServiceUrl[] = [];
  const add = (service: string, value: unknown) => {
    if (typeof value !== 'string') return;
    try {
      const url = new URL(value);
      if (url.protocol === 'https:') out.push({ service, url });
    } catch {
      // Not a URL: the parser already reported what it could.
    }
  };
  for (const p of settings.protocols) {
    const type = String(p.type);
    add(`${type} EWS`, p['ewsUrl']);
    // A SOAP answer (the ews profile): the EWS URL the application will use, external first as it does.
    if (type === 'UserSettings') add('EWS', p['externalEwsUrl'] ?? p['internalEwsUrl']);
    add(`${type} OAB`, p['oabUrl']);
    add(`${type} availability`, p['asUrl']);
    if ((type === 'EXPR' || type === 'EXHTTP') && typeof p['server'] === 'string' && p['ssl'] !== false) {
      add(`${type} Outlook Anywhere`, `https://${p['server']}/rpc/rpcproxy.dll`);
    }
    if (type === 'MobileSync') add('ActiveSync', p['url']);
    const store = p['mailStore'] as { externalUrl?: unknown; internalUrl?: unknown } | undefined;
    if (store) add('MAPI/HTTP', store.externalUrl ?? store.internalUrl);
    const external = p['external'] as { owaUrl?: unknown } | undefined;
    if (external) add('OWA', external.owaUrl);
  }
  // One check per host and port: the certificate is the same for every path.
  const seen = new Set<string>();
  return out.filter((s) => {
    const key = `${s.url.hostname}:${s.url.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function checkServices(lookup: Lookup, settings: DiscoveredSettings): Promise<ServiceCheck[]> {
  return Promise.all(
    urlsOf(settings).map(async ({ service, url }): Promise<ServiceCheck> => {
      const host = url.hostname;
      const base = { service, url: url.href, host, addresses: [] as string[] };
      const dns = (await lookup.resolveAfter(host)).value;
      if (dns.status !== 'ok') {
        const failure = addressFailure(dns);
        return { ...base, result: failure.result, detail: `${host} ${failure.reason}.` };
      }
      const addresses = dns.addresses.map((a) => a.address);
      const first = addresses.find((a) => addressScope(a) !== 'unspecified');
      if (first === undefined) {
        return {
          ...base,
          addresses,
          result: 'connect-failed',
          detail: `${host} resolves only to ${addresses.join(', ')}, an unspecified address: no server, not connected to.`,
        };
      }
      const probe = (await lookup.probe(first, Number(url.port || 443), host)).value;
      const tls = stepTlsWithVerdicts(probe) ?? undefined;
      const check: ServiceCheck = {
        ...base,
        addresses,
        result: 'ok',
        detail: 'The certificate is valid for this name.',
        ...(tls ? { tls } : {}),
      };
      if (probe.failedAt === 'connect') {
        return {
          ...check,
          result: probe.code === 'ETIMEDOUT' ? 'timeout' : 'connect-failed',
          detail: describeConnectFailure(probe.code ?? '', `${host}:443`, lookup.options.timeoutMs),
        };
      }
      if (probe.code !== null) return { ...check, result: 'tls-error', detail: describeTlsFailure(probe) };
      return check;
    }),
  );
}
