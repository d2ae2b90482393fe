/**
 * The web UI in a real browser (Debian's chromium, headless, through playwright-core), against a real `serve
 * --ui` and a lab the test starts: log in, add a domain and a user through the forms (and see a field error),
 * diagnose the seed case live, open the permalink, download the HTML report, the API's refusals, the SSRF guard,
 * and an axe-core check of every page.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadBuiltinScenario } from '../../src/lab/builtin.js';
import { startLab } from '../../src/lab/lab.js';
import type { RunningLab } from '../../src/lab/types.js';
import { EXAMPLE_CONFIG } from '../helpers/app.js';
import { browserMissing, launch, seriousViolations } from '../helpers/browser.js';
import { cli, spawnCli, waitForOutput } from '../helpers/cli.js';

const PASSWORD = 'a browser test password';
const missing = browserMissing();

async function serve(db: string, extra: string[]): Promise<{ child: ChildProcess; base: string; out: string }> {
  const child = spawnCli(['serve', '--db', db, '--http', '127.0.0.1:0', '--ui', ...extra], { ADK_PW: PASSWORD });
  const out = await waitForOutput(child, /Ctrl-C stops/);
  const base = /http\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  assert.ok(base, out);
  return { child, base, out };
}

async function logIn(context: BrowserContext, base: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/ui/`);
  assert.match(page.url(), /\/ui\/login/);
  await page.getByLabel('Account').fill('alice');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/ui\/diagnose$/);
  return page;
}

async function noSeriousViolations(page: Page, name: string): Promise<void> {
  const violations = await seriousViolations(page);
  assert.deepEqual(
    violations.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `${name}: serious accessibility violations`,
  );
}

describe('web UI in a browser', { skip: missing }, () => {
  let dir: string;
  let lab: RunningLab;
  let open: { child: ChildProcess; base: string; out: string };
  let guarded: { child: ChildProcess; base: string; out: string };
  // A domain-joined client's network (a directory with SCPs in three sites) and a serve that searches it.
  let siteLab: RunningLab;
  let joined: { child: ChildProcess; base: string; out: string };
  let auditDb: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'adk-ui-'));
    const db = join(dir, 'db.sqlite');
    assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', db])).code, 0);
    const added = await cli(['admin', 'add-user', 'alice', '--db', db, '--password-env', 'ADK_PW'], {
      env: { ADK_PW: PASSWORD },
    });
    assert.equal(added.code, 0, added.stderr);
    lab = await startLab(loadBuiltinScenario('root-domain-trap'), { range: '127.112.0.0/24', dnsPort: 0 });
    const diagnose = ['--diagnose-dns', lab.dns, '--diagnose-ca', lab.caFile];
    // The fleet pages read the results of a real audit of the lab's domain.
    auditDb = join(dir, 'audit.sqlite');
    const domains = join(dir, 'domains.txt');
    await writeFile(domains, `${lab.scenario.email.split('@')[1]}\n`);
    const audited = await cli([
      'audit',
      domains,
      '--db',
      auditDb,
      '--dns',
      lab.dns,
      '--ca',
      lab.caFile,
      '--client',
      'outlook,outlook-2013',
      '--no-progress',
    ]);
    assert.ok(audited.code === 0 || audited.code === 1, audited.stderr);
    open = await serve(db, [...diagnose, '--allow-private', '--audit-db', auditDb]);
    guarded = await serve(db, [...diagnose, '--audit-db', join(dir, 'none.sqlite')]);
    siteLab = await startLab(loadBuiltinScenario('scp-site-affinity'), { range: '127.116.0.0/24', dnsPort: 0 });
    joined = await serve(db, [
      '--diagnose-dns',
      siteLab.dns,
      '--diagnose-ca',
      siteLab.caFile,
      '--allow-private',
      '--diagnose-ldap',
      siteLab.ldap ?? '',
      '--audit-db',
      join(dir, 'none.sqlite'),
    ]);
    browser = await launch();
    context = await browser.newContext({ acceptDownloads: true });
    page = await logIn(context, open.base);
  });
  after(async () => {
    await browser?.close();
    open?.child.kill('SIGTERM');
    guarded?.child.kill('SIGTERM');
    joined?.child.kill('SIGTERM');
    await lab?.close();
    await siteLab?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the login and diagnose pages pass axe-core', async () => {
    const anonymous = await browser.newPage();
    await anonymous.goto(`${open.base}/ui/login`);
    await noSeriousViolations(anonymous, 'login');
    await anonymous.close();
    await noSeriousViolations(page, 'diagnose');
  });

  test('add a domain through the form: a bad port shows the import message next to the field, then it saves', async () => {
    await page.goto(`${open.base}/ui/domains/new`);
    await noSeriousViolations(page, 'new domain');
    await page.getByLabel('Domain name').fill('web.test');
    await page.locator('#f-imap-host').fill('imap.web.test');
    await page.locator('#f-imap-port').fill('99999');
    await page.getByRole('button', { name: 'Create domain' }).click();
    const error = page.locator('#f-imap-port-error');
    await error.waitFor({ state: 'visible' });
    assert.equal(await error.textContent(), 'imap.port: Too big: expected number to be <=65535 (got 99999)');
    assert.equal(await page.locator('#f-imap-port').getAttribute('aria-invalid'), 'true');
    await noSeriousViolations(page, 'domain form with errors');
    await page.locator('#f-imap-port').fill('993');
    // Before saving: what will Outlook get with these values?
    await page.getByLabel('Address', { exact: true }).fill('ann@web.test');
    await page.getByRole('button', { name: 'Show the answer' }).click();
    await page.locator('#preview-output').waitFor({ state: 'visible' });
    assert.match((await page.locator('#preview-output').textContent()) ?? '', /<Server>imap\.web\.test<\/Server>/);
    await noSeriousViolations(page, 'domain preview');
    await page.getByRole('button', { name: 'Create domain' }).click();
    await page.waitForURL(/\/ui\/domains$/);
    await page.getByRole('link', { name: 'web.test' }).waitFor();
    await noSeriousViolations(page, 'domains');
  });

  test('add a user through the form; search finds it', async () => {
    await page.goto(`${open.base}/ui/users/new`);
    await page.locator('#f-email').fill('Ann@web.test');
    await page.getByLabel('Display name', { exact: true }).fill('Ann');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.waitForURL(/\/ui\/users$/);
    await page.getByLabel('Search users by address').fill('ann@');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'ann@web.test' }).waitFor();
    await noSeriousViolations(page, 'users');
  });

  test('the audit log shows the changes with who made them', async () => {
    await page.goto(`${open.base}/ui/audit`);
    const rows = await page.locator('tbody tr').allTextContents();
    assert.ok(
      rows.some((r) => r.includes('alice') && r.includes('user.create') && r.includes('ann@web.test')),
      rows.join('\n'),
    );
    assert.ok(rows.some((r) => r.includes('domain.create') && r.includes('web.test')));
    await noSeriousViolations(page, 'audit');
  });

  test("diagnose the seed's case: steps stream in, then the permalink shows the finding and its fixes", async () => {
    await page.goto(`${open.base}/ui/diagnose`);
    await page.getByLabel('E-mail address').fill(lab.scenario.email);
    await page.getByLabel('Client').selectOption('all');
    await page.getByRole('button', { name: 'Diagnose' }).click();
    await page.locator('#live-clients .step').first().waitFor();
    const link = page.getByRole('link', { name: /Open the full report/ });
    await link.waitFor({ timeout: 60_000 });
    assert.ok((await page.locator('#live-clients .step').count()) >= 4);
    assert.deepEqual(await page.locator('#live-clients h3').allTextContents(), [
      'outlook: settings',
      'outlook-2013: prompt',
      'activesync: settings',
      'thunderbird: settings',
      'ews: settings',
    ]);
    await link.click();
    await page.waitForURL(/\/ui\/diagnoses\/[A-Za-z0-9_-]{22}$/);
    const permalink = page.url();
    const table = await page.locator('table.compare tbody').textContent();
    assert.match(table ?? '', /outlook-2013\s*stops at a prompt/);
    assert.match(table ?? '', /outlook\s*gets settings/);
    const finding = page.locator('#client-outlook-2013 .finding', { hasText: 'ROOT_DOMAIN_BLOCKS_FALLBACK' });
    await finding.waitFor();
    assert.match(
      (await finding.locator('.fixes li').first().textContent()) ?? '',
      /Preferred: Add contoso.test to the website's certificate/,
    );
    await noSeriousViolations(page, 'diagnosis');

    // The permalink opens again, in a new page of the same session.
    const again = await context.newPage();
    await again.goto(permalink);
    await again.locator('.finding', { hasText: 'ROOT_DOMAIN_BLOCKS_FALLBACK' }).first().waitFor();
    await again.close();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'HTML file' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^autodisco-diagnosis-.*\.html$/);
    const saved = await readFile((await download.path()) ?? '', 'utf8');
    assert.match(saved, /ROOT_DOMAIN_BLOCKS_FALLBACK/);
    assert.doesNotMatch(saved, /<script|<link /);
  });

  test('the API refuses an unauthenticated write (401) and a session write without its CSRF token (403)', async () => {
    const anonymous = await fetch(`${open.base}/api/v1/domains`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'anon.test' }),
    });
    assert.equal(anonymous.status, 401);
    const status = await page.evaluate(async () => {
      const r = await fetch('/api/v1/domains', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'nocsrf.test' }),
      });
      return r.status;
    });
    assert.equal(status, 403);
  });

  test('with a directory: the labelled site field, its error next to it, then the SCP of that site', async () => {
    const other = await browser.newContext();
    try {
      const p = await logIn(other, joined.base);
      await noSeriousViolations(p, 'diagnose with the site field');
      const site = p.getByLabel('Directory site (optional)');
      await p.getByLabel('E-mail address').fill(siteLab.scenario.email);
      await p.getByLabel('Client').selectOption('outlook');
      await site.fill('Munich HQ');
      await p.getByRole('button', { name: 'Diagnose' }).click();
      const error = p.locator('#f-site-error');
      await error.waitFor();
      assert.match((await error.textContent()) ?? '', /^site: expected a directory site name/);
      assert.equal(await site.getAttribute('aria-invalid'), 'true');
      await site.fill('Munich');
      await p.getByRole('button', { name: 'Diagnose' }).click();
      await p.getByRole('link', { name: /Open the full report/ }).click({ timeout: 60_000 });
      await p.waitForURL(/\/ui\/diagnoses\//);
      const text = (await p.locator('main').textContent()) ?? '';
      assert.match(text, /ex-munich\.contoso\.test/);
    } finally {
      await other.close();
    }
  });

  test('without --allow-private the diagnosis refuses the lab at 127.x', async () => {
    const other = await browser.newContext();
    try {
      const p = await logIn(other, guarded.base);
      await p.getByLabel('E-mail address').fill(lab.scenario.email);
      await p.getByLabel('Client').selectOption('outlook');
      await p.getByRole('button', { name: 'Diagnose' }).click();
      await p.getByRole('link', { name: /Open the full report/ }).click({ timeout: 60_000 });
      await p.waitForURL(/\/ui\/diagnoses\//);
      const text = (await p.locator('main').textContent()) ?? '';
      assert.match(text, /refuses 127\.112\.0\.\d+ \(loopback address\)/);
      assert.match(text, /serve --allow-private/);
    } finally {
      await other.close();
    }
  });

  test('serve says where the fleet pages read results, or the command that makes them', () => {
    assert.match(open.out, new RegExp(`Fleet: audit results from ${auditDb.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(
      guarded.out,
      /Fleet: no audit results at \S+none\.sqlite yet; produce them with:\n\s+\S.* audit <file> --db \S+none\.sqlite\n/,
    );
  });

  test('the fleet page: filter to the broken domain, open its page with the finding and fixes, diagnose it', async () => {
    const domain = lab.scenario.email.split('@')[1] ?? '';
    await page.goto(`${open.base}/ui/diagnose`);
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.waitForURL(/\/ui\/fleet$/);
    await page.locator('figure.trend svg[role="img"]').waitFor();
    await noSeriousViolations(page, 'fleet');
    await page.getByLabel('Client', { exact: true }).selectOption('outlook-2013');
    await page.getByLabel('Outcome').selectOption('prompt');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/client=outlook-2013&outcome=prompt/);
    assert.match((await page.locator('caption', { hasText: /^Domains/ }).textContent()) ?? '', /1–1 of 1/);
    await page.getByLabel('Outcome').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/outcome=failed/);
    assert.match((await page.locator('caption', { hasText: /^Domains/ }).textContent()) ?? '', /none/);
    await page.goBack();
    await page.getByRole('link', { name: domain, exact: true }).click();
    await page.waitForURL(new RegExp(`/ui/fleet/${domain.replace('.', '\\.')}$`));
    const finding = page.locator('#client-outlook-2013 .finding', { hasText: 'ROOT_DOMAIN_BLOCKS_FALLBACK' });
    await finding.waitFor();
    assert.ok((await finding.locator('.fixes li').count()) >= 1);
    assert.match((await page.locator('ol.events').textContent()) ?? '', /new problem\s*outlook-2013/);
    await noSeriousViolations(page, 'fleet domain');
    await page.getByRole('link', { name: /^Diagnose .* now$/ }).click();
    await page.waitForURL(/\/ui\/diagnose\?email=/);
    assert.equal(await page.getByLabel('E-mail address').inputValue(), `postmaster@${domain}`);
  });

  test('the tokens page passes axe-core', async () => {
    await page.goto(`${open.base}/ui/tokens`);
    await noSeriousViolations(page, 'tokens');
  });
});
