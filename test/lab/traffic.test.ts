/**
 * The servers see exactly the real client's traffic (issue 8 §1): for every built-in scenario and every client
 * profile, `discover` in the default mode (DNS lookups and TLS handshakes ahead of the walk, no request) and with
 * --sequential (nothing ahead) makes the lab's hosts log exactly the same requests (method, URL, whether
 * credentials went), and exactly the requests the report's steps show. Steps that run alongside SCP (a step with
 * `parallel`) overlap other steps, so their run is compared as a multiset; every other run in order.
 *
 * Each lab is brought up once for its eight runs; three labs at a time, ranges 127.62.N.0/24. Requests get a
 * short limit (2.5 s, 0.8 s where a host hangs on purpose) so that the whole file stays well under a minute.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EngineOptions, runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILE_NAMES, PROFILES } from '../../src/discover/profiles.js';
import type { DiscoveryReport, ProfileName } from '../../src/discover/report.js';
import { listBuiltinScenarios, loadBuiltinScenario } from '../../src/lab/builtin.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import type { Scenario } from '../../src/lab/scenario.js';
import { behaviour, loggedRequests, stepRequests, trafficDifference } from '../../src/lab/traffic.js';

type Mode = Pick<EngineOptions, 'concurrent' | 'prefetchRequests'>;

interface Run {
  report: DiscoveryReport;
  logged: string[];
}

function hangs(scenario: Scenario): boolean {
  return scenario.hosts.some((h) => h.routes.some((r) => 'hang' in r.answer));
}

async function discover(lab: RunningLab, profile: ProfileName, mode: Mode): Promise<Run> {
  const { scenario } = lab;
  const timeoutMs = hangs(scenario) ? 800 : 2_500;
  const site = scenario.directory?.clientSite;
  const before = lab.requests.length;
  const report = await runDiscovery(
    {
      email: scenario.email,
      profile: PROFILES[profile],
      exclude: new Set(),
      accept: { redirect: false, certificate: false },
      timeoutMs,
      ca: [lab.caPem],
      ...(lab.ldap ? { ldap: { url: lab.ldap } } : {}),
      ...(lab.ldap && site ? { site } : {}),
      ...mode,
    },
    createNodePorts({ dnsServers: [lab.dns], timeoutMs }),
  );
  return { report, logged: loggedRequests(lab.requests.slice(before)) };
}

function explain(what: string, run: Run): string {
  return `${what}\n  steps:\n    ${stepRequests(run.report).join('\n    ')}\n  logged:\n    ${run.logged.join('\n    ')}`;
}

/** The run's log holds exactly its steps' requests: in order, or as a multiset where steps overlap (parallel). */
function assertLogIsSteps(what: string, run: Run): void {
  const expected = stepRequests(run.report);
  if (run.report.steps.some((s) => s.parallel !== undefined)) {
    assert.deepEqual(trafficDifference(expected, run.logged), { missing: [], extra: [] }, explain(what, run));
  } else {
    assert.deepEqual(run.logged, expected, explain(what, run));
  }
}

const SEQUENTIAL: Mode = { concurrent: false };
const DEFAULT: Mode = { concurrent: true };

describe('every built-in scenario, every client: the servers log exactly the requests of the steps', {
  concurrency: 3,
}, () => {
  listBuiltinScenarios().forEach(({ name }, index) => {
    test(name, async () => {
      const lab = await startLab(loadBuiltinScenario(name), { range: `127.62.${index}.0/24`, dnsPort: 0 });
      try {
        for (const profile of PROFILE_NAMES) {
          // Default first: anything it sent late would land in the sequential run's slice and fail it.
          const concurrent = await discover(lab, profile, DEFAULT);
          const sequential = await discover(lab, profile, SEQUENTIAL);
          assertLogIsSteps(`${name} --client ${profile} (default)`, concurrent);
          assertLogIsSteps(`${name} --client ${profile} --sequential`, sequential);
          assert.deepEqual(
            trafficDifference(sequential.logged, concurrent.logged),
            { missing: [], extra: [] },
            `${name} --client ${profile}: the default run and the --sequential run logged different requests`,
          );
          assert.deepEqual(behaviour(concurrent.report), behaviour(sequential.report), `${name} --client ${profile}`);
        }
      } finally {
        await lab.close();
      }
    });
  });
});

test('--prefetch-requests is what makes a server see a request the client never sends (so the check above can fail)', async () => {
  const lab = await startLab(loadBuiltinScenario('root-domain-trap'), { range: '127.62.250.0/24', dnsPort: 0 });
  try {
    const run = await discover(lab, 'outlook-2013', { concurrent: true, prefetchRequests: true });
    assert.equal(run.report.outcome, 'prompt');
    assert.deepEqual(stepRequests(run.report), [], 'the lookup stops at the handshake: no step made a request');
    // The early requests may still be on their way when the report is done; those still unanswered when the
    // lookup ends are abandoned then (the engine closes them), so at least one, not always both, reaches a log.
    for (let i = 0; i < 60 && lab.requests.length < 1; i++) await sleep(50);
    const logged = loggedRequests(lab.requests);
    assert.ok(logged.length >= 1, 'a server logged a request that no step of the report made');
    for (const request of logged) {
      assert.ok(
        [
          'GET http://autodiscover.contoso.test/autodiscover/autodiscover.xml credentials:no',
          'POST https://autodiscover.contoso.test/autodiscover/autodiscover.xml credentials:no',
        ].includes(request),
        request,
      );
    }
  } finally {
    await lab.close();
  }
});
