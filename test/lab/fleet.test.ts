/**
 * The fleet lab and its proof: every domain of a fleet, every client, checked against the manifest (outcome and
 * finding codes; precision and recall of the findings must both be 100%).
 *
 * - A small fleet (every category 8 times) runs in this process for all four clients.
 * - A 1,000-domain fleet runs through the command line (`autodisco lab fleet --domains 1000 --out …`, in its own
 *   process, so the fleet and the lookups use both cores), its lookups driven by bench/fleet-audit.ts with a
 *   concurrency limit. Its clients are FLEET_PROOF_CLIENTS (default `outlook-2013,thunderbird`: the client the
 *   root-domain trap stops, and the one that walks autoconfig; 2,000 lookups, about a minute on 2 free cores;
 *   `FLEET_PROOF_CLIENTS=all` runs the four, twice as long).
 */
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { auditFleet } from '../../bench/fleet-audit.js';
import type { DiscoveryReport } from '../../src/discover/report.js';
import {
  CATEGORIES,
  FLEET_CATEGORIES,
  FLEET_CLIENTS,
  type FleetCategory,
  type FleetClient,
} from '../../src/lab/fleet/categories.js';
import { certificateFor } from '../../src/lab/fleet/certificates.js';
import { startFleet } from '../../src/lab/fleet/fleet.js';
import { domainOf, FLEET_TTL, type FleetManifest, planFleet } from '../../src/lab/fleet/plan.js';
import { cli, spawnCli, waitForOutput } from '../helpers/cli.js';

/**
 * Per-step deadline of the lookups: generous, because every step here is answered at once by the fleet unless the
 * machine is overloaded (a shared 2-core machine can starve the fleet's process for seconds while it makes
 * certificates); a lookup cut short by the machine would be a wrong outcome that says nothing about the rules.
 */
const TIMEOUT_MS = 30_000;

interface Score {
  lookups: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  wrongOutcomes: string[];
  wrongFindings: string[];
}

function newScore(): Score {
  return { lookups: 0, truePositives: 0, falsePositives: 0, falseNegatives: 0, wrongOutcomes: [], wrongFindings: [] };
}

/** Compares one report with the manifest's expectation for its domain's category (codes as a multiset). */
function score(s: Score, category: FleetCategory, client: FleetClient, report: DiscoveryReport): void {
  const expected = CATEGORIES[category].expect[client];
  const got = report.findings.map((f) => f.code).sort();
  s.lookups++;
  if (report.outcome !== expected.outcome)
    s.wrongOutcomes.push(`${report.email} ${client}: ${report.outcome}, expected ${expected.outcome}`);
  const left = [...expected.findings];
  for (const code of got) {
    const i = left.indexOf(code);
    if (i >= 0) {
      left.splice(i, 1);
      s.truePositives++;
    } else s.falsePositives++;
  }
  s.falseNegatives += left.length;
  if (got.join() !== expected.findings.join())
    s.wrongFindings.push(`${report.email} ${client}: ${got.join(',')}; expected ${expected.findings.join(',')}`);
}

function assertPerfect(s: Score): void {
  const precision = s.truePositives / (s.truePositives + s.falsePositives);
  const recall = s.truePositives / (s.truePositives + s.falseNegatives);
  assert.deepEqual(s.wrongOutcomes.slice(0, 10), [], `${s.wrongOutcomes.length} wrong outcomes`);
  assert.deepEqual(s.wrongFindings.slice(0, 10), [], `${s.wrongFindings.length} wrong finding lists`);
  assert.equal(precision, 1, `precision ${precision}`);
  assert.equal(recall, 1, `recall ${recall}`);
}

describe('the fleet plan', () => {
  test('deterministic names, balanced categories, the seed decides the order', () => {
    const a = planFleet(1000, 42);
    assert.deepEqual(planFleet(1000, 42), a);
    assert.notDeepEqual(
      planFleet(1000, 43).map((d) => d.category),
      a.map((d) => d.category),
    );
    const even = 1000 / FLEET_CATEGORIES.length;
    for (const c of FLEET_CATEGORIES) {
      const count = a.filter((d) => d.category === c).length;
      assert.ok(count === Math.floor(even) || count === Math.ceil(even), `${c}: ${count}`);
    }
    assert.match(a[42]?.domain ?? '', /^d00042-[a-z-]+\.fleet\.test$/);
    assert.equal(a[42]?.email, `postmaster@${a[42]?.domain}`);
    assert.deepEqual(domainOf(`www.${a[42]?.domain}`), {
      domain: a[42]?.domain,
      category: a[42]?.category,
      label: 'www',
    });
    assert.equal(domainOf('www.contoso.test'), undefined);
    assert.throws(() => planFleet(0, 1), /--domains 0: expected a whole number from 1 to 99999/);
  });

  test('the certificate each SNI name gets tells its category’s story', () => {
    assert.deepEqual(certificateFor('d00001-root-trap.fleet.test').names, ['www.d00001-root-trap.fleet.test']);
    assert.deepEqual(certificateFor('d00001-healthy.fleet.test').names, [
      'd00001-healthy.fleet.test',
      'www.d00001-healthy.fleet.test',
    ]);
    assert.equal(certificateFor('autodiscover.d00001-expired.fleet.test').validity, 'expired');
    assert.deepEqual(certificateFor('autodiscover.d00001-wildcard-dns.fleet.test').names, ['*.webhost.test']);
    assert.deepEqual(certificateFor(null).names, ['*.webhost.test']);
  });
});

