/** The options `audit` and `watch` share, checked the way `discover` checks its own: one line naming the value. */
import type { Command } from 'commander';
import { type AuditInput, readAddressList, readConfigDomains } from '../audit/input.js';
import type { AuditEngineOptions } from '../audit/run.js';
import { DEFAULT_RESULTS_DB } from '../audit/sqlite-results.js';
import { PROFILE_NAMES } from '../discover/profiles.js';
import type { ProfileName } from '../discover/report.js';
import { caOption, dnsOption, parseDnsServers, readCaFiles, usage } from './options.js';

export interface AuditCliOptions {
  client: string;
  dns: string[];
  ca: string[];
  concurrency: string;
  perHost: string;
  timeout: string;
  fromConfig?: string;
  db: string | false;
}

export const DEFAULT_CLIENTS = 'outlook,outlook-2013';

export function registerAuditRunOptions(command: Command): Command {
  return command
    .option('--client <list>', `comma list of clients (${PROFILE_NAMES.join(', ')}) or all`, DEFAULT_CLIENTS)
    .addOption(dnsOption())
    .addOption(caOption())
    .option('--concurrency <n>', 'addresses audited at the same time', '32')
    .option('--per-host <n>', 'connections at the same time to any one server address (handshakes and requests)', '4')
    .option('--timeout <ms>', 'deadline for each network step as a whole, as in discover', '10000')
    .option(
      '--from-config <config>',
      'audit every domain of this serve/import configuration file (postmaster@<domain>)',
    )
    .option(
      '--db <path|url>',
      'results store (runs, results, events): an SQLite file, or postgres://USER@HOST:PORT/DB (the password in PGPASSWORD)',
      DEFAULT_RESULTS_DB,
    )
    .option('--no-db', 'keep no results (no history, no events)');
}

function wholeNumber(option: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw usage(`${option} "${raw}": expected a whole number from ${min} to ${max}`);
  }
  return value;
}

export function parseClients(raw: string): ProfileName[] {
  if (raw.trim() === 'all') return [...PROFILE_NAMES];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw usage(`--client "${raw}": expected a comma list of ${PROFILE_NAMES.join(', ')}, or all`);
  for (const item of items) {
    if (!PROFILE_NAMES.includes(item as ProfileName)) {
      throw usage(`--client "${item}": expected a comma list of ${PROFILE_NAMES.join(', ')}, or all`);
    }
  }
  return [...new Set(items)] as ProfileName[];
}

export interface ParsedAuditOptions {
  clients: ProfileName[];
  dnsServers: string[];
  engine: AuditEngineOptions;
  concurrency: number;
  perHost: number;
  db: string | null;
}

/** What startAudit takes from the parsed options: everything but where the results go. */
export function lookupSettings({ db: _db, ...settings }: ParsedAuditOptions): Omit<ParsedAuditOptions, 'db'> {
  return settings;
}

export async function parseAuditOptions(opts: AuditCliOptions): Promise<ParsedAuditOptions> {
  const clients = parseClients(opts.client);
  const timeoutMs = wholeNumber('--timeout', opts.timeout, 1, 600_000);
  const concurrency = wholeNumber('--concurrency', opts.concurrency, 1, 10_000);
  const perHost = wholeNumber('--per-host', opts.perHost, 1, 1_000);
  const dnsServers = parseDnsServers(opts.dns);
  const ca = await readCaFiles(opts.ca);
  return {
    clients,
    dnsServers,
    engine: { timeoutMs, ca },
    concurrency,
    perHost,
    db: opts.db === false ? null : opts.db,
  };
}

/** FILE (or `-`), or --from-config: exactly one of them. */
export async function readAuditInput(file: string | undefined, fromConfig: string | undefined): Promise<AuditInput> {
  if (file !== undefined && fromConfig !== undefined) {
    throw usage(`give either FILE (${file}) or --from-config ${fromConfig}, not both`);
  }
  if (fromConfig !== undefined) return readConfigDomains(fromConfig);
  if (file === undefined)
    throw usage(
      'FILE is missing: give a file of addresses (one a line), - for standard input, or --from-config CONFIG',
    );
  try {
    return await readAddressList(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')
      throw usage(`FILE ${file}: cannot read the file (${code})`);
    throw cause;
  }
}
