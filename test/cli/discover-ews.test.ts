/**
 * `discover --client ews` next to `--client outlook` against the same lab (issue 13): the comparison output shows
 * where an EWS application and Outlook part ways. On ews-pox-only (autodiscover.svc answers 404, POX works) Outlook
 * gets its settings at once; the EWS application walks its whole SOAP lookup first, then finds the settings over
 * POX, and only its report carries SOAP_ENDPOINT_MISSING. On ews-soap-only it is the other way round.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadBuiltinScenario } from '../../src/lab/builtin.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { cli } from '../helpers/cli.js';
import { assertValidReport } from '../helpers/report-schema.js';

function withLab(name: string, range: string, body: (lab: () => RunningLab) => void): void {
  describe(name, () => {
    let lab: RunningLab | undefined;
    before(async () => {
      lab = await startLab(loadBuiltinScenario(name), { range });
    });
    after(async () => {
      await lab?.close();
    });
    body(() => {
      assert.ok(lab, 'the lab is up');
      return lab;
    });
  });
}

const args = (lab: RunningLab, ...more: string[]) => [
  'discover',
  'chris@contoso.test',
  '--dns',
  lab.dns,
  '--ca',
  lab.caFile,
  ...more,
];

withLab('ews-pox-only', '127.64.0.0/24', (lab) => {
  test('--client outlook,ews: both paths side by side, the SOAP steps marked, the finding for ews only', async () => {
    const res = await cli(args(lab(), '--client', 'outlook,ews'));
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    const out = res.stdout;
    assert.match(out, /^outlook and ews looking up chris@contoso\.test$/m);
    assert.match(out, /^outlook +settings /m);
    assert.match(out, /^ews +settings /m);
    const paths = [...out.matchAll(/^ +path: (.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(paths, [
      'root-domain:not-found → autodiscover-domain:settings',
      'root-domain/soap:not-found → autodiscover-domain/soap:soap-enabled → autodiscover-domain/soap:http-status → ' +
        'http-redirect/soap:connect-failed → srv/soap:not-found → root-domain:not-found → autodiscover-domain:settings',
    ]);
    const findings = out.slice(out.indexOf('Findings:'));
    assert.match(findings, /SOAP_ENDPOINT_MISSING/);
    assert.match(findings, /\[ews\]/);
    assert.doesNotMatch(findings, /\[[^\]]*outlook[^\]]*\]/);
  });

  test('--client outlook,ews --json: the comparison holds the two reports, in the order asked', async () => {
    const res = await cli(args(lab(), '--client', 'outlook,ews', '--json'));
    assert.equal(res.code, 0, res.stderr);
    const comparison = JSON.parse(res.stdout);
    assert.deepEqual(
      comparison.reports.map((r: { client: string }) => r.client),
      ['outlook', 'ews'],
    );
    for (const report of comparison.reports) assertValidReport(report);
    const [outlook, ews] = comparison.reports;
    assert.deepEqual(outlook.findings, []);
    assert.deepEqual(
      ews.findings.map((f: { code: string }) => f.code),
      ['SOAP_ENDPOINT_MISSING'],
    );
    // Outlook never asks autodiscover.svc; the EWS application asks it first and gets its settings over POX.
    assert.ok(!outlook.steps.some((s: { url?: string }) => s.url?.endsWith('.svc')));
    assert.equal(ews.settings.url, 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml');
    assert.equal(
      ews.settings.protocols.find((p: { type: string }) => p.type === 'EXCH')?.ewsUrl,
      'https://mail.contoso.test/EWS/Exchange.asmx',
    );
  });
});

withLab('ews-soap-only', '127.64.1.0/24', (lab) => {
  test('--client ews alone: settings from GetUserSettings, its EWS URL and display name', async () => {
    const res = await cli(args(lab(), '--client', 'ews', '--json'));
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout);
    assertValidReport(report);
    assert.equal(report.client, 'ews');
    assert.equal(report.settings.url, 'https://autodiscover.contoso.test/autodiscover/autodiscover.svc');
    assert.equal(report.settings.user.displayName, 'Chris Gray');
    assert.equal(report.settings.protocols[0].type, 'UserSettings');
    assert.equal(report.settings.protocols[0].externalEwsUrl, 'https://mail.contoso.test/EWS/Exchange.asmx');
    const answered = report.steps.at(-1);
    assert.equal(answered.protocol, 'soap');
    assert.deepEqual(answered.soap, { errorCode: 'NoError' });
    assert.equal(answered.httpMethod, 'POST');
    // Before it: the probe that found the 404 of the POX URL advertising SOAP.
    const probe = report.steps.at(-2);
    assert.equal(probe.result, 'soap-enabled');
    assert.equal(probe.httpMethod, 'GET');
    assert.equal(probe.url, 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml');
    assert.deepEqual(probe.soap, { enabled: ['X-SOAP-Enabled'] });
    assert.equal(probe.credentialsSent, false);
  });

  test('--client ews,outlook: the EWS application gets settings, Outlook finds nothing (exit 1)', async () => {
    const res = await cli(args(lab(), '--client', 'ews,outlook'));
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stdout, /^ews +settings /m);
    assert.match(res.stdout, /^outlook +failed /m);
  });
});

describe('--client lists that are not usage', () => {
  for (const bad of ['outlook,nope', 'ews,ews', 'ews,']) {
    test(`--client ${bad}: one line, exit 2`, async () => {
      const res = await cli(['discover', 'chris@contoso.test', '--client', bad]);
      assert.equal(res.code, 2);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /--client "[^"]+": expected /);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    });
  }
});
