/**
 * The load generator of `npm run bench:audit` (bench/audit.ts starts it, pinned to its own core): every address of
 * a fleet manifest × the clients, through bench/fleet-audit.ts with a concurrency limit. Prints one JSON line:
 * lookups, seconds, outcomes, how many outcomes differ from the manifest's (a lookup cut short by an overloaded
 * machine is fast but wrong: a rate is only worth its share of right answers), and its own peak memory (max RSS).
 * Reports are counted, never kept.
 *
 *   node --import tsx bench/audit-load.ts MANIFEST DNS CA CLIENTS CONCURRENCY [TIMEOUT_MS]
 */
import { readFile } from 'node:fs/promises';
import type { FleetClient } from '../src/lab/fleet/categories.js';
import type { FleetManifest } from '../src/lab/fleet/plan.js';
import { auditFleet } from './fleet-audit.js';

const [manifestPath, dns, ca, clientList, concurrencyText, timeoutText] = process.argv.slice(2);
if (!manifestPath || !dns || !ca || !clientList || !concurrencyText) {
  process.stderr.write('usage: audit-load.ts MANIFEST DNS CA CLIENTS CONCURRENCY\n');
  process.exit(2);
}
const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as FleetManifest;
const emails = manifest.entries.map((e) => e.email);
const categoryOf = new Map(manifest.entries.map((e) => [e.email, e.category]));
const outcomes: Record<string, number> = {};
let wrong = 0;
const started = performance.now();
const cpu = process.cpuUsage();
const lookups = await auditFleet(emails, {
  dns,
  ca,
  clients: clientList.split(',') as FleetClient[],
  concurrency: Number(concurrencyText),
  timeoutMs: Number(timeoutText ?? 10_000),
  onReport: (email, client, report) => {
    outcomes[report.outcome] = (outcomes[report.outcome] ?? 0) + 1;
    const category = categoryOf.get(email);
    if (
      category === undefined ||
      manifest.categories[category].expect[client as FleetClient].outcome !== report.outcome
    )
      wrong++;
  },
});
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({
    domains: emails.length,
    lookups,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    outcomes,
    wrongOutcomes: wrong,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
