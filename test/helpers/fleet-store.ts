/**
 * A generated results store for the fleet tests: `domains` domains (d00001.test, ...), two clients, `runs` runs
 * through the store's own record() (so latest results, events and kept reports are the real ones). Each result's
 * outcome and codes follow `expected`, so that a test can count what the store must answer. `location`: an SQLite
 * path (default: a new temporary file) or a PostgreSQL URL; a run's results are recorded a few at a time, as the
 * workers of a queue record them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openResultStore } from '../../src/audit/open-results.js';
import type { AuditResult } from '../../src/audit/results.js';
import type { DiscoveryReport, Outcome, ProfileName } from '../../src/discover/report.js';

export const FLEET_CLIENTS: ProfileName[] = ['outlook', 'outlook-2013'];

export const fleetDomain = (i: number) => `d${String(i).padStart(5, '0')}.test`;

/** The outcome and codes of domain i for a client in run r (1-based): a few change in the later runs. */
export function expected(i: number, client: ProfileName, run: number): { outcome: Outcome; codes: string[] } {
  if (i % 10 === 0) return { outcome: 'failed', codes: ['NO_AUTODISCOVER_ENDPOINT'] };
  // Every seventh domain's Outlook 2013 stops at the root-domain prompt, until run 2 fixes every 14th.
  if (i % 7 === 0 && client === 'outlook-2013' && !(run >= 2 && i % 14 === 0)) {
    return { outcome: 'prompt', codes: ['CERT_NAME_MISMATCH', 'ROOT_DOMAIN_BLOCKS_FALLBACK'] };
  }
  if (i % 7 === 0) return { outcome: 'settings', codes: ['CERT_NAME_MISMATCH'] };
  return { outcome: 'settings', codes: [] };
}

const report = (domain: string, client: ProfileName, outcome: Outcome, codes: string[]) =>
  ({
    schema: 'autodisco.discovery/1',
    email: `postmaster@${domain}`,
    client,
    outcome,
    steps: [],
    findings: codes.map((code) => ({ code, severity: 'error', title: code, detail: '', fixes: [] })),
  }) as unknown as DiscoveryReport;

export async function generateFleetStore(
  domains: number,
  runs: number,
  location = join(mkdtempSync(join(tmpdir(), 'adk-fleet-')), 'audit.sqlite'),
): Promise<string> {
  const store = await openResultStore(location);
  const IN_FLIGHT = 16;
  for (let r = 1; r <= runs; r++) {
    const run = await store.startRun(FLEET_CLIENTS, domains);
    const at = `2026-03-${String(r).padStart(2, '0')}T10:00:00.000Z`;
    let next = 1;
    const writer = async () => {
      while (next <= domains) {
        const i = next++;
        const domain = fleetDomain(i);
        for (const client of FLEET_CLIENTS) {
          const { outcome, codes } = expected(i, client, r);
          const result: AuditResult = { domain, client, at, outcome, codes, certNotAfter: null, ms: 5 };
          await store.record(run, result, report(domain, client, outcome, codes));
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
    await store.finishRun(run, false);
  }
  await store.close();
  return location;
}
