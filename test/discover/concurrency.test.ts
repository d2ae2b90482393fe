/**
 * The concurrent prefetch (EngineOptions.concurrent, and prefetchRequests) against a real lab whose candidates are
 * slow (test/helpers/latency-scenario.ts): it may change how long a lookup takes, never what the client does: the
 * outcome, the steps in order and which of them carried credentials are those of the sequential run, and in the
 * default mode the servers log exactly the requests of the sequential run. Where the slow part is something the
 * engine prefetches (DNS), the lookup must take visibly less than the sum of its steps.
 * A behaviour check, not a timed performance test: only an ordering with a generous factor is asserted.
 * Ranges 127.45.1.0/24 and 127.45.2.0/24 (the benchmark, bench/discover.ts, uses 127.45.0.0/24).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EngineOptions, runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
import type { DiscoveryReport, ProfileName } from '../../src/discover/report.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { behaviour, loggedRequests, stepRequests } from '../../src/lab/traffic.js';
import { DELAYED, LATENCY_EMAIL, latencyScenario, SLOW_DNS } from '../helpers/latency-scenario.js';

const CREDENTIALS = { user: LATENCY_EMAIL, password: 'test-not-a-secret' };

/** A report with the requests the lab's hosts logged while it ran. */
interface Run {
  report: DiscoveryReport;
  logged: string[];
}

interface Pair {
  concurrent: Run;
  sequential: Run;
}

type Mode = Pick<EngineOptions, 'concurrent' | 'prefetchRequests'>;
const SEQUENTIAL: Mode = { concurrent: false };
const DEFAULT: Mode = { concurrent: true };
const PREFETCH_REQUESTS: Mode = { concurrent: true, prefetchRequests: true };

async function discover(
  lab: RunningLab,
  profile: ProfileName,
  mode: Mode,
  dnsTimeoutMs: number,
  withCredentials = true,
): Promise<Run> {
  const before = lab.requests.length;
  const report = await runDiscovery(
    {
      email: LATENCY_EMAIL,
      profile: PROFILES[profile],
      exclude: new Set(),
      accept: { redirect: true, certificate: false },
      ...(withCredentials ? { credentials: CREDENTIALS } : {}),
      timeoutMs: 2_000,
      ca: [lab.caPem],
      ...mode,
    },
    createNodePorts({ dnsServers: [lab.dns], timeoutMs: dnsTimeoutMs }),
  );
  return { report, logged: loggedRequests(lab.requests.slice(before)) };
}

async function pair(lab: RunningLab, profile: ProfileName, dnsTimeoutMs: number): Promise<Pair> {
  return {
    sequential: await discover(lab, profile, SEQUENTIAL, dnsTimeoutMs),
    concurrent: await discover(lab, profile, DEFAULT, dnsTimeoutMs),
  };
}

function wall(run: Run): number {
  assert.ok(run.report.timing, 'the report has its timing');
  return run.report.timing.wallMs;
}

function assertSameBehaviour(runs: Pair): void {
  const sequential = behaviour(runs.sequential.report);
  assert.deepEqual(behaviour(runs.concurrent.report), sequential);
  // Credentials went somewhere, so "where" was really compared.
  assert.ok(sequential.some((line) => line.endsWith('credentials:sent')));
  // The servers saw the same requests, in the same order, and exactly those the steps show.
  assert.deepEqual(runs.concurrent.logged, runs.sequential.logged, 'what the servers logged');
  assert.deepEqual(runs.sequential.logged, stepRequests(runs.sequential.report));
  assert.ok(runs.sequential.logged.length > 0, 'requests were really compared');
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
      assert.equal(got.sequential.report.outcome, 'settings');
      assertSameBehaviour(got);
    });
  }

  test('without credentials, the default sends no request early: the servers log exactly the walk', async () => {
    for (const profile of ['outlook', 'thunderbird'] as const) {
      const sequential = await discover(lab, profile, SEQUENTIAL, 2_000, false);
      const concurrent = await discover(lab, profile, DEFAULT, 2_000, false);
      assert.deepEqual(behaviour(concurrent.report), behaviour(sequential.report));
      assert.deepEqual(concurrent.logged, sequential.logged, `${profile}: what the servers logged`);
      assert.deepEqual(concurrent.logged, stepRequests(concurrent.report));
    }
  });

  test('with prefetchRequests the unauthenticated requests go out at once: well under the sum of the steps', async () => {
    // Nothing secret travels in an unauthenticated request, so the engine may start them all at once; the walk
    // still takes the answers in the client's order (same steps as the sequential run).
    for (const profile of ['outlook', 'thunderbird'] as const) {
      const sequential = await discover(lab, profile, SEQUENTIAL, 2_000, false);
      const concurrent = await discover(lab, profile, PREFETCH_REQUESTS, 2_000, false);
      assert.deepEqual(behaviour(concurrent.report), behaviour(sequential.report));
      assert.ok(sequential.report.timing);
      assert.ok(
        wall(concurrent) < 0.9 * sequential.report.timing.sequentialMs,
        `${profile}: concurrent wall ${wall(concurrent)} ms against Σ steps ${sequential.report.timing.sequentialMs} ms`,
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
    assert.equal(outlook.sequential.report.outcome, 'settings');
    // A DNS timeout is dns-error: it says nothing about whether the name exists (nor is it a server's timeout).
    const timeouts = outlook.sequential.report.steps.filter((s) => s.result === 'dns-error').map((s) => s.method);
    assert.deepEqual(timeouts, ['root-domain', 'autodiscover-domain', 'http-redirect']);
    assertSameBehaviour(outlook);
  });

  test('with the prefetch the lookup takes well under the sum of its steps, and under the sequential run', () => {
    const { concurrent, sequential } = outlook;
    assert.ok(concurrent.report.timing);
    assert.ok(
      wall(concurrent) < 0.9 * concurrent.report.timing.sequentialMs,
      `concurrent wall ${wall(concurrent)} ms against Σ steps ${concurrent.report.timing.sequentialMs} ms`,
    );
    assert.ok(
      wall(concurrent) < 0.9 * wall(sequential),
      `concurrent wall ${wall(concurrent)} ms against sequential wall ${wall(sequential)} ms`,
    );
  });
});
