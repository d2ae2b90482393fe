/**
 * `autodisco lab fleet --domains N`: brings a fleet of mail domains up (src/lab/fleet/) until Ctrl-C, writes its
 * manifest (every domain, its category, and what each client must meet there) and says how to point clients at it.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { PROFILE_NAMES } from '../../discover/profiles.js';
import { FLEET_CATEGORIES } from '../../lab/fleet/categories.js';
import { DEFAULT_FLEET_RANGE, FLEET_ADDRESSES, type RunningFleet, startFleet } from '../../lab/fleet/fleet.js';
import { MAX_FLEET_DOMAINS } from '../../lab/fleet/plan.js';
import { parseLabRange } from '../../lab/range.js';
import { command, shellQuote } from '../invocation.js';
import { usage } from '../options.js';
import { reportError } from '../output.js';
import { untilStopped, withRangeHint } from './lab.js';

interface FleetCliOptions {
  domains?: string;
  seed: string;
  range: string;
  out?: string;
  addresses?: string;
  json?: boolean;
  issueFirst?: boolean;
}

function wholeNumber(option: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw usage(`${option} "${raw}": expected a whole number from ${min} to ${max}`);
  }
  return value;
}

function printUp(fleet: RunningFleet, opts: FleetCliOptions, hasAudit: boolean): void {
  const m = fleet.manifest;
  const tls = parseLabRange(m.range).at(FLEET_ADDRESSES.tls);
  const plain = parseLabRange(m.range).at(FLEET_ADDRESSES.plainOnly);
  const counts = FLEET_CATEGORIES.map((c) => `${c} ${m.counts[c]}`).join(', ');
  const where = `--dns ${fleet.dns} --ca ${shellQuote(fleet.caFile)}`;
  const example = (category: string) => m.entries.find((e) => e.category === category)?.email;
  const out = [
    `Fleet of ${m.domains} domains is up on ${m.range} (seed ${m.seed}), started in ${(fleet.startupMs / 1000).toFixed(1)} s`,
    '',
    `  DNS    ${fleet.dns.padEnd(22)} give clients --dns ${fleet.dns}`,
    `  CA     ${fleet.caFile}   give clients --ca ${shellQuote(fleet.caFile)}`,
    `  HTTPS  ${tls}:443 (one listener: the certificate is chosen by SNI and ${opts.issueFirst ? `was made at start (${fleet.certificates.issued} certificates)` : 'made on first use'})`,
    `  HTTP   ${tls}:80 and ${plain}:80 (${plain} has no HTTPS: the root-no-tls websites and the redirector)`,
    `  domains per category: ${counts}`,
  ];
  if (opts.out)
    out.push(`  manifest: ${opts.out} (every domain, its category, and each client's expected outcome and findings)`);
  if (opts.addresses) out.push(`  addresses: ${opts.addresses} (one per line)`);
  out.push('', 'Try:');
  for (const [category, client] of [
    ['healthy', 'outlook'],
    ['root-trap', 'outlook-2013'],
  ] as const) {
    const email = example(category);
    if (email) out.push(`  ${command('discover')} ${email} --client ${client} ${where}`);
  }
  if (hasAudit && opts.addresses) {
    out.push(`  ${command('audit')} ${shellQuote(opts.addresses)} --client ${PROFILE_NAMES.join(',')} ${where}`);
  }
  out.push('', 'Ctrl-C stops the fleet and closes every listener.');
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerFleetCommand(lab: Command, program: Command): void {
  lab
    .command('fleet')
    .description(
      'bring up many mail domains at once, each in one category (healthy, root-domain trap, …), until Ctrl-C',
    )
    .option('--domains <n>', `how many domains (1 to ${MAX_FLEET_DOMAINS})`)
    .option('--seed <s>', 'which domain gets which category (same seed, same fleet)', '1')
    .option('--range <cidr>', 'loopback range for the fleet (DNS at .53, HTTPS at .100)', DEFAULT_FLEET_RANGE)
    .option('--out <path>', 'write the manifest (JSON) there')
    .option('--addresses <path>', 'write one address per line there (input for audit)')
    .option('--json', 'print the manifest on stdout instead of the summary (without its entries)')
    .option(
      '--issue-first',
      'make every certificate before listening instead of on first use (slower start; no handshake waits for one)',
    )
    .action(async (opts: FleetCliOptions) => {
      try {
        if (opts.domains === undefined) throw usage('--domains <n> is required (e.g. --domains 1000)');
        const domains = wholeNumber('--domains', opts.domains, 1, MAX_FLEET_DOMAINS);
        const seed = wholeNumber('--seed', opts.seed, 0, 4_294_967_295);
        parseLabRange(opts.range);
        const fleet = await startFleet({
          domains,
          seed,
          range: opts.range,
          ...(opts.issueFirst === true ? { issueFirst: true } : {}),
        }).catch((err: unknown) => {
          throw withRangeHint(err, opts.range);
        });
        const stopped = untilStopped(fleet);
        if (opts.out) await writeFile(opts.out, `${JSON.stringify(fleet.manifest, null, 2)}\n`);
        if (opts.addresses)
          await writeFile(opts.addresses, `${fleet.manifest.entries.map((e) => e.email).join('\n')}\n`);
        if (opts.json) {
          const { entries: _entries, ...summary } = fleet.manifest;
          process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        } else
          printUp(
            fleet,
            opts,
            program.commands.some((c) => c.name() === 'audit'),
          );
        await stopped;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
