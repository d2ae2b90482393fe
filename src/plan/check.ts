/**
 * `plan --check`: connect to every host the plan names and report which of the names its certificate should carry
 * it lacks; and, for every domain whose bare name the plan does not make answer, what `https://<domain>` serves,
 * since Outlook tries it before autodiscover.<domain> (the seed's case: a website certificate for www.<domain>
 * only stops Outlook 2007-2013 there). One TLS handshake per host (src/tls/probe.ts): nothing is sent after it,
 * except to a root domain whose certificate passes: one GET of the Autodiscover URL (no address, no credentials)
 * shows whether it answers at all, since a server that takes the connection and never answers makes every Outlook
 * wait its whole timeout there on every lookup.
 */
import { exchange } from '../discover/http.js';
import { addressFailure, type DnsResolver } from '../dns/resolver.js';
import { matchName } from '../tls/names.js';
import { probeTls } from '../tls/probe.js';
import type { CertificateSummary } from '../tls/summary.js';
import type { Plan } from './plan.js';

export interface HostCheck {
  name: string;
  port: number;
  /** What the name resolved to; the first address is probed. */
  addresses: string[];
  /** A TLS handshake completed. */
  reachable: boolean;
  certificate: CertificateSummary | null;
  /** The names this host's certificate should carry (its certificate group's). */
  required: string[];
  /** Required names the served certificate does not cover (RFC 9525 matching, wildcards included). */
  lacks: string[];
  /** DNS, connection and trust problems, one line each. */
  errors: string[];
  ok: boolean;
}

/**
 * What `https://<domain>` serves where the plan does not make the bare domain answer Autodiscover. Fine: no
 * address, or port 443 closed (Outlook moves on at once), or a certificate that names the domain and is trusted
 * (Outlook reads the website's answer, sees no Autodiscover, moves on). Not fine: a certificate that does not name
 * the domain or is not trusted (Outlook 2007-2013 show a certificate warning and never try autodiscover.<domain>).
 */
export interface RootDomainCheck {
  domain: string;
  /** The URL Outlook tries first. */
  url: string;
  addresses: string[];
  verdict:
    | 'no-address'
    | 'closed'
    | 'names-domain'
    | 'lacks-domain'
    | 'untrusted'
    | 'unreachable'
    | 'hangs'
    | 'dns-failed';
  certificate: CertificateSummary | null;
  /** One line: what was found and what it means for Outlook. */
  detail: string;
  /** What to do, preferred first; empty when ok. */
  fixes: string[];
  ok: boolean;
}

export interface CheckReport {
  ok: boolean;
  hosts: HostCheck[];
  rootDomains: RootDomainCheck[];
  skipped: { name: string; why: string }[];
}

export interface CheckOptions {
  resolver: DnsResolver;
  /** Extra trusted roots (PEM), added to the system's. */
  ca?: readonly string[];
  timeoutMs?: number;
}

async function checkHost(name: string, port: number, required: string[], options: CheckOptions): Promise<HostCheck> {
  const result: HostCheck = {
    name,
    port,
    addresses: [],
    reachable: false,
    certificate: null,
    required,
    lacks: [],
    errors: [],
    ok: false,
  };
  const resolved = await options.resolver.lookupAddresses(name);
  if (resolved.status !== 'ok') {
    result.errors.push(`DNS: the name ${addressFailure(resolved).reason}`);
    return result;
  }
  result.addresses = resolved.addresses.map((a) => a.address);
  const address = result.addresses[0] as string;
  const probe = await probeTls({
    address,
    port,
    servername: name,
    ca: options.ca ?? [],
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    secondLook: false,
  });
  if (!probe.handshake) {
    result.errors.push(`${probe.failedAt === 'connect' ? 'connect' : 'TLS'}: ${probe.code}: ${probe.message}`);
    return result;
  }
  result.reachable = true;
  result.certificate = probe.certificate;
  const leaf = probe.servedChain[0];
  if (leaf === undefined) {
    result.errors.push('TLS: the server sent no certificate');
    return result;
  }
  if (!probe.authorized) {
    result.errors.push(
      `certificate not trusted: ${probe.authorizationError ?? 'unknown reason'} (add its root with --ca if it is yours)`,
    );
  }
  result.lacks = required.filter((n) => !matchName(n, leaf).strict.ok);
  result.ok = result.lacks.length === 0 && result.errors.length === 0;
  return result;
}

/** The seed's two fixes, preferred first. */
function rootDomainFixes(domain: string, leafNames: readonly string[]): string[] {
  const reissue =
    leafNames.length > 0
      ? `add ${domain} to the website's certificate (reissue it for ${[...leafNames, domain].join(', ')}): the website stays encrypted, and Outlook reads its answer and moves on to autodiscover.${domain} (preferred)`
      : `serve a certificate that names ${domain} on ${domain}:443 (preferred)`;
  return [
    reissue,
    `stop answering HTTPS on ${domain} (close port 443 there): a refused connection lets Outlook move on at once; only if nothing on https://${domain} needs encryption`,
  ];
}

