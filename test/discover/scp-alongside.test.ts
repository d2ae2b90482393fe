/**
 * A domain-joined Outlook 2013 asks the DNS candidates alongside its SCP lookup (profiles.ts OUTLOOK_2013_PLAN,
 * docs/lookups.md): the built-in scenario scp-root-domain-prompt, where SCP answers and the root domain serves the
 * website's www-only certificate (range 127.63.2.0/24).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
import type { DiscoveryReport, ProfileName, StepMethod } from '../../src/discover/report.js';
import { loadBuiltinScenario } from '../../src/lab/builtin.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { loggedRequests, stepRequests, trafficDifference } from '../../src/lab/traffic.js';

describe('scp-root-domain-prompt: SCP answers, the root domain serves the www-only certificate', () => {
  let lab: RunningLab;

  before(async () => {
    lab = await startLab(loadBuiltinScenario('scp-root-domain-prompt'), { range: '127.63.2.0/24', dnsPort: 0 });
  });
  after(async () => {
    await lab?.close();
  });

  async function discover(
    profile: ProfileName,
    options: { joined?: boolean; exclude?: StepMethod[] } = {},
  ): Promise<{ report: DiscoveryReport; logged: string[] }> {
    const before = lab.requests.length;
    const report = await runDiscovery(
      {
        email: lab.scenario.email,
        profile: PROFILES[profile],
        exclude: new Set(options.exclude ?? []),
        accept: { redirect: false, certificate: false },
        timeoutMs: 3_000,
        ca: [lab.caPem],
        ...(options.joined === false || !lab.ldap ? {} : { ldap: { url: lab.ldap } }),
      },
      createNodePorts({ dnsServers: [lab.dns], timeoutMs: 3_000 }),
    );
    report.findings = diagnose(report);
    return { report, logged: loggedRequests(lab.requests.slice(before)) };
  }

  const line = (s: DiscoveryReport['steps'][number]) =>
    `${s.method} ${s.url ?? s.host} ${s.result}${s.parallel ? ` parallel:${s.parallel}` : ''}`;

  test('domain-joined Outlook 2013: settings from SCP, and the root-domain prompt beside it, marked parallel', async () => {
    const { report, logged } = await discover('outlook-2013');
    assert.equal(report.outcome, 'settings');
    assert.equal(report.prompt, null);
    assert.equal(report.settings?.method, 'scp');
    assert.deepEqual(report.steps.map(line), [
      `scp ${lab.ldap?.replace('ldap://', '').split(':')[0]} redirect-url`,
      'scp https://mail.contoso.test/Autodiscover/Autodiscover.xml settings',
      'root-domain https://contoso.test/autodiscover/autodiscover.xml prompt parallel:scp',
    ]);
    assert.match(
      report.steps[2]?.detail ?? '',
      /^Alongside the SCP lookup: .*the warning appears although the SCP lookup/,
    );
    const codes = report.findings.map((f) => f.code);
    assert.ok(codes.includes('ROOT_DOMAIN_PROMPT_BESIDE_SCP'), codes.join(', '));
    // Not the story of a lookup that stops at the root domain: this one does not stop there.
    assert.ok(!codes.includes('ROOT_DOMAIN_BLOCKS_FALLBACK'), codes.join(', '));
    // The root domain's handshake failed before any request: the servers saw only the SCP POST.
    assert.deepEqual(logged, stepRequests(report));
  });

  test('ExcludeHttpsRootDomain (--exclude root-domain) removes the prompt: autodiscover.<domain> is asked beside SCP', async () => {
    const { report, logged } = await discover('outlook-2013', { exclude: ['root-domain'] });
    assert.equal(report.outcome, 'settings');
    assert.deepEqual(report.steps.slice(2).map(line), [
      'root-domain https://contoso.test/autodiscover/autodiscover.xml skipped parallel:scp',
      'autodiscover-domain https://autodiscover.contoso.test/autodiscover/autodiscover.xml settings parallel:scp',
    ]);
    assert.ok(!report.findings.some((f) => f.code === 'ROOT_DOMAIN_PROMPT_BESIDE_SCP'));
    // Two POSTs at once (SCP URL and autodiscover.<domain>): the same requests, in either order.
    assert.deepEqual(trafficDifference(stepRequests(report), logged), { missing: [], extra: [] });
    assert.equal(logged.length, 2);
  });

  test('Outlook 2016 waits for SCP: no root-domain step, no prompt', async () => {
    const { report } = await discover('outlook');
    assert.equal(report.settings?.method, 'scp');
    assert.ok(!report.steps.some((s) => s.parallel !== undefined || s.method === 'root-domain'));
  });

  test('without a directory the same profile walks in order and stops at the root-domain prompt', async () => {
    const { report } = await discover('outlook-2013', { joined: false });
    assert.equal(report.outcome, 'prompt');
    assert.ok(!report.steps.some((s) => s.parallel !== undefined));
    assert.ok(report.findings.some((f) => f.code === 'ROOT_DOMAIN_BLOCKS_FALLBACK'));
  });
});
