/**
 * The lookups of the fleet proof test (test/lab/fleet.test.ts): every (address, client) through the same engine
 * and diagnosis as `discover`, with a global concurrency limit, each report handed to `onReport` as it comes and
 * then dropped (nothing holds every report). `npm run bench:audit` runs the real `autodisco audit` instead
 * (bench/audit.ts); the proof stays on `discover`'s lookups, whose expected findings are per client (an audit
 * adds the cross-client ones).
 */
import { discoverFromCli } from '../src/cli/commands/discover.js';
import type { DiscoveryReport, ProfileName } from '../src/discover/report.js';

export interface FleetAuditOptions {
  /** `ip:port` of the DNS server every name is resolved through. */
  dns: string;
  /** PEM file of the extra trusted root. */
  ca: string;
  clients: readonly ProfileName[];
  /** Lookups in flight at once. */
  concurrency: number;
  /** Per-step deadline (ms). @default 5000 */
  timeoutMs?: number;
  onReport(email: string, client: ProfileName, report: DiscoveryReport): void;
}

/** Runs every address × client; resolves when all are done, with the number of lookups run. */
export async function auditFleet(emails: Iterable<string>, options: FleetAuditOptions): Promise<number> {
  const jobs = (function* () {
    for (const email of emails) for (const client of options.clients) yield { email, client };
  })();
  let done = 0;
  const worker = async () => {
    for (let job = jobs.next(); !job.done; job = jobs.next()) {
      const { email, client } = job.value;
      const report = await discoverFromCli(email, {
        client,
        dns: [options.dns],
        ca: [options.ca],
        timeout: String(options.timeoutMs ?? 5000),
      });
      done++;
      options.onReport(email, client, report);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return done;
}
