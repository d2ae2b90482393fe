/**
 * `autodisco lab up|run|list`: bring a scenario's whole environment (DNS, HTTPS hosts, directory) up on loopback,
 * point a client at it, tear it all down. `up` stays in the foreground until Ctrl-C; `run` runs one discovery.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { AutodiscoError, isAutodiscoError } from '../../errors.js';
import { listBuiltinScenarios, loadBuiltinScenario } from '../../lab/builtin.js';
import { DEFAULT_LAB_RANGE, type RunningLab, startLab } from '../../lab/lab.js';
import { parseScenario, type Scenario } from '../../lab/scenario.js';
import { readTextFile } from '../../settings/files.js';
import { command, shellQuote } from '../invocation.js';
import { EXIT, reportError } from '../output.js';
import { checkCliAddress, type DiscoverCliOptions, discoverAndPrint, registerDiscoverOptions } from './discover.js';
import { registerFleetCommand } from './lab-fleet.js';

/** A built-in name (see `lab list`) or a path to a scenario file. */
export async function loadScenario(ref: string): Promise<Scenario> {
  const looksLikeFile = /[/\\]|\.ya?ml$|\.json$/i.test(ref) || existsSync(ref);
  if (!looksLikeFile) {
    const known = listBuiltinScenarios().map((s) => s.name);
    if (!known.includes(ref)) {
      throw new AutodiscoError(
        'ADK_ERR_INVALID_ARGUMENT',
        `scenario "${ref}": no built-in scenario has that name and no such file exists (built-in: ${known.join(', ')})`,
      );
    }
    return loadBuiltinScenario(ref);
  }
  return parseScenario(await readTextFile(ref), ref);
}

/** The next range of the same size, for the hint: 127.20.0.0/24 → 127.20.1.0/24 (undefined past 127/8). */
export function nextRange(range: string): string | undefined {
  const m = /^127\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(range);
  if (!m) return undefined;
  const prefix = Number(m[4]);
  if (prefix < 8 || prefix > 30) return undefined;
  const value = (127 << 24) + (Number(m[1]) << 16) + (Number(m[2]) << 8) + Number(m[3]) + 2 ** (32 - prefix);
  if (value >>> 24 !== 127) return undefined;
  const next = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  return `${next}/${prefix}`;
}

/**
 * A listener of the lab found its address taken: most often another lab on the same (default) range. Says so,
 * with a free-looking range to try, instead of leaving the admin with EADDRINUSE alone.
 */
export function withRangeHint(err: unknown, range: string): unknown {
  if (!isAutodiscoError(err) || err.code !== 'ADK_ERR_LISTEN') return err;
  if ((err.cause as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') return err;
  const next = nextRange(range);
  return new AutodiscoError(
    'ADK_ERR_LISTEN',
    `${err.message}; another lab (or server) is using the range ${range}: stop it, or give this lab its own range${next ? ` with --range ${next}` : ' with --range'}`,
    { cause: err.cause },
  );
}

/** The discover command line that points at this lab. */
export function discoverLine(lab: RunningLab): string {
  const parts = [command('discover'), lab.scenario.email, `--dns ${lab.dns}`, `--ca ${shellQuote(lab.caFile)}`];
  if (lab.ldap) parts.push(`--ldap ${lab.ldap}`);
  const site = lab.scenario.directory?.clientSite;
  if (site) parts.push(`--site ${site}`);
  return parts.join(' ');
}

function describe(lab: RunningLab): object {
  return {
    scenario: lab.scenario.name,
    title: lab.scenario.title,
    range: lab.range,
    email: lab.scenario.email,
    dns: lab.dns,
    ca: lab.caFile,
    ldap: lab.ldap ?? null,
    site: lab.scenario.directory?.clientSite ?? null,
    hosts: lab.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      httpsPort: h.httpsPort ?? null,
      httpPort: h.httpPort ?? null,
    })),
    discover: discoverLine(lab),
  };
}

