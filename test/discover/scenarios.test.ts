/**
 * The regression suite: `discover` against every built-in scenario, for every client profile its `expect` names,
 * exactly as the command line runs it (discoverFromCli: real DNS, TLS, HTTP and LDAP against the lab). Each
 * scenario gets its own range (127.41.N.0/24) and is brought up and torn down in turn. Every report must match
 * the published schema.
 *
 * The outcome is the contract; some scenarios are asserted in more detail where the detail is the story (the
 * seed case, SCP site affinity, consent with --accept redirect, the root-domain timeout).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { discoverFromCli } from '../../src/cli/commands/discover.js';
import type { DiscoveryReport, ProfileName, Step } from '../../src/discover/report.js';
import { listBuiltinScenarios, loadBuiltinScenario } from '../../src/lab/builtin.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { assertValidReport } from '../helpers/report-schema.js';

const TIMEOUT_MS = 2000;

/** Every step result the suite met, for the coverage check at the end. */
const RESULTS_SEEN = new Set<string>();

interface RunOptions {
  accept?: string;
  /** Override the scenario's site; null: no --site. */
  site?: string | null;
  /** false: not domain-joined even when the scenario has a directory. */
  ldap?: boolean;
  /** --sequential: nothing ahead of the walk, not even DNS lookups and handshakes. */
  sequential?: boolean;
}

/** `autodisco discover <email> --client … --dns <lab> --ca <lab root> --timeout 2000 [--ldap --site]`. */
async function discover(lab: RunningLab, client: string, options: RunOptions = {}): Promise<DiscoveryReport> {
  const scenario = lab.scenario;
  const site = options.site === undefined ? scenario.directory?.clientSite : (options.site ?? undefined);
  const report = await discoverFromCli(scenario.email, {
    client,
    dns: [lab.dns],
    ca: [lab.caFile],
    timeout: String(TIMEOUT_MS),
    ...(lab.ldap && options.ldap !== false ? { ldap: lab.ldap } : {}),
    ...(site && options.ldap !== false ? { site } : {}),
    ...(options.accept ? { accept: options.accept } : {}),
    ...(options.sequential ? { sequential: true } : {}),
  });
  // The published contract, for every report this suite produces.
  assertValidReport(JSON.parse(JSON.stringify(report)));
  for (const step of report.steps) RESULTS_SEEN.add(step.result);
  return report;
}

/** One line per step: what to print when an outcome is not the expected one. */
function trace(report: DiscoveryReport): string {
  return report.steps
    .map((s, i) => `  [${i}] ${s.method} ${s.url ?? s.host} → ${s.result}: ${s.detail}`)
    .concat(report.findings.map((f) => `  * ${f.code}: ${f.title}`))
    .join('\n');
}

function stepOf(report: DiscoveryReport, method: Step['method'], withUrl = true): Step {
  const step = report.steps.find((s) => s.method === method && (s.url !== undefined) === withUrl);
  assert.ok(step, `no ${method} step in\n${trace(report)}`);
  return step;
}

/** The kind of prompt a scenario's stopping clients meet: a certificate warning or a redirect question. */
const PROMPT_KIND: Record<string, 'certificate' | 'redirect'> = {
  'root-domain-trap': 'certificate',
  'srv-hosting-provider': 'redirect',
  'http-redirect-method': 'redirect',
  'new-smtp-domain-srv': 'redirect',
  'scp-netbios-name': 'certificate',
  'wildcard-subdomain': 'certificate',
  'wildcard-dns-shared-hosting': 'certificate',
  'self-signed-exchange': 'certificate',
  'expired-certificate': 'certificate',
  'not-yet-valid-certificate': 'certificate',
  'missing-intermediate': 'certificate',
  'autodiscover-name-missing': 'certificate',
};

const builtin = listBuiltinScenarios();

