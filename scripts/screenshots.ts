/**
 * Screenshots of the web UI's main pages for the README (docs/screenshots/*.png): a real `serve --ui` in this
 * process over the example configuration, the root-domain-trap lab for the diagnosis, Debian's chromium.
 * Needs root (the lab listens on port 443 of 127.x) and /usr/bin/chromium: `npm run screenshots`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetSource } from '../src/audit/fleet-source.js';
import { Auth } from '../src/auth/auth.js';
import { hashPassword } from '../src/auth/password.js';
import { SqliteAdminStore } from '../src/auth/sqlite-admin-store.js';
import { createNodePorts } from '../src/discover/node-ports.js';
import { loadBuiltinScenario } from '../src/lab/builtin.js';
import { startLab } from '../src/lab/lab.js';
import { Diagnoses } from '../src/server/diagnoses/diagnoses.js';
import { startServer } from '../src/server/listen.js';
import { createLogger } from '../src/server/logger.js';
import { ServerMetrics } from '../src/server/metrics.js';
import { loadConfigFile } from '../src/settings/validate.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { launch } from '../test/helpers/browser.js';
import { cli } from '../test/helpers/cli.js';
import { generateFleetStore } from '../test/helpers/fleet-store.js';

const OUT = new URL('../docs/screenshots/', import.meta.url);
const PASSWORD = 'screenshot password';

const dir = await mkdtemp(join(tmpdir(), 'adk-shots-'));
const lab = await startLab(loadBuiltinScenario('root-domain-trap'), { range: '127.113.0.0/24', dnsPort: 0 });
const db = join(dir, 'db.sqlite');
const store = new SqliteStore(db);
await store.replaceAll(await loadConfigFile(new URL('../examples/example.test.yaml', import.meta.url).pathname));
// The fleet: a real audit of the lab's domain, then three runs of 300 generated domains.
const auditDb = join(dir, 'audit.sqlite');
const labDomain = lab.scenario.email.split('@')[1] ?? '';
await writeFile(join(dir, 'domains.txt'), `${labDomain}\n`);
await cli(['audit', join(dir, 'domains.txt'), '--db', auditDb, '--dns', lab.dns, '--ca', lab.caFile, '--no-progress']);
await generateFleetStore(300, 3, auditDb);
const adminStore = new SqliteAdminStore(db);
await adminStore.addAccount('admin', await hashPassword(PASSWORD), new Date());
const diagnoses = new Diagnoses(adminStore, {
  ports: () => createNodePorts({ dnsServers: [lab.dns], timeoutMs: 5000 }),
  ca: [lab.caPem],
  timeoutMs: 5000,
  maxConcurrent: 2,
  perRequester: 10,
  windowMs: 60_000,
});
const running = await startServer(
  {
    store,
    logger: createLogger({ level: 'warn' }),
    metrics: new ServerMetrics(),
    admin: {
      adminStore,
      auth: new Auth(adminStore),
      diagnoses,
      options: { ui: true, publicDiagnose: false },
      fleet: new FleetSource(auditDb, false),
    },
  },
  { http: { host: '127.0.0.1', port: 0, mode: 'full' } },
);
const base = running.urls.http ?? '';
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const shot = async (name: string) => {
    await page.screenshot({ path: new URL(`${name}.png`, OUT).pathname, fullPage: true });
    process.stdout.write(`wrote docs/screenshots/${name}.png\n`);
  };
  await page.goto(`${base}/ui/login`);
  await shot('login');
  await page.getByLabel('Account').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/ui\/diagnose$/);
  await page.getByLabel('E-mail address').fill(lab.scenario.email);
  await page.getByRole('button', { name: 'Diagnose' }).click();
  const link = page.getByRole('link', { name: /Open the full report/ });
  await link.waitFor({ timeout: 60_000 });
  await shot('diagnose-live');
  await link.click();
  await page.waitForURL(/\/ui\/diagnoses\//);
  await page
    .locator('#client-outlook-2013 details.cert')
    .first()
    .evaluate((d) => d.setAttribute('open', ''));
  await shot('diagnosis');
  await page.goto(`${base}/ui/domains`);
  await shot('domains');
  await page.goto(`${base}/ui/domains/new`);
  await page.getByLabel('Domain name').fill('new.example');
  await page.locator('#f-imap-host').fill('imap.new.example');
  await page.locator('#f-imap-port').fill('99999');
  await page.getByRole('button', { name: 'Create domain' }).click();
  await page.locator('#f-imap-port-error').waitFor({ state: 'visible' });
  await shot('domain-form-error');
  await page.goto(`${base}/ui/audit`);
  await shot('audit');
  await page.goto(`${base}/ui/fleet?outcome=broken`);
  await shot('fleet');
  await page.goto(`${base}/ui/fleet/${labDomain}`);
  await shot('fleet-domain');
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await phone.context().addCookies(await page.context().cookies());
  await phone.goto(page.url().replace('/ui/audit', '/ui/diagnose'));
  await phone.screenshot({ path: new URL('diagnose-phone.png', OUT).pathname });
  process.stdout.write('wrote docs/screenshots/diagnose-phone.png\n');
} finally {
  await browser.close();
  await running.close();
  await store.close();
  await adminStore.close();
  await lab.close();
  await rm(dir, { recursive: true, force: true });
}
