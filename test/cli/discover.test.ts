import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PROFILE_NAMES } from '../../src/discover/profiles.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { parseScenario } from '../../src/lab/scenario.js';
import { cli } from '../helpers/cli.js';
import { assertValidReport } from '../helpers/report-schema.js';
import { SMOKE_SCENARIO } from '../lab/smoke-scenario.js';

describe('autodisco discover: usage', () => {
  const cases: [string[], RegExp][] = [
    [
      ['--client', 'outlook2000'],
      /--client "outlook2000": expected one of outlook, outlook-2013, activesync, thunderbird, ews, all, or a comma list of them/,
    ],
    [['--timeout', 'soon'], /--timeout "soon": expected a whole number of milliseconds from 1 to 600000/],
    [['--dns', 'dns.example'], /--dns "dns.example": expected an IP address with an optional port/],
    [['--accept', 'everything'], /--accept "everything": expected a comma list of redirect, certificate/],
    [
      ['--exclude', 'scp,ftp'],
      /--exclude "ftp": expected a comma list of scp, root-domain, autodiscover-domain, http-redirect, srv/,
    ],
    [['--user', 'chris'], /--user and --password-env go together/],
    [
      ['--user', 'chris', '--password-env', 'AUTODISCO_TEST_UNSET'],
      /--password-env AUTODISCO_TEST_UNSET: that environment variable is not set/,
    ],
    [
      ['--ca', '/nonexistent/ca.pem'],
      /--ca \/nonexistent\/ca\.pem: cannot read the file: it does not exist \(ENOENT\)/,
    ],
    [['--ldap', 'http://dc1'], /--ldap "http:\/\/dc1": expected ldap:\/\/host\[:port\] or ldaps:\/\/host\[:port\]/],
    [['--sequential', '--prefetch-requests'], /--sequential and --prefetch-requests exclude each other/],
    [
      ['--ldap', 'ldap://127.0.0.1:9', '--site', 'Munich HQ'],
      /--site "Munich HQ": expected a directory site name: 1-63 letters, digits, "-" or "_", starting with a letter or digit/,
    ],
    [
      ['--site', 'Munich'],
      /--site goes with --ldap: the site only orders the SCPs, which are read from a domain controller/,
    ],
  ];
  for (const [args, message] of cases) {
    test(`exit 2 for ${args.join(' ')}`, async () => {
      const res = await cli(['discover', 'chris@contoso.test', ...args]);
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, message);
      assert.equal(res.stdout, '');
    });
  }

  test('a bad address is bad usage: exit 2, one line, no report, no findings, no request', async () => {
    const cases: [string, string][] = [
      ['not-an-email', '"not-an-email" is not an e-mail address (expected local@domain)'],
      ['chris@', '"chris@" is not an e-mail address (expected local@domain)'],
      ['@contoso.test', '"@contoso.test" is not an e-mail address (expected local@domain)'],
      ['chris@com', 'com is a top-level name: no client may look for autodiscover.com'],
      ['someone@co.uk', 'co.uk is a public suffix: no client may look for autodiscover.co.uk'],
      ['chris@127.0.0.1', '127.0.0.1 is an IP address: Autodiscover needs a domain name'],
    ];
    for (const [address, reason] of cases) {
      for (const extra of [[], ['--json'], ['--client', 'all']]) {
        // --dns at a port where nothing answers: a request would show as a failed step, not as this refusal.
        const res = await cli(['discover', address, '--dns', '127.0.0.1:9', ...extra]);
        assert.equal(res.code, 2, `${address} ${extra.join(' ')}: ${res.stderr}`);
        assert.equal(res.stdout, '');
        assert.equal(
          res.stderr,
          `autodisco: ${reason}; give an address such as chris@contoso.com [ADK_ERR_INVALID_ARGUMENT]\n`,
        );
      }
    }
  });
});

describe('autodisco discover against a lab', () => {
  let lab: RunningLab;
  before(async () => {
    lab = await startLab(parseScenario(SMOKE_SCENARIO, 'smoke'), { range: '127.46.0.0/24' });
  });
  after(() => lab.close());

  test('--json prints only the report, which validates; exit status follows the outcome', async () => {
    const res = await cli([
      'discover',
      'chris@contoso.test',
      '--json',
      '--dns',
      lab.dns,
      '--ca',
      lab.caFile,
      '--timeout',
      '3000',
    ]);
    const report = JSON.parse(res.stdout);
    assertValidReport(report);
    assert.equal(res.code, { settings: 0, failed: 1, prompt: 3 }[report.outcome as 'settings']);
    assert.equal(report.client, 'outlook');
    assert.equal(report.steps[0].method, 'scp');
    assert.equal(report.steps[0].result, 'skipped');
    const root = report.steps[1];
    assert.equal(root.method, 'root-domain');
    assert.equal(root.url, 'https://contoso.test/autodiscover/autodiscover.xml');
    assert.deepEqual(root.addresses, [lab.addresses.get('web')]);
    assert.equal(root.tls.error, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.deepEqual(root.tls.certificate.dnsNames, ['www.contoso.test']);
    assert.equal(root.result, 'tls-error');
    assert.equal(res.stderr, '');
  });

  test('the readable trace names the served certificate and the outcome', async () => {
    const res = await cli([
      'discover',
      'chris@contoso.test',
      '--client',
      'outlook-2013',
      '--dns',
      lab.dns,
      '--ca',
      lab.caFile,
    ]);
    assert.equal(res.code, 3);
    assert.match(res.stdout, /root-domain +prompt +POST https:\/\/contoso\.test\/autodiscover\/autodiscover\.xml/);
    assert.match(res.stdout, /certificate served: www\.contoso\.test; issued by CN=/);
    assert.match(
      res.stdout,
      /Outcome: the client stops at a certificate prompt for https:\/\/contoso\.test\/autodiscover\/autodiscover\.xml/,
    );
    assert.match(res.stdout, /ROOT_DOMAIN_BLOCKS_FALLBACK/);
  });

  test('--client all shows every client side by side', async () => {
    const res = await cli(['discover', 'chris@contoso.test', '--client', 'all', '--dns', lab.dns, '--ca', lab.caFile]);
    for (const client of PROFILE_NAMES) {
      assert.match(res.stdout, new RegExp(`^${client} +(settings|prompt|failed) `, 'm'), client);
    }
    assert.match(res.stdout, /^outlook-2013 +prompt +stops at a certificate prompt for https:\/\/contoso\.test\//m);
    const json = await cli([
      'discover',
      'chris@contoso.test',
      '--client',
      'all',
      '--json',
      '--dns',
      lab.dns,
      '--ca',
      lab.caFile,
    ]);
    const comparison = JSON.parse(json.stdout);
    assert.equal(comparison.reports.length, PROFILE_NAMES.length);
    for (const report of comparison.reports) assertValidReport(report);
  });
});
