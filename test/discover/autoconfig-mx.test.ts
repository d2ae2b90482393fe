/**
 * Thunderbird's MX step (steps/autoconfig-mx.ts, docs/lookups.md): which domains it asks for an MX host, and the
 * built-in scenario where only the provider behind the MX publishes autoconfig (range 127.63.0.0/24).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
import type { DiscoveryReport } from '../../src/discover/report.js';
import { mxLookupDomains } from '../../src/discover/steps/autoconfig-mx.js';
import { loadBuiltinScenario } from '../../src/lab/builtin.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { loggedRequests, stepRequests } from '../../src/lab/traffic.js';

describe('the domains Thunderbird asks for an MX host (FetchConfig fetchConfigForMX)', () => {
  test('the MX host minus its first label first, then its base domain', () => {
    assert.deepEqual(mxLookupDomains('contoso-com.mail.protection.outlook.com', 'contoso.com'), [
      'mail.protection.outlook.com',
      'outlook.com',
    ]);
    assert.deepEqual(mxLookupDomains('mx1.mail.hoster.test.', 'fabrikam.test'), ['mail.hoster.test', 'hoster.test']);
  });
  test('only the base domain when the host is one label below it; public suffixes count (bbc.co.uk)', () => {
    assert.deepEqual(mxLookupDomains('mx.hoster.test', 'fabrikam.test'), ['hoster.test']);
    assert.deepEqual(mxLookupDomains('mx.bbc.co.uk', 'example.com'), ['bbc.co.uk']);
  });
  test("nothing when the MX host's base domain is the address's domain; a subdomain address asks its parent", () => {
    assert.deepEqual(mxLookupDomains('mail.contoso.test', 'contoso.test'), []);
    assert.deepEqual(mxLookupDomains('mx.eu.contoso.com', 'sales.contoso.com'), ['eu.contoso.com', 'contoso.com']);
  });
});

describe('thunderbird-mx-provider: only the provider behind the MX publishes autoconfig', () => {
  let lab: RunningLab;
  let report: DiscoveryReport;
  let logged: string[];

  before(async () => {
    lab = await startLab(loadBuiltinScenario('thunderbird-mx-provider'), { range: '127.63.0.0/24', dnsPort: 0 });
    report = await runDiscovery(
      {
        email: lab.scenario.email,
        profile: PROFILES.thunderbird,
        exclude: new Set(),
        accept: { redirect: false, certificate: false },
        timeoutMs: 3_000,
        ca: [lab.caPem],
      },
      createNodePorts({ dnsServers: [lab.dns], timeoutMs: 3_000 }),
    );
    logged = loggedRequests(lab.requests);
  });
  after(async () => {
    await lab?.close();
  });

  test("after the domain's own autoconfig, the MX step finds the settings at autoconfig.hoster.test", () => {
    assert.equal(report.outcome, 'settings');
    assert.equal(report.settings?.method, 'autoconfig-mx');
    assert.equal(
      report.settings?.url,
      'https://autoconfig.hoster.test/mail/config-v1.1.xml?emailaddress=chris%40fabrikam.test',
    );
    const methods = report.steps.map((s) => `${s.method} ${s.url ?? s.host} ${s.result}`);
    assert.deepEqual(methods.slice(4), [
      'autoconfig-mx https://autoconfig.mail.hoster.test/mail/config-v1.1.xml?emailaddress=chris%40fabrikam.test not-found',
      'autoconfig-mx https://autoconfig.hoster.test/mail/config-v1.1.xml?emailaddress=chris%40fabrikam.test settings',
    ]);
    assert.ok(report.steps.slice(0, 4).every((s) => s.method === 'autoconfig' && s.result !== 'settings'));
    // The MX lookup's records and reading go with the first request it led to.
    assert.deepEqual(report.steps[4]?.records, [{ preference: 10, exchange: 'mx1.mail.hoster.test' }]);
    assert.match(
      report.steps[4]?.detail ?? '',
      /^Mail for fabrikam\.test goes to mx1\.mail\.hoster\.test: Thunderbird asks the autoconfig of mail\.hoster\.test, then hoster\.test/,
    );
    // Exchange Autodiscover, lower in Thunderbird's priority, is not needed.
    assert.ok(!report.steps.some((s) => s.method === 'autodiscover-domain'));
  });

  test('the provider logged the GET, and nothing the report does not show', () => {
    assert.deepEqual(logged, stepRequests(report));
    assert.ok(logged.includes(`GET ${report.settings?.url} credentials:no`));
  });
});
