/**
 * The diagnosis, end to end: every finding code of the catalogue is raised by `discover` on the built-in
 * scenario that tells its story, and is ABSENT on that scenario's fixed twin, for the client profiles the story
 * is about. Finding texts must name the actual hosts, URLs and certificate names of the scenario, and the
 * preferred fix must come first.
 *
 * Each scenario is brought up once (range 127.42.N.0/24), every profile is run against it, and the reports are
 * kept for all the tests that need them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FINDINGS, type FindingCode } from '../../src/diagnose/catalogue.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { PROFILE_NAMES } from '../../src/discover/profiles.js';
import type { DiscoveryReport, Finding, ProfileName } from '../../src/discover/report.js';
import { renderComparison } from '../../src/discover/text.js';
import { listBuiltinScenarios, loadBuiltinScenario } from '../../src/lab/builtin.js';
import { startLab } from '../../src/lab/lab.js';
import { discoverInLab } from '../helpers/lab-discover.js';
import { assertValidReport } from '../helpers/report-schema.js';

const NAMES = listBuiltinScenarios().map((s) => s.name);
const OUTLOOKS: ProfileName[] = ['outlook', 'outlook-2013'];
const ALL: ProfileName[] = [...PROFILE_NAMES];

type Reports = Record<ProfileName, DiscoveryReport>;
const cache = new Map<string, Promise<Reports>>();

/** Every profile's report for a built-in scenario, run once (tests run one after another, so labs never overlap). */
function reportsFor(name: string): Promise<Reports> {
  let reports = cache.get(name);
  if (!reports) {
    reports = (async () => {
      const index = NAMES.indexOf(name);
      assert.ok(index >= 0, `no built-in scenario ${name}`);
      const scenario = loadBuiltinScenario(name);
      const lab = await startLab(scenario, { range: `127.42.${index}.0/24` });
      try {
        const out = {} as Reports;
        // The four clients side by side against the one lab.
        await Promise.all(
          PROFILE_NAMES.map(async (client) => {
            const report = await discoverInLab(lab, client);
            assertValidReport(JSON.parse(JSON.stringify(report)));
            out[client] = report;
          }),
        );
        return out;
      } finally {
        await lab.close();
      }
    })();
    cache.set(name, reports);
  }
  return reports;
}

function codes(report: DiscoveryReport): string {
  return report.findings.map((f) => f.code).join(', ') || 'no findings';
}

/** The one finding with `code` in the report (fails when there is none, or more than one unless `several`). */
function only(report: DiscoveryReport, code: FindingCode, several = false): Finding {
  const found = report.findings.filter((f) => f.code === code);
  if (several) assert.ok(found.length > 0, `${report.client}: expected ${code}, got ${codes(report)}`);
  else assert.equal(found.length, 1, `${report.client}: expected one ${code}, got ${codes(report)}`);
  return found[0] as Finding;
}

/** Whole text of a finding, for "does it name X" checks. */
function text(f: Finding): string {
  return [f.title, f.detail, ...f.fixes].join('\n');
}

function mentions(f: Finding, ...needles: string[]): void {
  for (const needle of needles)
    assert.ok(text(f).includes(needle), `${f.code} does not mention ${needle}:\n${text(f)}`);
}

interface Case {
  /** The scenario that raises the code, and where it must be raised. */
  scenario: string;
  profiles: readonly ProfileName[];
  /** The scenario that fixes it, and where it must then be absent (default: every profile). */
  twin: string;
  twinProfiles?: readonly ProfileName[];
  /** More than one finding with the code is fine (one per host, say); the first is checked. */
  several?: boolean;
  /** What the finding must say, per profile. */
  check?: (finding: Finding, report: DiscoveryReport) => void;
}

/** Codes no lab scenario can raise (the lab's DNS always answers): tested against real failing DNS servers. */
const ELSEWHERE: Record<string, string> = {
  DNS_UNAVAILABLE: 'test/diagnose/dns-unavailable.test.ts',
  // Lab names are under .test (never public) and the lab never answers 0.0.0.0: a hostile DNS server plays it.
  UNSPECIFIED_ADDRESS_ANSWER: 'test/discover/hostile-addresses.test.ts',
  LOCAL_ADDRESS_FOR_PUBLIC_NAME: 'test/discover/hostile-addresses.test.ts',
  // autodisco refuses an http:// redirectUrl in its own settings, so no lab host answers one over SOAP.
  SOAP_REDIRECT_URL_INSECURE: 'test/diagnose/soap-rules.test.ts',
  // The fleet findings: unit tests over recorded reports, and the fleet lab's categories (test/lab/fleet.test.ts).
  CONFIG_OVER_PLAIN_HTTP: 'test/diagnose/fleet-rules.test.ts',
  PLAINTEXT_PASSWORD_LOGIN: 'test/diagnose/fleet-rules.test.ts',
  SETTINGS_HOST_DANGLING: 'test/diagnose/fleet-rules.test.ts',
  MIXED_ANSWERS: 'test/diagnose/fleet-rules.test.ts',
};