describe('discover against every built-in scenario, every profile', () => {
  builtin.forEach(({ name }, index) => {
    describe(name, () => {
      const scenario = loadBuiltinScenario(name);
      let lab: RunningLab;
      // The profiles' lookups run side by side (one lab, four clients); each test checks one of them.
      const reports = new Map<string, Promise<DiscoveryReport>>();
      before(async () => {
        lab = await startLab(scenario, { range: `127.41.${index}.0/24` });
        for (const client of Object.keys(scenario.expect ?? {})) {
          const run = discover(lab, client);
          run.catch(() => {}); // awaited (and reported) by the test of that client
          reports.set(client, run);
        }
      });
      after(async () => {
        await Promise.allSettled(reports.values());
        await lab?.close();
      });

      for (const [client, expected] of Object.entries(scenario.expect ?? {})) {
        test(`${client}: ${expected}`, async () => {
          const report = await (reports.get(client) as Promise<DiscoveryReport>);
          assert.equal(report.client, client);
          assert.equal(report.email, scenario.email);
          assert.equal(report.outcome, expected, `${name} with --client ${client}:\n${trace(report)}`);
          // The outcome and what goes with it agree.
          assert.equal(report.settings !== null, expected === 'settings');
          assert.equal(report.prompt !== null, expected === 'prompt');
          if (report.prompt) {
            // An EWS application never shows a certificate prompt: its only question is the one its
            // redirection-validation callback answers (docs/lookups.md).
            assert.equal(
              report.prompt.kind,
              client === 'ews' ? 'redirect' : PROMPT_KIND[name],
              `the prompt of ${name}`,
            );
            // Steps run alongside SCP (parallel) are listed after the SCP steps, even when SCP decided.
            const inOrder = report.steps.filter((s) => s.parallel === undefined);
            assert.equal(inOrder.at(-1)?.result, 'prompt', 'the lookup stops at the prompt');
          }
          for (const finding of report.findings) {
            for (const i of finding.steps) assert.ok(i >= 0 && i < report.steps.length, `${finding.code} step ${i}`);
          }
        });
      }
    });
  });
});

/** Brings one built-in scenario up for the tests inside `body` (ranges 127.41.200+ are the detailed tests'). */
function withScenario(name: string, offset: number, body: (lab: () => RunningLab) => void): void {
  describe(`${name} in detail`, () => {
    let lab: RunningLab;
    before(async () => {
      lab = await startLab(loadBuiltinScenario(name), { range: `127.41.${200 + offset}.0/24` });
    });
    after(async () => {
      await lab?.close();
    });
    body(() => lab);
  });
}