function printUp(lab: RunningLab): void {
  const out: string[] = [`Lab "${lab.scenario.name}" is up on ${lab.range}: ${lab.scenario.title}`, ''];
  out.push(`  DNS   ${lab.dns.padEnd(24)} give clients --dns ${lab.dns}`);
  out.push(`  CA    ${lab.caFile}   give clients --ca ${lab.caFile}`);
  if (lab.ldap) out.push(`  LDAP  ${lab.ldap.padEnd(24)} give clients --ldap ${lab.ldap}`);
  out.push('  hosts:');
  for (const h of lab.hosts) {
    const ports = [h.httpsPort ? `https :${h.httpsPort}` : '', h.httpPort ? `http :${h.httpPort}` : '']
      .filter(Boolean)
      .join(', ');
    out.push(`    ${h.name.padEnd(16)} ${h.address.padEnd(16)} ${ports}`);
  }
  out.push(
    '',
    'Try:',
    `  ${discoverLine(lab)}`,
    `  ${discoverLine(lab)} --client all`,
    '',
    'Ctrl-C stops the lab and closes every listener.',
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Closes the lab (or fleet) on Ctrl-C, SIGTERM, or an unexpected error, whichever comes first. */
export function untilStopped(lab: { close(): Promise<unknown> }): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      lab.close().finally(resolve);
    };
    // `on`, not `once`: a second Ctrl-C while closing must not kill the process half-way through the teardown.
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.once('uncaughtException', (err) => {
      process.stderr.write(`autodisco: ${err.message}\n`);
      process.exitCode = EXIT.failed;
      stop();
    });
  });
}

export function registerLabCommands(program: Command): void {
  const lab = program
    .command('lab')
    .description('rebuild an Autodiscover environment (DNS, HTTPS hosts, directory) on loopback');

  registerFleetCommand(lab, program);

  lab
    .command('list')
    .description('the built-in scenarios')
    .option('--json', 'machine-readable')
    .action((opts: { json?: boolean }) => {
      const list = listBuiltinScenarios();
      if (opts.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else {
        const width = Math.max(...list.map((s) => s.name.length)) + 2;
        process.stdout.write(`${list.map((s) => `${s.name.padEnd(width)}${s.title}`).join('\n')}\n`);
      }
    });

  lab
    .command('up')
    .description('bring a scenario up and keep it running until Ctrl-C')
    .argument('<scenario>', 'a built-in scenario name (see: lab list) or a scenario file')
    .option('--range <cidr>', 'loopback range for this lab (two labs need two ranges)', DEFAULT_LAB_RANGE)
    .option('--json', 'print the values to give a client as JSON')
    .action(async (ref: string, opts: { range: string; json?: boolean }) => {
      try {
        const scenario = await loadScenario(ref);
        const running = await startLab(scenario, { range: opts.range }).catch((err: unknown) => {
          throw withRangeHint(err, opts.range);
        });
        // Listen for Ctrl-C before saying we are up: whoever reads the output may signal at once.
        const stopped = untilStopped(running);
        if (opts.json) process.stdout.write(`${JSON.stringify(describe(running), null, 2)}\n`);
        else printUp(running);
        await stopped;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });

  const run = lab
    .command('run')
    .description('bring a scenario up, run one discovery against it, print the report, tear it down')
    .argument('<scenario>', 'a built-in scenario name (see: lab list) or a scenario file')
    .option('--range <cidr>', 'loopback range for this lab', DEFAULT_LAB_RANGE)
    .option('--email <address>', "the address to look up (default: the scenario's)");
  registerDiscoverOptions(run);
  run.action(async (ref: string, opts: DiscoverCliOptions & { range: string; email?: string }) => {
    let running: RunningLab | undefined;
    try {
      const loaded = await loadScenario(ref);
      checkCliAddress(opts.email ?? loaded.email);
      running = await startLab(loaded, { range: opts.range }).catch((err: unknown) => {
        throw withRangeHint(err, opts.range);
      });
      const scenario = running.scenario;
      process.exitCode = await discoverAndPrint(opts.email ?? scenario.email, {
        ...opts,
        dns: [running.dns, ...opts.dns],
        ca: [running.caFile, ...opts.ca],
        // A scenario with a directory is a domain-joined client's network.
        ...(running.ldap && !opts.ldap ? { ldap: running.ldap } : {}),
        ...(scenario.directory?.clientSite && !opts.site ? { site: scenario.directory.clientSite } : {}),
      });
    } catch (err) {
      process.exitCode = reportError(err);
    } finally {
      await running?.close();
    }
  });
}
