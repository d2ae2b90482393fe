/**
 * The concurrent prefetch (EngineOptions.concurrent) against a real lab whose candidates are slow
 * (bench/scenarios/discover-latency.ts): it may change how long a lookup takes, never what the client does: the
 * outcome, the steps in order and which of them carried credentials are those of the sequential run. Where the slow
 * part is something the engine prefetches (DNS), the lookup must take visibly less than the sum of its steps.
 * A behaviour check, not a timed performance test: only an ordering with a generous factor is asserted.
 * Ranges 127.45.1.0/24 and 127.45.2.0/24 (the benchmark, bench/discover.ts, uses 127.45.0.0/24).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  behaviour,
  DELAYED,
  LATENCY_EMAIL,
  latencyScenario,
  SLOW_DNS,
} from '../../bench/scenarios/discover-latency.js';
import { runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
import type { DiscoveryReport, ProfileName } from '../../src/discover/report.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';

const CREDENTIALS = { user: LATENCY_EMAIL, password: 'test-not-a-secret' };

interface Pair {
  concurrent: DiscoveryReport;
  sequential: DiscoveryReport;
}

function discover(
  lab: RunningLab,
  profile: ProfileName,
  concurrent: boolean,
  dnsTimeoutMs: number,
  withCredentials = true,
): Promise<DiscoveryReport> {
  return runDiscovery(
    {
      email: LATENCY_EMAIL,
      profile: PROFILES[profile],
      exclude: new Set(),
      accept: { redirect: true, certificate: false },
      ...(withCredentials ? { credentials: CREDENTIALS } : {}),
      timeoutMs: 2_000,
      ca: [lab.caPem],
      concurrent,
    },
    createNodePorts({ dnsServers: [lab.dns], timeoutMs: dnsTimeoutMs }),
  );
}

async function pair(lab: RunningLab, profile: ProfileName, dnsTimeoutMs: number): Promise<Pair> {
  return {
    sequential: await discover(lab, profile, false, dnsTimeoutMs),
    concurrent: await discover(lab, profile, true, dnsTimeoutMs),
  };
}

function wall(report: DiscoveryReport): number {
  assert.ok(report.timing, 'the report has its timing');
  return report.timing.wallMs;
}

function assertSameBehaviour(runs: Pair): void {
  const sequential = behaviour(runs.sequential);
  assert.deepEqual(behaviour(runs.concurrent), sequential);
  // Credentials went somewhere, so "where" was really compared.
  assert.ok(sequential.some((line) => line.endsWith('credentials:sent')));
}

describe('every candidate answers HTTP late (root 300 ms, autodiscover 200 ms, redirect, mail)', () => {
  let lab: RunningLab;
  const runs = new Map<ProfileName, Pair>();

  before(async () => {
    lab = await startLab(latencyScenario(DELAYED), { range: '127.45.1.0/24', dnsPort: 0 });
    for (const profile of ['outlook', 'thunderbird'] as const) runs.set(profile, await pair(lab, profile, 2_000));
  });
  after(async () => {
    await lab?.close();
  });

  for (const profile of ['outlook', 'thunderbird'] as const) {
    test(`${profile}: the same outcome, steps and credential placement with and without the prefetch`, () => {
      const got = runs.get(profile);
      assert.ok(got);
      assert.equal(got.sequential.outcome, 'settings');
      assertSameBehaviour(got);
    });
  }

  test('without credentials, requests are prefetched too: the lookup takes well under the sum of its steps', async () => {
    // Nothing secret travels in an unauthenticated request, so the engine starts them all at once; the walk still
    // takes the answers in the client's order (same steps as the sequential run).
    for (const profile of ['outlook', 'thunderbird'] as const) {
      const sequential = await discover(lab, profile, false, 2_000, false);
      const concurrent = await discover(lab, profile, true, 2_000, false);
      assert.deepEqual(behaviour(concurrent), behaviour(sequential));
      assert.ok(sequential.timing);
      assert.ok(
        wall(concurrent) < 0.9 * sequential.timing.sequentialMs,
        `${profile}: concurrent wall ${wall(concurrent)} ms against Σ steps ${sequential.timing.sequentialMs} ms`,
      );
    }
  });
});

describe('DNS never answers for the root domain and autodiscover.<domain> (300 ms each), SRV decides', () => {
  let lab: RunningLab;
  let outlook: Pair;

  before(async () => {
    lab = await startLab(latencyScenario(SLOW_DNS), { range: '127.45.2.0/24', dnsPort: 0 });
    outlook = await pair(lab, 'outlook', 300);
  });
  after(async () => {
    await lab?.close();
  });

  test('the same outcome, steps and credential placement with and without the prefetch', () => {
    assert.equal(outlook.sequential.outcome, 'settings');
    // A DNS timeout is dns-error: it says nothing about whether the name exists (nor is it a server's timeout).
    const timeouts = outlook.sequential.steps.filter((s) => s.result === 'dns-error').map((s) => s.method);
    assert.deepEqual(timeouts, ['root-domain', 'autodiscover-domain', 'http-redirect']);
    assertSameBehaviour(outlook);
  });

  test('with the prefetch the lookup takes well under the sum of its steps, and under the sequential run', () => {
    const { concurrent, sequential } = outlook;
    assert.ok(concurrent.timing);
    assert.ok(
      wall(concurrent) < 0.9 * concurrent.timing.sequentialMs,
      `concurrent wall ${wall(concurrent)} ms against Σ steps ${concurrent.timing.sequentialMs} ms`,
    );
    assert.ok(
      wall(concurrent) < 0.9 * wall(sequential),
      `concurrent wall ${wall(concurrent)} ms against sequential wall ${wall(sequential)} ms`,
    );
  });
});