const CASES: Record<
  Exclude<
    FindingCode,
    | 'DNS_UNAVAILABLE'
    | 'UNSPECIFIED_ADDRESS_ANSWER'
    | 'LOCAL_ADDRESS_FOR_PUBLIC_NAME'
    | 'CONFIG_OVER_PLAIN_HTTP'
    | 'PLAINTEXT_PASSWORD_LOGIN'
    | 'SETTINGS_HOST_DANGLING'
    | 'MIXED_ANSWERS'
    | 'SOAP_REDIRECT_URL_INSECURE'
  >,
  Case
> = {
  SOAP_ENDPOINT_MISSING: {
    scenario: 'ews-pox-only',
    // Only an EWS application asks autodiscover.svc.
    profiles: ['ews'],
    twin: 'self-signed-exchange-fixed',
    check: (f, report) => {
      mentions(
        f,
        'https://autodiscover.contoso.test/autodiscover/autodiscover.svc answered HTTP 404',
        'https://autodiscover.contoso.test/autodiscover/autodiscover.xml',
      );
      assert.equal(f.severity, 'warning');
      assert.deepEqual(
        f.steps.map((i) => report.steps[i]?.protocol ?? 'pox'),
        ['soap', 'pox'],
      );
    },
  },
  EWS_URL_MISSING: {
    scenario: 'hybrid-redirect-address',
    // The cloud domain has no EWS URL: over SOAP (then the application tries POX), and over POX.
    profiles: ['ews'],
    several: true,
    twin: 'self-signed-exchange-fixed',
    check: (f, report) => {
      mentions(
        f,
        'https://autodiscover.contoso.cloud.test/autodiscover/autodiscover.svc',
        'ExternalEwsUrl or InternalEwsUrl',
      );
      assert.deepEqual(report.steps[f.steps[0] ?? -1]?.missingSettings, ['ExternalEwsUrl', 'InternalEwsUrl']);
      assert.equal(report.outcome, 'failed');
    },
  },
  ROOT_DOMAIN_BLOCKS_FALLBACK: {
    scenario: 'root-domain-trap',
    // Thunderbird asks autodiscover.<domain> before the root domain: it never meets this step.
    profiles: ['outlook', 'outlook-2013', 'activesync'],
    twin: 'root-domain-fixed-san',
    check: (f, report) => {
      mentions(
        f,
        'https://contoso.test/autodiscover/autodiscover.xml',
        'www.contoso.test',
        'autodiscover.contoso.test',
      );
      assert.match(f.fixes[0] ?? '', /^Add contoso\.test to the website's certificate/);
      assert.equal(report.steps[f.steps[0] ?? -1]?.method, 'root-domain');
      // It stops Outlook 2013 (an error); Outlook 2016 and ActiveSync only pass by it (a warning).
      assert.equal(f.severity, report.client === 'outlook-2013' ? 'error' : 'warning');
    },
  },
  ROOT_DOMAIN_PROMPT_BESIDE_SCP: {
    scenario: 'scp-root-domain-prompt',
    // Only Outlook 2013 asks the root domain beside SCP; Outlook 2016 waits for SCP, which answers.
    profiles: ['outlook-2013'],
    // A directory whose SCP answers and no HTTPS on the root domain: nothing to warn about.
    twin: 'scp-site-affinity',
    twinProfiles: ['outlook-2013'],
    check: (f, report) => {
      assert.equal(report.outcome, 'settings');
      mentions(
        f,
        'https://contoso.test/autodiscover/autodiscover.xml',
        'www.contoso.test',
        'https://mail.contoso.test/Autodiscover/Autodiscover.xml',
        'ExcludeHttpsRootDomain',
      );
      assert.match(f.fixes[0] ?? '', /^Add contoso\.test to the website's certificate/);
      const [root, scp] = f.steps.map((i) => report.steps[i]);
      assert.equal(root?.method, 'root-domain');
      assert.equal(root?.parallel, 'scp');
      assert.equal(root?.result, 'prompt');
      assert.equal(scp?.method, 'scp');
      assert.equal(scp?.result, 'settings');
      // The plain finding of the root domain's trap would say the lookup stops there: it does not here.
      assert.ok(!report.findings.some((x) => x.code === 'ROOT_DOMAIN_BLOCKS_FALLBACK'), codes(report));
    },
  },
  CERT_NAME_MISMATCH: {
    scenario: 'autodiscover-name-missing',
    profiles: ALL,
    twin: 'expired-certificate-fixed',
    check: (f) => {
      mentions(f, 'autodiscover.contoso.test', 'mail.contoso.test', 'https://autodiscover.contoso.test/autodiscover/');
      assert.match(f.fixes[0] ?? '', /Reissue the certificate for autodiscover\.contoso\.test/);
    },
  },
  CERT_WILDCARD_MISMATCH: {
    scenario: 'wildcard-subdomain',
    profiles: ALL,
    twin: 'wildcard-subdomain-fixed',
    check: (f) => {
      mentions(f, '*.contoso.test', 'autodiscover.eu.contoso.test', 'more than one level');
      assert.match(f.fixes[0] ?? '', /Add autodiscover\.eu\.contoso\.test itself to the certificate/);
    },
  },
  SNI_DEFAULT_CERTIFICATE: {
    scenario: 'wildcard-dns-shared-hosting',
    profiles: ALL,
    twin: 'wildcard-dns-shared-hosting-fixed',
    // Thunderbird's first candidate, autoconfig.contoso.test, still reaches the web host through the wildcard.
    twinProfiles: ['outlook', 'outlook-2013', 'activesync'],
    // Thunderbird meets it at autoconfig.contoso.test and at autodiscover.contoso.test: one finding per host.
    several: true,
    check: (f, report) => {
      mentions(f, report.steps[f.steps[0] ?? -1]?.host ?? 'missing', '*.webhost.test', 'contoso.test');
      assert.match(f.fixes[0] ?? '', /wildcard DNS record/);
    },
  },
  CERT_UNTRUSTED: {
    scenario: 'self-signed-exchange',
    profiles: ALL,
    twin: 'self-signed-exchange-fixed',
    check: (f) => {
      mentions(f, 'autodiscover.contoso.test', 'ex01.contoso.test', 'self-signed');
    },
  },
  CERT_CHAIN_INCOMPLETE: {
    scenario: 'missing-intermediate',
    profiles: ALL,
    twin: 'missing-intermediate-fixed',
    check: (f) => {
      mentions(f, 'autodiscover.contoso.test', 'autodisco lab intermediate');
      assert.match(f.fixes[0] ?? '', /full chain/);
    },
  },
  CERT_EXPIRED: {
    scenario: 'expired-certificate',
    profiles: ALL,
    twin: 'expired-certificate-fixed',
    check: (f, report) => {
      const notAfter = report.steps[f.steps[0] ?? -1]?.tls?.certificate?.notAfter ?? 'missing';
      mentions(f, 'autodiscover.contoso.test', `expired on ${notAfter.slice(0, 10)}`);
    },
  },
  CERT_NOT_YET_VALID: {
    scenario: 'not-yet-valid-certificate',
    profiles: ALL,
    twin: 'expired-certificate-fixed',
    check: (f, report) => {
      const notBefore = report.steps[f.steps[0] ?? -1]?.tls?.certificate?.notBefore ?? 'missing';
      mentions(f, 'autodiscover.contoso.test', notBefore.slice(0, 10));
    },
  },
  CERT_EXPIRING_SOON: {
    scenario: 'expiring-certificate',
    profiles: ALL,
    twin: 'expired-certificate-fixed',
    // One per host that serves the certificate (autodiscover.contoso.test, then mail.contoso.test for EWS).
    several: true,
    check: (f, report) => {
      const notAfter = report.steps[f.steps[0] ?? -1]?.tls?.certificate?.notAfter ?? 'missing';
      mentions(f, 'autodiscover.contoso.test', notAfter.slice(0, 10));
      assert.match(f.title, /expires in [67] day\(s\)/);
      // The last week is an error (info within 30 days, a warning within 14: test/diagnose/fleet-rules.test.ts).
      assert.equal(f.severity, 'error');
    },
  },
  SCP_URL_NOT_ON_CERTIFICATE: {
    scenario: 'scp-netbios-name',
    // Only domain-joined Outlook reads the directory.
    profiles: OUTLOOKS,
    twin: 'scp-fixed-internal-uri',
    check: (f) => {
      mentions(
        f,
        'https://ex1/Autodiscover/Autodiscover.xml',
        'NetBIOS',
        'mail.contoso.test and autodiscover.contoso.test',
      );
      assert.match(
        f.fixes[0] ?? '',
        /Set-ClientAccessService -Identity EX1 -AutoDiscoverServiceInternalUri https:\/\//,
      );
    },
  },
  SRV_PORT_IGNORED: {
    scenario: 'srv-hosting-provider',
    profiles: ALL,
    twin: 'srv-hosting-provider-fixed',
    check: (f) => {
      mentions(f, '8443', 'autodiscover-backup.hoster.test', '_autodiscover._tcp.fabrikam.test');
    },
  },
  REDIRECT_NEEDS_CONSENT: {
    scenario: 'srv-hosting-provider',
    profiles: ALL,
    twin: 'srv-hosting-provider-fixed',
    check: (f, report) => {
      // An EWS application asks the SRV target's SOAP endpoint (its SOAP lookup comes first).
      const path = report.client === 'ews' ? 'autodiscover.svc' : 'autodiscover.xml';
      mentions(f, `https://autodiscover.hoster.test/autodiscover/${path}`, 'chris@fabrikam.test', 'SRV');
      // No user, no policy key: the application's callback decides.
      if (report.client === 'ews') {
        assert.match(f.detail, /asks its AutodiscoverRedirectionUrlValidationCallback about this URL/);
        assert.doesNotMatch(f.detail, /Outlook shows/);
        assert.equal(f.fixes.length, 1);
      } else assert.match(f.fixes[1] ?? '', /RedirectServers/);
      assert.match(f.fixes[0] ?? '', /Publish autodiscover\.fabrikam\.test/);
    },
  },
  INSECURE_REDIRECT: {
    scenario: 'http-redirect-insecure',
    profiles: ALL,
    twin: 'http-redirect-method',
    check: (f) => {
      mentions(
        f,
        'http://autodiscover.adatum.test/autodiscover/autodiscover.xml',
        'http://mail.provider.test/autodiscover/autodiscover.xml',
      );
    },
  },
  REDIRECT_LIMIT: {
    scenario: 'redirect-loop',
    profiles: ALL,
    // An EWS application meets it twice: in its SOAP lookup, then in its POX lookup.
    several: true,
    twin: 'redirect-loop-fixed',
    check: (f) => {
      mentions(f, 'autodiscover.contoso.test', 'autodiscover.fabrikam.test');
    },
  },
  CERT_PRINCIPAL_NAME_MISMATCH: {
    scenario: 'wildcard-principal-mismatch',
    // ActiveSync settings have no Outlook Anywhere.
    profiles: OUTLOOKS,
    twin: 'wildcard-outlook-anywhere',
    check: (f) => {
      mentions(f, 'msstd:mail.contoso.test', '*.contoso.test');
      assert.match(f.fixes[0] ?? '', /msstd:\*\.contoso\.test/);
    },
  },
  SERVICE_URL_NOT_COVERED: {
    scenario: 'service-url-not-covered',
    // ActiveSync's URL is on mail.contoso.test, which the certificate names.
    profiles: ['outlook', 'outlook-2013', 'thunderbird'],
    twin: 'expired-certificate-fixed',
    check: (f) => {
      mentions(f, 'https://webmail.contoso.test/EWS/Exchange.asmx', 'autodiscover.contoso.test and mail.contoso.test');
    },
  },
  AUTH_REJECTED_EVERYWHERE: {
    scenario: 'auth-required-everywhere',
    profiles: ALL,
    twin: 'expired-certificate-fixed',
    check: (f) => {
      mentions(f, 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml', 'Negotiate, NTLM');
    },
  },
  NEW_DOMAIN_WITHOUT_AUTODISCOVER: {
    scenario: 'new-smtp-domain',
    profiles: ALL,
    twin: 'new-smtp-domain-fixed',
    check: (f) => {
      mentions(f, 'autodiscover.newdomain.test', '_autodiscover._tcp.newdomain.test', 'chris@newdomain.test');
      // The target comes from the MX record: the server that already takes the domain's mail.
      assert.match(f.fixes[0] ?? '', /autodiscover\.newdomain\.test\. CNAME mail\.olddomain\.test\./);
      assert.match(f.fixes[1] ?? '', /SRV 0 0 443 mail\.olddomain\.test\./);
    },
  },
  NO_AUTODISCOVER_ENDPOINT: {
    scenario: 'new-smtp-domain',
    profiles: ALL,
    twin: 'new-smtp-domain-fixed',
    check: (f) => {
      mentions(f, 'newdomain.test');
    },
  },
  AUTODISCOVER_ERROR: {
    scenario: 'new-smtp-domain-not-accepted',
    profiles: ALL,
    // An EWS application meets it twice: in its SOAP lookup, then in its POX lookup.
    several: true,
    twin: 'new-smtp-domain-fixed',
    check: (f, report) => {
      // The first is the EWS application's SOAP answer (InvalidUser); its POX answer is the 500 of the others.
      mentions(f, 'autodiscover.newdomain.test', report.client === 'ews' ? 'InvalidUser' : '500');
    },
  },
  CANDIDATE_TIMEOUT: {
    scenario: 'root-domain-timeout',
    // Thunderbird hangs at https://contoso.test/.well-known/autoconfig/ the same way.
    profiles: ALL,
    twin: 'root-domain-fixed-san',
    check: (f, report) => {
      mentions(f, 'https://contoso.test/', 'accepted the connection and never answered');
      assert.equal(f.severity, 'warning', 'settings are found after it');
      assert.equal(report.steps[f.steps[0] ?? -1]?.result, 'timeout');
      if (report.client === 'outlook') mentions(f, 'about 25 s', 'ExcludeHttpsRootDomain');
    },
  },
  SETTINGS_OVER_HTTP_IGNORED: {
    scenario: 'http-autodiscover-content',
    profiles: ALL,
    twin: 'http-redirect-method',
    check: (f) => {
      mentions(f, 'http://autodiscover.adatum.test/autodiscover/autodiscover.xml');
    },
  },
};

describe('every finding code: raised by its scenario, absent on the fixed twin', () => {
  test('every code in the catalogue has a scenario here, and every scenario named exists', () => {
    assert.deepEqual([...Object.keys(CASES), ...Object.keys(ELSEWHERE)].sort(), Object.keys(FINDINGS).sort());
    for (const c of Object.values(CASES)) {
      assert.ok(NAMES.includes(c.scenario), c.scenario);
      assert.ok(NAMES.includes(c.twin), c.twin);
    }
  });

  for (const [code, c] of Object.entries(CASES) as [FindingCode, Case][]) {
    describe(code, () => {
      test(`raised on ${c.scenario} for ${c.profiles.join(', ')}`, async () => {
        const reports = await reportsFor(c.scenario);
        for (const client of c.profiles) {
          const report = reports[client];
          const finding = only(report, code, c.several);
          assert.equal(finding.severity === 'error' || finding.severity === 'warning', true);
          assert.ok(finding.steps.length > 0 || code === 'CERT_EXPIRING_SOON', `${code} points at no step`);
          for (const i of finding.steps) assert.ok(report.steps[i], `${code}: step ${i} does not exist`);
          assert.ok(!/\{\w+\}/.test(text(finding)), `an unfilled placeholder in ${code}:\n${text(finding)}`);
          c.check?.(finding, report);
        }
      });
      test(`absent on ${c.twin}`, async () => {
        const reports = await reportsFor(c.twin);
        for (const client of c.twinProfiles ?? ALL) {
          assert.ok(
            !reports[client].findings.some((f) => f.code === code),
            `${c.twin}, ${client}: ${codes(reports[client])}`,
          );
        }
      });
    });
  }
});

describe('what the findings say about the seed case', () => {
  test('Outlook 2013: the root domain blocks the fallback, naming the URL and the website certificate', async () => {
    const report = (await reportsFor('root-domain-trap'))['outlook-2013'];
    // The consequence, then the certificate fact it explains (its contract code, for scripts), on the same step.
    assert.deepEqual(
      report.findings.map((f) => f.code),
      ['ROOT_DOMAIN_BLOCKS_FALLBACK', 'CERT_NAME_MISMATCH'],
    );
    assert.deepEqual(report.findings[0]?.because, [1]);
    const f = only(report, 'ROOT_DOMAIN_BLOCKS_FALLBACK');
    assert.match(f.detail, /https:\/\/contoso\.test\/autodiscover\/autodiscover\.xml/);
    assert.match(f.detail, /certificate for www\.contoso\.test/);
    assert.match(f.detail, /autodiscover\.contoso\.test is never tried/);
    assert.equal(
      f.fixes[0],
      "Add contoso.test to the website's certificate (reissue it for www.contoso.test and contoso.test). Outlook then reads the website's answer, sees it is not Autodiscover, and goes on to autodiscover.contoso.test. This is the preferred fix: the website stays encrypted.",
    );
    assert.match(f.fixes[1] ?? '', /^Stop answering HTTPS on contoso\.test:443/);
    // The clients it stops are Outlook 2007 to 2013: their policy key is not Office\16.0.
    assert.match(
      f.fixes[2] ?? '',
      /Office\\<version>\\Outlook\\AutoDiscover \(16\.0 for Outlook 2016 and later, 15\.0 for 2013/,
    );
  });

  test('Outlook 2016: the same trap is a warning that names the clients it does stop', async () => {
    const report = (await reportsFor('root-domain-trap')).outlook;
    const f = only(report, 'ROOT_DOMAIN_BLOCKS_FALLBACK');
    assert.equal(f.severity, 'warning');
    assert.match(f.detail, /Outlook 2016\+ skips certificate errors at the root domain/);
    assert.match(f.detail, /Outlook 2007 to 2013 show .* the lookup stops there/);
    assert.ok(!report.findings.some((x) => x.severity === 'error'), codes(report));
  });

  test('--client all says per client what the root domain does, and never that it stops clients it does not', async () => {
    const reports = await reportsFor('root-domain-trap');
    const text = renderComparison(PROFILE_NAMES.map((client) => reports[client]));
    const block = text.slice(text.indexOf('Findings:'));
    assert.match(block, /ERROR for outlook-2013: Outlook 2007 to 2013 show .* the lookup stops there/);
    // Each client's own line says what happens to it; the sentence the ERROR line said is not said again.
    assert.match(block, /WARNING for outlook: Outlook 2016\+ skips certificate errors at the root domain and moves on/);
    assert.match(block, /WARNING for activesync: An ActiveSync device skips certificate errors at the root domain/);
    assert.equal(block.match(/Outlook 2007 to 2013/g)?.length, 1, block);
    assert.doesNotMatch(block, /\[[^\]]*outlook-2013, outlook[^\]]*\]/);
    assert.match(
      block,
      /Certificate fact CERT_NAME_MISMATCH: contoso\.test answers with a certificate that does not name it/,
    );
  });

  test('Thunderbird at the website’s root domain: the fixes never tell the admin to remove the website’s DNS record', async () => {
    const report = (await reportsFor('root-domain-trap')).thunderbird;
    const f = only(report, 'CERT_NAME_MISMATCH');
    assert.equal(report.steps[f.steps[0] ?? -1]?.host, 'contoso.test');
    assert.match(f.detail, /certificate for www\.contoso\.test .*which does not name contoso\.test/);
    assert.doesNotMatch(f.fixes.join(' '), /remove its DNS record/);
    assert.match(f.fixes[1] ?? '', /stop answering HTTPS on contoso\.test:443 .*keep its DNS record/);
  });

  test('--client all: what the certificate is is said once, what each client does with it per client', async () => {
    const reports = await reportsFor('self-signed-exchange');
    const text = renderComparison(PROFILE_NAMES.map((client) => reports[client]));
    const block = text.slice(text.indexOf('Findings:'));
    assert.equal(block.match(/presented a certificate for ex01\.contoso\.test/g)?.length, 1, block);
    assert.match(block, /ERROR for outlook, outlook-2013, activesync: Clients refuse it \(the client stops/);
    // An EWS application meets the certificate in its GET probe of the same URL, and passes by as Thunderbird does.
    assert.match(block, /ERROR for thunderbird, ews: Clients refuse it\./);
  });

  test('a misnamed autodiscover host may still be told to drop its DNS record', async () => {
    const report = (await reportsFor('self-signed-exchange')).outlook;
    const f = only(report, 'CERT_NAME_MISMATCH');
    assert.match(
      f.fixes[1] ?? '',
      /^If autodiscover\.contoso\.test should not answer here at all, remove its DNS record/,
    );
  });

  test('both fixes leave no finding at all for any Outlook', async () => {
    for (const twin of ['root-domain-fixed-san', 'root-domain-fixed-no-tls']) {
      const reports = await reportsFor(twin);
      for (const client of OUTLOOKS) assert.deepEqual(reports[client].findings, [], `${twin} ${client}`);
    }
  });
});

describe('certificate facts carry their contract code next to the finding that explains them', () => {
  /** The fact `code` on the same step as `consequence`, and `consequence` naming it in `because`. */
  function explained(report: DiscoveryReport, consequence: FindingCode, code: FindingCode, method: string): void {
    const c = only(report, consequence);
    const step = report.steps[c.steps[0] ?? -1];
    assert.equal(step?.method, method, `${report.client}: ${consequence} is on a ${step?.method} step`);
    const facts = (c.because ?? []).map((i) => report.findings[i]);
    const fact = facts.find((f) => f?.code === code);
    assert.ok(fact, `${report.client}: ${consequence} names no ${code} in because (${codes(report)})`);
    assert.ok(fact.steps.includes(c.steps[0] ?? -1), `${code} is not on the step of ${consequence}`);
    assert.ok(!fact.because, 'a fact explains nothing further');
  }

  test('the seed case: the root domain', async () => {
    const reports = await reportsFor('root-domain-trap');
    for (const client of ['outlook', 'outlook-2013', 'activesync'] as const)
      explained(reports[client], 'ROOT_DOMAIN_BLOCKS_FALLBACK', 'CERT_NAME_MISMATCH', 'root-domain');
  });

  test('another site’s default certificate (SNI)', async () => {
    const reports = await reportsFor('wildcard-dns-shared-hosting');
    for (const client of OUTLOOKS)
      explained(reports[client], 'SNI_DEFAULT_CERTIFICATE', 'CERT_NAME_MISMATCH', 'autodiscover-domain');
  });

  test('the SCP URL prompt (Exchange’s default AutoDiscoverServiceInternalUri, KB 940726)', async () => {
    const reports = await reportsFor('scp-netbios-name');
    for (const client of OUTLOOKS)
      explained(reports[client], 'SCP_URL_NOT_ON_CERTIFICATE', 'CERT_NAME_MISMATCH', 'scp');
  });

  test('a wildcard that does not reach', async () => {
    const reports = await reportsFor('wildcard-subdomain');
    for (const client of ALL)
      explained(reports[client], 'CERT_WILDCARD_MISMATCH', 'CERT_NAME_MISMATCH', 'autodiscover-domain');
  });

  test('the self-signed certificate naming only the server is untrusted AND misnamed, on the same step', async () => {
    const reports = await reportsFor('self-signed-exchange');
    for (const client of ALL) {
      const report = reports[client];
      const untrusted = only(report, 'CERT_UNTRUSTED');
      const misnamed = only(report, 'CERT_NAME_MISMATCH');
      assert.deepEqual(misnamed.steps, untrusted.steps);
      assert.equal(report.steps[misnamed.steps[0] ?? -1]?.host, 'autodiscover.contoso.test');
      mentions(misnamed, 'ex01.contoso.test', 'autodiscover.contoso.test');
    }
  });
});

describe('findings that must not be there', () => {
  test('the fixed twins leave Outlook without errors', async () => {
    const twins = [...new Set(Object.values(CASES).map((c) => c.twin))];
    for (const twin of twins) {
      const reports = await reportsFor(twin);
      for (const client of OUTLOOKS) {
        const errors = reports[client].findings.filter((f) => f.severity === 'error');
        assert.deepEqual(
          errors.map((f) => f.code),
          [],
          `${twin} ${client}`,
        );
      }
    }
  });

  test('a shared host’s foreign wildcard certificate is another site’s default, not a wildcard to extend', {}, async () => {
    // The web host's *.webhost.test is not the customer's to reissue: "add autodiscover.contoso.test to the
    // certificate" would be the wrong advice.
    const reports = await reportsFor('wildcard-dns-shared-hosting');
    for (const client of OUTLOOKS) {
      assert.ok(!reports[client].findings.some((f) => f.code === 'CERT_WILDCARD_MISMATCH'), codes(reports[client]));
    }
  });

  test('NO_AUTODISCOVER_ENDPOINT is not raised when Autodiscover servers did answer (401, redirectUrl)', {}, async () => {
    // Both lookups reached autodiscover.contoso.test, which answered: "publish autodiscover.contoso.test" would be
    // the wrong advice.
    for (const name of ['auth-required-everywhere', 'redirect-loop']) {
      const reports = await reportsFor(name);
      for (const client of OUTLOOKS) {
        assert.ok(
          !reports[client].findings.some((f) => f.code === 'NO_AUTODISCOVER_ENDPOINT'),
          `${name} ${client}: ${codes(reports[client])}`,
        );
      }
    }
  });

  test('one CertPrincipalName finding per server and principal, not one per protocol block', async () => {
    const report = (await reportsFor('wildcard-principal-mismatch')).outlook;
    assert.equal(report.findings.filter((f) => f.code === 'CERT_PRINCIPAL_NAME_MISMATCH').length, 1, codes(report));
  });
});

describe('sentences that name the right things', () => {
  test('SCP_URL_NOT_ON_CERTIFICATE names the SCP object it read the URL from', {}, async () => {
    const f = only((await reportsFor('scp-netbios-name')).outlook, 'SCP_URL_NOT_ON_CERTIFICATE');
    assert.match(f.detail, /CN=EX1,CN=Autodiscover,CN=Protocols,CN=EX1,CN=Servers/, f.detail);
  });

  test('REDIRECT_LIMIT shows the loop as it went: contoso → fabrikam → contoso, no hop from a URL to itself', {}, async () => {
    const f = only((await reportsFor('redirect-loop')).outlook, 'REDIRECT_LIMIT');
    const chain = /\(([^)]*)\)/.exec(f.detail)?.[1]?.split(' → ') ?? [];
    assert.ok(chain.length >= 3, f.detail);
    assert.match(chain[0] ?? '', /autodiscover\.contoso\.test/, f.detail);
    chain.forEach((url, i) => {
      if (i > 0) assert.notEqual(url, chain[i - 1], `a hop from ${url} to itself: ${f.detail}`);
    });
  });
});

describe('sentences that fit the hosts and the client', () => {
  test('one host per certificate finding: the singular sentences stay grammatical', async () => {
    const report = (await reportsFor('wildcard-dns-shared-hosting')).thunderbird;
    const sni = report.findings.filter((f) => f.code === 'SNI_DEFAULT_CERTIFICATE');
    assert.deepEqual(
      sni.map((f) => f.title),
      [
        'autoconfig.contoso.test is answered by another site’s default certificate',
        'autodiscover.contoso.test is answered by another site’s default certificate',
      ],
    );
    for (const f of report.findings) {
      assert.doesNotMatch(text(f), /\.test and [a-z.]+\.test (is|answers|points)/, text(f));
      if (f.code.startsWith('CERT_') || f.code === 'SNI_DEFAULT_CERTIFICATE') {
        const hosts = new Set(f.steps.map((i) => report.steps[i]?.host));
        assert.equal(hosts.size, 1, `${f.code} points at steps of ${[...hosts].join(', ')}`);
      }
    }
  });

  test('SNI_DEFAULT_CERTIFICATE offers the SRV record only for Autodiscover hosts, in words that fit the client', async () => {
    const reports = await reportsFor('wildcard-dns-shared-hosting');
    const tb = reports.thunderbird.findings.filter((f) => f.code === 'SNI_DEFAULT_CERTIFICATE');
    const autoconfig = tb.find((f) => f.title.startsWith('autoconfig.'));
    const autodiscover = tb.find((f) => f.title.startsWith('autodiscover.'));
    assert.ok(autoconfig && autodiscover, codes(reports.thunderbird));
    assert.doesNotMatch(autoconfig.fixes.join('\n'), /SRV/);
    assert.match(
      autodiscover.fixes[2] ?? '',
      /SRV .*Thunderbird asks the user first only when the target is under another/,
    );
    assert.doesNotMatch(text(autodiscover), /Outlook asks/);
    assert.match(only(reports.outlook, 'SNI_DEFAULT_CERTIFICATE').fixes[2] ?? '', /Outlook and ActiveSync devices ask/);
  });

  test('CANDIDATE_TIMEOUT speaks of Autodiscover refreshes to Outlook only', async () => {
    const reports = await reportsFor('root-domain-timeout');
    const tb = only(reports.thunderbird, 'CANDIDATE_TIMEOUT');
    assert.doesNotMatch(text(tb), /Autodiscover refresh|ExcludeHttpsRootDomain/);
    assert.match(tb.detail, /every account set up in Thunderbird is that much slower/);
    assert.match(only(reports.outlook, 'CANDIDATE_TIMEOUT').detail, /every Autodiscover refresh of Outlook 2016\+/);
  });

  test('NO_AUTODISCOVER_ENDPOINT: a name that resolves is not to be published, but made to answer HTTPS', async () => {
    for (const client of ALL) {
      const f = only((await reportsFor('http-autodiscover-content'))[client], 'NO_AUTODISCOVER_ENDPOINT');
      assert.doesNotMatch(f.fixes.join('\n'), /Publish autodiscover/, client);
      assert.match(
        f.fixes[0] ?? '',
        /^autodiscover\.adatum\.test resolves \(127\.[\d.]+\) but does not answer HTTPS: make the server there answer HTTPS on port 443 with a certificate naming autodiscover\.adatum\.test/,
      );
    }
    const missing = only((await reportsFor('new-smtp-domain')).outlook, 'NO_AUTODISCOVER_ENDPOINT');
    assert.match(missing.fixes[0] ?? '', /^Publish autodiscover\.newdomain\.test \(an A, AAAA or CNAME record\)/);
  });

  test('NO_AUTODISCOVER_ENDPOINT proposes SRV only to clients that ask SRV, autoconfig only to Thunderbird', async () => {
    const reports = await reportsFor('new-smtp-domain');
    const fixes = (client: keyof typeof reports) => only(reports[client], 'NO_AUTODISCOVER_ENDPOINT').fixes.join('\n');
    for (const client of ALL) {
      assert.match(fixes(client), /Publish _autodiscover\._tcp\.newdomain\.test SRV/, client);
    }
    // A lookup without an SRV step (a client that does not ask it) gets no SRV advice.
    const withoutSrv = { ...reports.outlook, steps: reports.outlook.steps.filter((s) => s.method !== 'srv') };
    const finding = diagnose(withoutSrv).find((f) => f.code === 'NO_AUTODISCOVER_ENDPOINT');
    assert.ok(finding);
    assert.doesNotMatch(finding.fixes.join('\n'), /SRV/);
    assert.match(fixes('thunderbird'), /https:\/\/autoconfig\.newdomain\.test\/mail\/config-v1\.1\.xml/);
    for (const client of ['outlook', 'outlook-2013', 'activesync'] as const) {
      assert.doesNotMatch(fixes(client), /autoconfig/, client);
    }
  });

  test('NO_AUTODISCOVER_ENDPOINT names the URLs of each kind of failure once, without the e-mail address', async () => {
    const f = only((await reportsFor('new-smtp-domain')).thunderbird, 'NO_AUTODISCOVER_ENDPOINT');
    assert.equal(f.detail.match(/autoconfig not-found/g)?.length, 1, f.detail);
    assert.match(
      f.detail,
      /autoconfig not-found \(https:\/\/autoconfig\.newdomain\.test\/mail\/config-v1\.1\.xml, https:\/\/newdomain\.test\/\.well-known\/autoconfig\/mail\/config-v1\.1\.xml, http:/,
    );
    assert.doesNotMatch(f.detail, /emailaddress|@|%40/);
  });

  test('no finding repeats the e-mail address that autoconfig URLs carry in their query', async () => {
    for (const name of ['wildcard-dns-shared-hosting', 'root-domain-timeout', 'root-domain-trap']) {
      for (const f of (await reportsFor(name)).thunderbird.findings)
        assert.doesNotMatch(text(f), /emailaddress=|%40/, `${name} ${f.code}: ${text(f)}`);
    }
  });
});