withScenario('root-domain-trap', 0, (lab) => {
  test('outlook-2013 stops at the certificate prompt of https://contoso.test, with the website certificate', async () => {
    const before = lab().requests.length;
    // Sequential: without prefetching, the lab sees exactly the client's own requests.
    const report = await discover(lab(), 'outlook-2013', { sequential: true });
    assert.equal(report.outcome, 'prompt', trace(report));
    assert.equal(report.prompt?.kind, 'certificate');
    assert.equal(report.prompt?.url, 'https://contoso.test/autodiscover/autodiscover.xml');
    assert.equal(report.prompt?.host, 'contoso.test');
    const root = stepOf(report, 'root-domain');
    assert.equal(root.result, 'prompt');
    assert.equal(root.tls?.error, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.deepEqual(root.tls?.certificate?.dnsNames, ['www.contoso.test']);
    assert.deepEqual(root.addresses, [lab().addresses.get('web')]);
    // autodiscover.contoso.test is never asked.
    assert.ok(!report.steps.some((s) => s.method === 'autodiscover-domain'), trace(report));
    assert.deepEqual(
      lab()
        .requests.slice(before)
        .map((r) => r.host),
      [],
      'no HTTP request was made: the lookup stopped at the handshake',
    );
  });

  test('outlook (2016+) skips the root-domain certificate error silently and gets settings at autodiscover.contoso.test', async () => {
    const report = await discover(lab(), 'outlook');
    assert.equal(report.outcome, 'settings', trace(report));
    assert.equal(report.prompt, null);
    const methods = report.steps.filter((s) => s.result !== 'skipped').map((s) => [s.method, s.result]);
    assert.deepEqual(methods, [
      ['root-domain', 'tls-error'],
      ['autodiscover-domain', 'settings'],
    ]);
    const root = stepOf(report, 'root-domain');
    assert.equal(root.tls?.error, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.deepEqual(root.tls?.certificate?.dnsNames, ['www.contoso.test']);
    assert.equal(report.settings?.method, 'autodiscover-domain');
    assert.equal(report.settings?.url, 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml');
    assert.equal(report.settings?.email, 'chris@contoso.test');
    assert.ok(report.settings?.protocols.some((p) => p.type === 'EXPR' && p['server'] === 'mail.contoso.test'));
    const settingsStep = stepOf(report, 'autodiscover-domain');
    assert.equal(settingsStep.tls?.error, null);
    assert.deepEqual(settingsStep.tls?.certificate?.dnsNames, ['autodiscover.contoso.test', 'mail.contoso.test']);
  });

  test('with --accept certificate, outlook-2013 clicks through: the website answers HTML, then autodiscover.contoso.test', async () => {
    const report = await discover(lab(), 'outlook-2013', { accept: 'certificate' });
    assert.equal(report.outcome, 'settings', trace(report));
    assert.equal(stepOf(report, 'root-domain').result, 'invalid-response');
    assert.equal(report.settings?.method, 'autodiscover-domain');
  });
});

withScenario('scp-site-affinity', 1, (lab) => {
  test('a domain-joined Outlook in the Munich site uses the Munich SCP, not the oldest one', async () => {
    for (const client of ['outlook', 'outlook-2013'] as ProfileName[]) {
      const report = await discover(lab(), client);
      assert.equal(report.outcome, 'settings', trace(report));
      assert.equal(report.settings?.method, 'scp');
      assert.equal(report.settings?.url, 'https://ex-munich.contoso.test/Autodiscover/Autodiscover.xml');
      const posts = report.steps.filter((s) => s.method === 'scp' && s.url);
      assert.equal(posts.length, 1, 'the first SCP URL answered: no other is tried');
    }
  });

  test('without a site, the SCP that has no site comes first; the oldest (another site) is never first', async () => {
    const report = await discover(lab(), 'outlook', { site: null });
    assert.equal(report.settings?.url, 'https://ex-any.contoso.test/Autodiscover/Autodiscover.xml', trace(report));
  });

  test('another site: its own SCP first', async () => {
    const report = await discover(lab(), 'outlook', { site: 'Seattle' });
    assert.equal(report.settings?.url, 'https://ex-seattle.contoso.test/Autodiscover/Autodiscover.xml', trace(report));
  });

  test('not domain-joined: no SCP, settings from autodiscover.contoso.test', async () => {
    const report = await discover(lab(), 'outlook', { ldap: false });
    assert.equal(stepOf(report, 'scp', false).result, 'skipped');
    assert.equal(report.settings?.method, 'autodiscover-domain', trace(report));
  });
});

withScenario('scp-netbios-name', 2, (lab) => {
  test('the domain-joined Outlook meets the certificate prompt at https://ex1/, before any other candidate', async () => {
    const report = await discover(lab(), 'outlook');
    assert.equal(report.prompt?.kind, 'certificate', trace(report));
    assert.equal(report.prompt?.host, 'ex1');
    const scp = report.steps.find((s) => s.method === 'scp' && s.url);
    assert.equal(scp?.tls?.error, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.deepEqual(scp?.tls?.certificate?.dnsNames, ['mail.contoso.test', 'autodiscover.contoso.test']);
    assert.ok(!report.steps.some((s) => s.method === 'root-domain' || s.method === 'autodiscover-domain'));
  });
});

withScenario('srv-hosting-provider', 3, (lab) => {
  test('with --accept redirect every client gets its settings from the SRV target, on port 443', async () => {
    for (const client of ['outlook', 'outlook-2013', 'activesync', 'thunderbird']) {
      const report = await discover(lab(), client, { accept: 'redirect' });
      assert.equal(report.outcome, 'settings', `${client}\n${trace(report)}`);
      assert.equal(report.settings?.method, 'srv');
      assert.equal(report.settings?.url, 'https://autodiscover.hoster.test/autodiscover/autodiscover.xml');
    }
  });

  test('without it, Outlook asks about autodiscover.hoster.test; the SRV lookup lists both records', async () => {
    const before = lab().requests.length;
    const report = await discover(lab(), 'outlook');
    assert.equal(report.prompt?.kind, 'redirect', trace(report));
    assert.equal(report.prompt?.url, 'https://autodiscover.hoster.test/autodiscover/autodiscover.xml');
    assert.match(report.prompt?.message ?? '', /chris@fabrikam\.test/);
    const lookup = stepOf(report, 'srv', false);
    assert.equal(lookup.records?.length, 2);
    // Nothing was sent to the provider before the user agreed.
    assert.ok(
      !lab()
        .requests.slice(before)
        .some((r) => r.host === 'hoster'),
      'a request reached the SRV target',
    );
  });
});

withScenario('http-redirect-method', 4, (lab) => {
  test('with --accept redirect the redirect is followed to the provider', async () => {
    for (const client of ['outlook', 'thunderbird']) {
      const report = await discover(lab(), client, { accept: 'redirect' });
      assert.equal(report.outcome, 'settings', `${client}\n${trace(report)}`);
      assert.equal(report.settings?.url, 'https://mail.provider.test/autodiscover/autodiscover.xml');
      const get = stepOf(report, 'http-redirect');
      assert.equal(get.status, 302);
      assert.equal(get.redirectTo, 'https://mail.provider.test/autodiscover/autodiscover.xml');
    }
  });
});

withScenario('root-domain-timeout', 5, (lab) => {
  test('Outlook waits for the timeout at https://contoso.test, then gets settings; the real client waits 25 s', async () => {
    const report = await discover(lab(), 'outlook');
    assert.equal(report.outcome, 'settings', trace(report));
    const root = stepOf(report, 'root-domain');
    assert.equal(root.result, 'timeout');
    assert.ok(root.ms >= TIMEOUT_MS * 0.9, `root-domain step took ${root.ms} ms`);
    assert.equal(root.tls?.error, null, 'the certificate itself is fine');
    assert.equal(report.settings?.method, 'autodiscover-domain');
    assert.ok((report.timing?.clientSequentialMs ?? 0) >= 25_000, JSON.stringify(report.timing));
  });
});

withScenario('new-smtp-domain-srv', 6, (lab) => {
  test('the SRV record is the way to the old domain’s server, after the user agrees', async () => {
    const report = await discover(lab(), 'outlook', { accept: 'redirect' });
    assert.equal(report.outcome, 'settings', trace(report));
    assert.equal(report.settings?.url, 'https://mail.olddomain.test/autodiscover/autodiscover.xml');
    assert.equal(report.settings?.email, 'chris@newdomain.test');
  });
});

withScenario('redirect-loop', 7, (lab) => {
  test('the loop is noticed as soon as the lookup is sent back to a URL it already asked', {}, async () => {
    const report = await discover(lab(), 'outlook');
    assert.equal(report.outcome, 'failed', trace(report));
    const first = stepOf(report, 'autodiscover-domain');
    assert.equal(first.result, 'redirect-url');
    assert.equal(first.redirectTo, 'https://autodiscover.fabrikam.test/autodiscover/autodiscover.xml');
    // Fabrikam sends the lookup back to https://autodiscover.contoso.test/…, which was the autodiscover-domain
    // step itself: asking it a second time is the loop.
    const redirects = report.steps.filter((s) => s.method === 'redirect');
    assert.deepEqual(
      redirects.map((s) => [s.url, s.result]),
      [
        ['https://autodiscover.fabrikam.test/autodiscover/autodiscover.xml', 'redirect-url'],
        ['https://autodiscover.contoso.test/autodiscover/autodiscover.xml', 'refused'],
      ],
      trace(report),
    );
    assert.equal(redirects.at(-1)?.refusal, 'redirect-loop');
  });
});

test('the built-in scenarios between them produce every step result of the contract', () => {
  const contract = [
    'settings',
    'redirect-addr',
    'redirect-url',
    'error-response',
    'not-found',
    'connect-failed',
    'timeout',
    'tls-error',
    'http-status',
    'invalid-response',
    'prompt',
    'refused',
    'skipped',
  ];
  assert.deepEqual(
    contract.filter((r) => !RESULTS_SEEN.has(r)),
    [],
    `results seen: ${[...RESULTS_SEEN].sort().join(', ')}`,
  );
});
