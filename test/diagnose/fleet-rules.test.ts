/**
 * The fleet findings (issue 10), over recorded reports: each rule raises its code from the evidence a lookup
 * records and stays silent on the healthy twin of that evidence. The fleet lab raises them end to end
 * (test/lab/fleet.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addCrossClientFindings } from '../../src/diagnose/cross-client.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { expirySeverity } from '../../src/diagnose/rules/certificates.js';
import type { DiscoveryReport, ProtocolSettings, ServiceCheck, Step } from '../../src/discover/report.js';
import { REPORT_SCHEMA_ID } from '../../src/discover/report-schema.js';
import { assertValidReport } from '../helpers/report-schema.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;

function step(over: Partial<Step>): Step {
  return {
    method: 'autodiscover-domain',
    email: 'chris@contoso.test',
    host: 'autodiscover.contoso.test',
    addresses: ['127.20.0.100'],
    result: 'not-found',
    status: null,
    redirectTo: null,
    detail: 'x',
    ms: 1,
    ...over,
  };
}

function report(over: Partial<DiscoveryReport>): DiscoveryReport {
  const r: DiscoveryReport = {
    schema: REPORT_SCHEMA_ID,
    email: 'chris@contoso.test',
    client: 'thunderbird',
    outcome: 'failed',
    settings: null,
    prompt: null,
    steps: [],
    findings: [],
    ...over,
  };
  r.findings = diagnose(r, NOW);
  assertValidReport(JSON.parse(JSON.stringify(r)));
  return r;
}

function settingsReport(url: string, protocols: ProtocolSettings[], extra: Partial<DiscoveryReport> = {}) {
  const host = new URL(url).hostname;
  return report({
    outcome: 'settings',
    settings: {
      email: 'chris@contoso.test',
      url,
      method: 'autoconfig',
      protocols,
      user: { displayName: null, legacyDN: null, autoDiscoverSMTPAddress: null },
    },
    steps: [
      step({
        method: 'autoconfig',
        url: 'https://autoconfig.contoso.test/mail/config-v1.1.xml',
        result: 'connect-failed',
      }),
      step({ method: 'autoconfig', url, host, result: 'settings', status: 200 }),
    ],
    ...extra,
  });
}

const codes = (r: DiscoveryReport) => r.findings.map((f) => f.code);
const IMAP_TLS: ProtocolSettings = {
  type: 'IMAP',
  server: 'mail.contoso.test',
  port: 993,
  ssl: true,
  encryption: 'SSL',
  authentication: 'password-cleartext',
};

describe('CONFIG_OVER_PLAIN_HTTP', () => {
  test('settings taken from http:// after the https:// candidates failed', () => {
    const r = settingsReport('http://autoconfig.contoso.test/mail/config-v1.1.xml?emailaddress=chris%40contoso.test', [
      IMAP_TLS,
    ]);
    const f = r.findings.find((x) => x.code === 'CONFIG_OVER_PLAIN_HTTP');
    assert.ok(f, codes(r).join());
    assert.equal(f.severity, 'error');
    assert.deepEqual(f.steps, [1]);
    assert.match(f.detail, /http:\/\/autoconfig\.contoso\.test\/mail\/config-v1\.1\.xml/);
    assert.match(f.detail, /https:\/\/autoconfig\.contoso\.test\/mail\/config-v1\.1\.xml: connect-failed/);
    // The address in the query is never repeated in a finding.
    assert.doesNotMatch(`${f.title}${f.detail}${f.fixes.join()}`, /emailaddress|chris%40/);
    assert.match(f.fixes[0] ?? '', /^Serve the same file over HTTPS at https:\/\/autoconfig\.contoso\.test\//);
  });
  test('absent when the settings came over https://', () => {
    const r = settingsReport('https://autoconfig.contoso.test/mail/config-v1.1.xml', [IMAP_TLS]);
    assert.deepEqual(codes(r), []);
  });
});

describe('PLAINTEXT_PASSWORD_LOGIN', () => {
  const url = 'https://autoconfig.contoso.test/mail/config-v1.1.xml';
  test('autoconfig: IMAP plain with password-cleartext, SMTP with STARTTLS is fine', () => {
    const r = settingsReport(url, [
      { ...IMAP_TLS, port: 143, ssl: false, encryption: 'None' },
      {
        type: 'SMTP',
        server: 'mail.contoso.test',
        port: 587,
        ssl: true,
        encryption: 'TLS',
        authentication: 'password-cleartext',
      },
    ]);
    const found = r.findings.filter((x) => x.code === 'PLAINTEXT_PASSWORD_LOGIN');
    assert.equal(found.length, 1, codes(r).join());
    assert.equal(found[0]?.title, 'IMAP on mail.contoso.test takes the password without TLS');
    assert.match(found[0]?.detail ?? '', /mail\.contoso\.test:143/);
    assert.match(found[0]?.fixes[0] ?? '', /port 993/);
  });
  test('POX: Encryption Auto (STARTTLS optional) with a password is flagged as strippable', () => {
    const r = settingsReport(url, [
      {
        type: 'POP3',
        server: 'pop.contoso.test',
        port: 110,
        ssl: true,
        encryption: 'Auto',
        spa: false,
        authRequired: true,
      },
    ]);
    const f = r.findings.find((x) => x.code === 'PLAINTEXT_PASSWORD_LOGIN');
    assert.ok(f, codes(r).join());
    assert.match(f.title, /with TLS only if offered/);
    assert.match(f.detail, /removes STARTTLS/);
  });
  test('POX SSL off without Encryption, SPA on: a password hash in clear', () => {
    const r = settingsReport(url, [{ type: 'SMTP', server: 'smtp.contoso.test', port: 25, ssl: false, spa: true }]);
    assert.match(r.findings.find((x) => x.code === 'PLAINTEXT_PASSWORD_LOGIN')?.detail ?? '', /SPA\/NTLM/);
  });
  test('absent with TLS, with OAuth2, or without a login', () => {
    const r = settingsReport(url, [
      IMAP_TLS,
      { ...IMAP_TLS, type: 'POP3', ssl: false, encryption: 'None', authentication: 'oauth2' },
      { type: 'SMTP', server: 'relay.contoso.test', port: 25, ssl: false, encryption: 'None', authRequired: false },
    ]);
    assert.deepEqual(codes(r), []);
  });
});

describe('SETTINGS_HOST_DANGLING', () => {
  const check = (host: string, result: ServiceCheck['result']): ServiceCheck => ({
    service: 'EXPR EWS',
    url: `https://${host}/EWS/Exchange.asmx`,
    host,
    addresses: [],
    result,
    detail: 'x',
  });
  const url = 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml';
  test('a settings URL under another registrable domain that does not exist', () => {
    const r = settingsReport(url, [], { serviceChecks: [check('mail.old-provider.test', 'not-found')] });
    const f = r.findings.find((x) => x.code === 'SETTINGS_HOST_DANGLING');
    assert.ok(f, codes(r).join());
    assert.match(f.title, /mail\.old-provider\.test.*old-provider\.test/);
    assert.match(f.detail, /EXPR EWS: https:\/\/mail\.old-provider\.test\/EWS\/Exchange\.asmx/);
  });
  test('a provider host that resolves is normal; an own or the answering server’s name is not foreign', () => {
    const provider = settingsReport('https://autodiscover.provider.test/autodiscover/autodiscover.xml', [], {
      serviceChecks: [
        check('mail.provider.test', 'not-found'),
        check('ews.other-provider.test', 'ok'),
        check('gone.contoso.test', 'not-found'),
        // A DNS failure says nothing about the name.
        check('mail.third.test', 'dns-error'),
      ],
    });
    assert.ok(!codes(provider).includes('SETTINGS_HOST_DANGLING'), codes(provider).join());
  });
  test('an SRV target under a foreign domain that does not exist', () => {
    const r = report({
      steps: [
        step({ method: 'srv', host: '_autodiscover._tcp.contoso.test', result: 'redirect-url' }),
        step({
          method: 'srv',
          host: 'autodiscover.lapsed.test',
          url: 'https://autodiscover.lapsed.test/autodiscover/autodiscover.xml',
          result: 'not-found',
          phase: 'dns',
        }),
      ],
    });
    const f = r.findings.find((x) => x.code === 'SETTINGS_HOST_DANGLING');
    assert.ok(f, codes(r).join());
    assert.deepEqual(f.steps, [1]);
    assert.match(f.detail, /The SRV record _autodiscover\._tcp\.contoso\.test/);
  });
});

describe('CERT_EXPIRING_SOON: severity by the days left, from the diagnosis clock', () => {
  test('30/14/7 days: info, warning, error', () => {
    assert.equal(expirySeverity(30), 'info');
    assert.equal(expirySeverity(15), 'info');
    assert.equal(expirySeverity(14), 'warning');
    assert.equal(expirySeverity(8), 'warning');
    assert.equal(expirySeverity(7), 'error');
    assert.equal(expirySeverity(1), 'error');
  });
  test('the rule reads the clock it is given, not the wall clock', () => {
    const cert = (days: number) => ({
      subject: 'CN=autodiscover.contoso.test',
      dnsNames: ['autodiscover.contoso.test'],
      issuer: 'CN=lab',
      notBefore: new Date(NOW.getTime() - 60 * DAY).toISOString(),
      notAfter: new Date(NOW.getTime() + days * DAY).toISOString(),
      sha256: Array.from({ length: 32 }, (_, i) =>
        (i === 0 ? days : 0).toString(16).padStart(2, '0').toUpperCase(),
      ).join(':'),
      selfSigned: false,
    });
    for (const [days, severity] of [
      [29, 'info'],
      [10, 'warning'],
      [3, 'error'],
    ] as const) {
      const r = report({
        steps: [
          step({
            url: 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml',
            result: 'http-status',
            status: 404,
            tls: { protocol: 'TLSv1.3', error: null, certificate: cert(days), chain: [cert(days)] },
          }),
        ],
      });
      const f = r.findings.find((x) => x.code === 'CERT_EXPIRING_SOON');
      assert.equal(f?.severity, severity, `${days} days`);
      assert.match(f?.title ?? '', new RegExp(`expires in ${days} day`));
    }
  });
});

describe('MIXED_ANSWERS: the reports of one address side by side', () => {
  const pox = (imap: string): DiscoveryReport =>
    report({
      client: 'outlook',
      outcome: 'settings',
      settings: {
        email: 'chris@contoso.test',
        url: 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml',
        method: 'autodiscover-domain',
        protocols: [
          { type: 'IMAP', server: imap, port: 993, ssl: true, encryption: 'SSL' },
          { type: 'SMTP', server: 'smtp.contoso.test', port: 465, ssl: true, encryption: 'SSL' },
        ],
        user: { displayName: null, legacyDN: null, autoDiscoverSMTPAddress: null },
      },
      steps: [
        step({
          url: 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml',
          result: 'settings',
          status: 200,
        }),
      ],
    });
  const autoconfig = () =>
    settingsReport('https://autoconfig.contoso.test/mail/config-v1.1.xml', [
      IMAP_TLS,
      {
        type: 'SMTP',
        server: 'SMTP.contoso.test',
        port: 465,
        ssl: true,
        encryption: 'SSL',
        authentication: 'password-cleartext',
      },
    ]);

  test('different IMAP servers: one finding on each side, naming both', () => {
    const a = autoconfig();
    const b = pox('imap.old-host.test');
    addCrossClientFindings([a, b]);
    for (const r of [a, b]) {
      const found = r.findings.filter((f) => f.code === 'MIXED_ANSWERS');
      assert.equal(found.length, 1, `${r.client}: ${codes(r).join()}`);
      assert.equal(found[0]?.severity, 'warning');
      assert.match(
        found[0]?.detail ?? '',
        /IMAP: mail\.contoso\.test \(autoconfig\) vs imap\.old-host\.test \(Autodiscover\)/,
      );
      // SMTP agrees (names compare case-insensitively): not listed.
      assert.doesNotMatch(found[0]?.detail ?? '', /SMTP:/);
    }
  });
  test('the same servers, or one side without settings: nothing', () => {
    const a = autoconfig();
    const b = pox('mail.contoso.test');
    addCrossClientFindings([a, b]);
    assert.deepEqual([...codes(a), ...codes(b)], []);
    const failed = report({ client: 'outlook' });
    addCrossClientFindings([autoconfig(), failed]);
    assert.ok(!codes(failed).includes('MIXED_ANSWERS'), codes(failed).join());
  });
});
