/**
 * `plan --check`: connect to every host the plan names and report which of the names its certificate should carry
 * it lacks. One TLS handshake per host (src/tls/probe.ts): nothing is ever sent after it.
 */
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

export interface CheckReport {
  ok: boolean;
  hosts: HostCheck[];
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

/** Probes every certificate name that has a TLS port, concurrently. */
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
  const hosts = await Promise.all(jobs);
  return { ok: hosts.every((h) => h.ok), hosts, skipped };
}
