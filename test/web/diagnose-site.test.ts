/**
 * The diagnose page's and API's `site` (discover --site): checked as discover checks it, refused where the server
 * searches no directory, and, with serve --diagnose-ldap, ordering the SCPs as a domain-joined client of that site
 * does (the lab's scp-site-affinity scenario: four SCPs in three sites, the lab's own LDAP directory).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadBuiltinScenario } from '../../src/lab/builtin.js';
import { startLab } from '../../src/lab/lab.js';
import type { RunningLab } from '../../src/lab/types.js';
import { type AdminApp, adminApp, asSession } from '../helpers/admin-app.js';
import { cli } from '../helpers/cli.js';

async function diagnosis(t: AdminApp, payload: object) {
  return t.app.inject({ method: 'POST', url: '/api/v1/diagnoses', headers: asSession(t.session), payload });
}

/** Starts a diagnosis and waits for its report (the contract's JSON). */
async function report(t: AdminApp, payload: object) {
  const started = await diagnosis(t, payload);
  assert.equal(started.statusCode, 202, started.body);
  const { id } = started.json() as { id: string };
  for (let i = 0; i < 200; i++) {
    const r = await t.app.inject({ url: `/api/v1/diagnoses/${id}`, headers: { cookie: t.session.cookie } });
    if (r.statusCode === 200) return { id, report: r.json() };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the diagnosis did not finish');
}

describe('diagnose: the client site (SCP site affinity)', () => {
  let lab: RunningLab;
  let joined: AdminApp;
  let outside: AdminApp;
  before(async () => {
    lab = await startLab(loadBuiltinScenario('scp-site-affinity'), { range: '127.115.0.0/24', dnsPort: 0 });
    assert.ok(lab.ldap, 'the scenario has a directory');
    joined = await adminApp({ allowPrivate: true, dns: [lab.dns], ca: [lab.caPem], ldap: { url: lab.ldap } });
    outside = await adminApp({ allowPrivate: true, dns: [lab.dns], ca: [lab.caPem] });
  });
  after(async () => {
    await joined?.app.close();
    await outside?.app.close();
    await lab?.close();
  });

  test('Munich uses the Munich SCP, Seattle the Seattle one, no site the one without a site', async () => {
    const cases: [string | undefined, string][] = [
      ['Munich', 'https://ex-munich.contoso.test/Autodiscover/Autodiscover.xml'],
      ['Seattle', 'https://ex-seattle.contoso.test/Autodiscover/Autodiscover.xml'],
      [undefined, 'https://ex-any.contoso.test/Autodiscover/Autodiscover.xml'],
    ];
    for (const [site, url] of cases) {
      const { id, report: r } = await report(joined, {
        email: lab.scenario.email,
        client: 'outlook',
        ...(site ? { site } : {}),
      });
      assert.equal(
        r.outcome,
        'settings',
        `${site}: ${JSON.stringify(r.steps.map((s: { detail: string }) => s.detail))}`,
      );
      assert.equal(r.settings.method, 'scp');
      assert.equal(r.settings.url, url, String(site));
      const stored = await joined.adminStore.findDiagnosis(id);
      assert.equal(
        (stored?.request as { site?: string } | undefined)?.site,
        site,
        'the site is kept with the permalink',
      );
    }
  });

  test('a site is checked as discover --site checks it: a field problem naming the value', async () => {
    for (const site of ['Munich HQ', '', 'CN=Munich,CN=Sites', 'x'.repeat(64), '-dash-first']) {
      const r = await diagnosis(joined, { email: lab.scenario.email, site });
      assert.equal(r.statusCode, 422, site);
      const [problem] = r.json().problems;
      assert.equal(problem.path, 'site');
      assert.match(
        problem.message,
        /^expected a directory site name: 1-63 letters, digits, "-" or "_", starting with a letter or digit/,
      );
      if (site) assert.match(problem.message, /\(got /);
    }
    assert.equal(
      (await diagnosis(joined, { email: lab.scenario.email, site: 'Default-First-Site-Name' })).statusCode,
      202,
    );
  });

  test('a server without a directory refuses a site, saying why, and its form offers none', async () => {
    const r = await diagnosis(outside, { email: lab.scenario.email, site: 'Munich' });
    assert.equal(r.statusCode, 422);
    assert.deepEqual(r.json().problems, [
      {
        path: 'site',
        message:
          'this server searches no directory (it was started without --diagnose-ldap), so no SCP is read and a site would change nothing; leave it empty',
      },
    ]);
    const without = await outside.app.inject({ url: '/ui/diagnose', headers: { cookie: outside.session.cookie } });
    assert.doesNotMatch(without.body, /id="f-site"/);
    assert.doesNotMatch(without.body, /value="scp"/);
    assert.match(without.body, /No SCP \(Active Directory\) search: this server was started without --diagnose-ldap/);
    const withDirectory = await joined.app.inject({ url: '/ui/diagnose', headers: { cookie: joined.session.cookie } });
    assert.match(withDirectory.body, /<label for="f-site">Directory site \(optional\)<\/label>/);
    assert.match(withDirectory.body, /<input id="f-site" name="site"[^>]*aria-describedby="f-site-error f-site-hint"/);
    assert.match(withDirectory.body, /<p class="field-error" id="f-site-error" hidden><\/p>/);
    assert.match(withDirectory.body, /name="exclude" value="scp"/);
  });
});

test('serve --diagnose-ldap: checked as discover --ldap, needs --allow-private and --ui (exit 2, one line)', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['--ui', '--allow-private', '--diagnose-ldap', 'http://dc1'],
      /--diagnose-ldap "http:\/\/dc1": expected ldap:\/\/host\[:port\] or ldaps:\/\/host\[:port\]/,
    ],
    [
      ['--ui', '--diagnose-ldap', 'ldap://dc1'],
      /--diagnose-ldap needs --allow-private: a domain controller and the SCP URLs it holds are inside the network/,
    ],
    [['--diagnose-ldap', 'ldap://dc1'], /--diagnose-ldap goes with --ui/],
    [
      ['--ui', '--allow-private', '--diagnose-ldap', 'ldap://dc1', '--diagnose-ldap-bind-dn', 'CN=x'],
      /--diagnose-ldap-bind-dn and --diagnose-ldap-password-env go together/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await cli(['serve', '--db', ':memory:', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
});