async function checkRootDomain(domain: string, options: CheckOptions): Promise<RootDomainCheck> {
  const url = `https://${domain}/autodiscover/autodiscover.xml`;
  const result: RootDomainCheck = {
    domain,
    url,
    addresses: [],
    verdict: 'no-address',
    certificate: null,
    detail: '',
    fixes: [],
    ok: true,
  };
  const resolved = await options.resolver.lookupAddresses(domain);
  if (resolved.status === 'nxdomain' || resolved.status === 'nodata') {
    result.detail = `${domain} has no address: Outlook skips ${url} at once`;
    return result;
  }
  if (resolved.status !== 'ok') {
    return {
      ...result,
      verdict: 'dns-failed',
      ok: false,
      detail: `DNS: the name ${addressFailure(resolved).reason}; what https://${domain} serves is not known`,
    };
  }
  result.addresses = resolved.addresses.map((a) => a.address);
  const address = result.addresses[0] as string;
  const probe = await probeTls({
    address,
    port: 443,
    servername: domain,
    ca: options.ca ?? [],
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    secondLook: false,
  });
  if (!probe.handshake) {
    if (probe.failedAt === 'connect' && probe.code === 'ECONNREFUSED') {
      return {
        ...result,
        verdict: 'closed',
        detail: `port 443 is closed on ${domain} (${address}): Outlook moves on to autodiscover.${domain} at once`,
      };
    }
    // A timeout or a failed handshake: Outlook waits or fails there too, but shows no certificate prompt.
    return {
      ...result,
      verdict: 'unreachable',
      detail: `${probe.failedAt === 'connect' ? 'connect' : 'TLS'}: ${probe.code}: ${probe.message}; Outlook waits or fails at ${url} before it goes on`,
    };
  }
  result.certificate = probe.certificate;
  const leaf = probe.servedChain[0];
  const names = probe.certificate?.dnsNames ?? [];
  if (leaf === undefined || !matchName(domain, leaf).strict.ok) {
    return {
      ...result,
      verdict: 'lacks-domain',
      ok: false,
      detail: `https://${domain} (${address}) serves a certificate for ${names.join(', ') || '(no DNS name)'} that does not name ${domain}: Outlook 2007 to 2013 show a certificate warning there and never try autodiscover.${domain}`,
      fixes: rootDomainFixes(domain, names),
    };
  }
  if (!probe.authorized) {
    return {
      ...result,
      verdict: 'untrusted',
      ok: false,
      detail: `https://${domain} (${address}) serves a certificate that is not trusted (${probe.authorizationError ?? 'unknown reason'}): Outlook 2007 to 2013 show a certificate warning there and never try autodiscover.${domain} (add its root with --ca if it is yours)`,
      fixes: rootDomainFixes(domain, []),
    };
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const answer = await exchange({
    url: new URL(url),
    method: 'GET',
    address,
    timeoutMs,
    ...(options.ca ? { ca: options.ca } : {}),
    maxBody: 4096,
  });
  if (!answer.ok && answer.code === 'ETIMEDOUT') {
    return {
      ...result,
      verdict: 'hangs',
      ok: false,
      detail: `https://${domain} (${address}) completes the TLS handshake but gives no HTTP answer within ${timeoutMs} ms (${answer.stage === 'body' ? 'the body never ends' : 'no response headers'}): every Outlook waits there for its whole timeout (about 25 s) on every lookup before it tries autodiscover.${domain}`,
      fixes: [
        `make the web server on ${domain} answer ${url} at once (any HTTP status, a 404 is fine), or find what holds the request (a firewall or load balancer that accepts and never forwards)`,
        `stop answering HTTPS on ${domain} (close port 443 there): a refused connection lets Outlook move on at once; only if nothing on https://${domain} needs encryption`,
      ],
    };
  }
  const answered = answer.ok ? `answers HTTP ${answer.status}` : `ends the request (${answer.code})`;
  return {
    ...result,
    verdict: 'names-domain',
    detail: `https://${domain} (${address}) serves a trusted certificate that names ${domain} and ${answered}: Outlook reads the answer there and moves on`,
  };
}

/** What a probe waits for when the command gives no --timeout. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** Probes every certificate name that has a TLS port, and every bare domain Outlook tries first, concurrently. */
export async function checkPlan(plan: Plan, options: CheckOptions): Promise<CheckReport> {
  const skipped: CheckReport['skipped'] = [];
  const jobs: Promise<HostCheck>[] = [];
  const seen = new Set<string>();
  for (const n of plan.certificateNames) {
    if (n.port === null) {
      skipped.push({ name: n.name, why: 'STARTTLS only: not probed (the probe speaks TLS from the first byte)' });
      continue;
    }
    const key = `${n.name}:${n.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const required = plan.certificateNames.filter((m) => m.group === n.group).map((m) => m.name);
    jobs.push(checkHost(n.name, n.port, required, options));
  }
  const [hosts, rootDomains] = await Promise.all([
    Promise.all(jobs),
    Promise.all(plan.rootDomains.map((d) => checkRootDomain(d, options))),
  ]);
  return { ok: hosts.every((h) => h.ok) && rootDomains.every((r) => r.ok), hosts, rootDomains, skipped };
}