describe('autodisco lab fleet: bad usage is one line and exit 2', () => {
  for (const [args, message] of [
    [[], /--domains <n> is required/],
    [['--domains', '0'], /--domains "0": expected a whole number from 1 to 99999/],
    [['--domains', '12x'], /--domains "12x": expected a whole number from 1 to 99999/],
    [['--domains', '10', '--seed', '-1'], /--seed "-1": expected a whole number from 0 to 4294967295/],
    [['--domains', '10', '--range', '10.0.0.0/16'], /outside 127\.0\.0\.0\/8/],
  ] as const) {
    test(args.join(' ') || '(no options)', async () => {
      const r = await cli(['lab', 'fleet', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    });
  }
});

describe('every domain of a fleet meets what the manifest says, for every client', () => {
  const small = FLEET_CATEGORIES.length * 8;
  test(`${small} domains (each category 8 times) × the four clients, in process`, async () => {
    const fleet = await startFleet({ domains: small, seed: 3, range: '127.71.0.0/24' });
    try {
      const category = new Map(fleet.manifest.entries.map((e) => [e.email, e.category]));
      const s = newScore();
      await auditFleet(category.keys(), {
        dns: fleet.dns,
        ca: fleet.caFile,
        clients: FLEET_CLIENTS,
        concurrency: 16,
        timeoutMs: TIMEOUT_MS,
        onReport: (email, client, report) =>
          score(s, category.get(email) as FleetCategory, client as FleetClient, report),
      });
      assert.equal(s.lookups, small * 4);
      assertPerfect(s);
      // One certificate per name asked, not per handshake.
      assert.ok(fleet.certificates.issued <= small * 2 + 3, `${fleet.certificates.issued} certificates`);
      // Answers carry a TTL of minutes, as real domains' do: an audit's DNS cache keeps them.
      const resolver = new Resolver();
      resolver.setServers([fleet.dns]);
      const [mailHost] = await resolver.resolve4('mail.hoster.test', { ttl: true });
      assert.equal(mailHost?.ttl, FLEET_TTL);
      const healthy = fleet.manifest.entries.find((e) => e.category === 'healthy')?.email.split('@')[1];
      const [website] = await resolver.resolve4(`www.${healthy}`, { ttl: true });
      assert.equal(website?.ttl, FLEET_TTL);
    } finally {
      await fleet.close();
    }
  });

  test('--issue-first: every certificate a client can ask for is made before listening, none after', async () => {
    const fleet = await startFleet({ domains: small, seed: 4, range: '127.71.0.0/24', issueFirst: true });
    try {
      const made = fleet.certificates.issued;
      // The default, the two providers', and per domain: its website's and its own server's (some share one).
      assert.ok(made > small && made <= small * 2 + 3, `${made} certificates`);
      const category = new Map(fleet.manifest.entries.map((e) => [e.email, e.category]));
      const s = newScore();
      await auditFleet(category.keys(), {
        dns: fleet.dns,
        ca: fleet.caFile,
        clients: ['outlook', 'outlook-2013', 'thunderbird'],
        concurrency: 16,
        timeoutMs: TIMEOUT_MS,
        onReport: (email, client, report) =>
          score(s, category.get(email) as FleetCategory, client as FleetClient, report),
      });
      assertPerfect(s);
      assert.equal(fleet.certificates.issued, made, 'no certificate made during the lookups');
    } finally {
      await fleet.close();
    }
  });

  test('1,000 domains through `autodisco lab fleet`, precision and recall 100%', { timeout: 600_000 }, async () => {
    const raw = process.env['FLEET_PROOF_CLIENTS'] ?? 'outlook-2013,thunderbird';
    const clients = (raw === 'all' ? FLEET_CLIENTS : raw.split(',')) as FleetClient[];
    for (const c of clients)
      assert.ok(FLEET_CLIENTS.includes(c), `FLEET_PROOF_CLIENTS: ${c} is not one of ${FLEET_CLIENTS.join(', ')}`);
    const out = join(tmpdir(), `autodisco-fleet-${process.pid}.json`);
    const child = spawnCli([
      'lab',
      'fleet',
      '--domains',
      '1000',
      '--seed',
      '9',
      '--range',
      '127.72.0.0/24',
      '--out',
      out,
      '--issue-first',
    ]);
    try {
      const up = await waitForOutput(child, /Ctrl-C stops the fleet/, 120_000);
      // Every certificate made before listening: the lookups below meet servers that answer at once.
      const made = Number(/was made at start \((\d+) certificates\)/.exec(up)?.[1]);
      assert.ok(made > 1000, up);
      const dns = /give clients --dns (\S+)/.exec(up)?.[1];
      const ca = /give clients --ca (\S+)/.exec(up)?.[1];
      assert.ok(dns && ca, up);
      const manifest = JSON.parse(await readFile(out, 'utf8')) as FleetManifest;
      assert.equal(manifest.entries.length, 1000);
      assert.equal(manifest.dns, dns);
      const planned = planFleet(1000, 9);
      for (const c of FLEET_CATEGORIES)
        assert.equal(manifest.counts[c], planned.filter((d) => d.category === c).length);
      const category = new Map(manifest.entries.map((e) => [e.email, e.category]));
      const s = newScore();
      const started = performance.now();
      await auditFleet(category.keys(), {
        dns,
        ca,
        clients,
        concurrency: 16,
        timeoutMs: TIMEOUT_MS,
        onReport: (email, client, report) =>
          score(s, category.get(email) as FleetCategory, client as FleetClient, report),
      });
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `# fleet proof: ${s.lookups} lookups (1,000 domains × ${clients.join(', ')}) in ${seconds.toFixed(1)} s, ${(1000 / seconds).toFixed(1)} domains/s\n`,
      );
      assert.equal(s.lookups, 1000 * clients.length);
      assertPerfect(s);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('close', resolve));
      await rm(out, { force: true });
    }
  });
});
