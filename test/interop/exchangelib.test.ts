/**
 * Interop with a second independent SOAP Autodiscover client: exchangelib (Python, Debian python3-exchangelib),
 * whose SoapAutodiscovery posts GetUserSettings to autodiscover.svc and whose PoxAutodiscovery (its default) posts
 * POX. It runs its own lookup (https://<domain>, https://autodiscover.<domain>, the HTTP redirect, SRV) against
 * `startServer` over HTTPS: its DNS queries go to a DNS server of this test, its connections to 127.13.1.x, the
 * test CA comes in through REQUESTS_CA_BUNDLE (verification stays on). Driver: exchangelib-discover.py.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDnsServer, type DnsServer } from '../../src/dns/server.js';
import { createAuthority, issueCertificate } from '../../src/pki/index.js';
import { type RunningServer, startServer } from '../../src/server/listen.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { ConfigInput } from '../../src/settings/schema.js';
import { validateConfig } from '../../src/settings/validate.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { logSink } from '../helpers/app.js';

const run = promisify(execFile);
const DRIVER = fileURLToPath(new URL('./exchangelib-discover.py', import.meta.url));
const MAIN = '127.13.1.1';
const POX_ONLY = '127.13.1.2';
const DNS = '127.13.1.53';

/** The Python that has exchangelib (Debian's /usr/bin/python3 when another python3 comes first), or why none. */
function findPython(): { python?: string; missing?: string } {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import exchangelib'], { stdio: 'ignore', timeout: 20_000 }).status === 0) {
      return { python };
    }
  }
  return { missing: 'exchangelib is not installed: install the Debian package python3-exchangelib (.ci/run does)' };
}
const { python, missing } = findPython();

const HOSTS: Record<string, string> = {
  'example.test': MAIN,
  'autodiscover.example.test': MAIN,
  'newco.test': MAIN,
  'autodiscover.newco.test': MAIN,
  'poxonly.test': POX_ONLY,
  'autodiscover.poxonly.test': POX_ONLY,
};

const exchange = (host: string) => ({
  server: host,
  serverVersion: '15.1.2507',
  ews: { internal: `https://${host}/EWS/Exchange.asmx`, external: `https://${host}/EWS/Exchange.asmx` },
});

const MAIN_CONFIG: ConfigInput = {
  domains: [
    { name: 'example.test', exchange: exchange('mail.example.test') },
    { name: 'newco.test', exchange: exchange('mail.newco.test') },
  ],
  users: [
    { email: 'chris@example.test', displayName: 'Chris Gray' },
    { email: 'pat@example.test', redirectAddr: 'pat@newco.test' },
    { email: 'pat@newco.test', displayName: 'Pat Newco' },
  ],
};
const POX_ONLY_CONFIG: ConfigInput = {
  domains: [{ name: 'poxonly.test', exchange: exchange('mail.poxonly.test') }],
  users: [{ email: 'kim@poxonly.test', displayName: 'Kim Pox' }],
};

interface Found {
  ews_url?: string;
  display_name?: string | null;
  smtp_address?: string;
  version?: string | null;
  error?: string;
}

describe('exchangelib against autodisco serve', () => {
  const servers: RunningServer[] = [];
  const logs = { main: logSink(), poxOnly: logSink() };
  let dns: DnsServer;
  let dir: string;

  before(async () => {
    if (missing) return;
    dns = createDnsServer({
      address: DNS,
      port: 53,
      zones: Object.entries(HOSTS)
        .filter(([name]) => !name.startsWith('autodiscover.'))
        .map(([origin, address]) => ({
          origin,
          records: [
            { name: '@', type: 'A' as const, value: address },
            { name: 'autodiscover', type: 'A' as const, value: address },
          ],
        })),
    });
    await dns.start();
    const ca = await createAuthority({ name: 'exchangelib interop root' });
    const leaf = await issueCertificate({ issuer: ca, dnsNames: Object.keys(HOSTS) });
    dir = await mkdtemp(join(tmpdir(), 'autodisco-exchangelib-'));
    await writeFile(join(dir, 'cert.pem'), leaf.fullChainPem);
    await writeFile(join(dir, 'key.pem'), leaf.keyPem);
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
    const start = async (host: string, config: ConfigInput, sink: ReturnType<typeof logSink>, soap: boolean) => {
      const store = new SqliteStore(':memory:');
      await store.replaceAll(validateConfig(config, 'test'));
      return startServer(
        { store, logger: sink.logger, metrics: new ServerMetrics() },
        {
          https: { host, port: 443, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
          http: { host, port: 80, mode: 'redirect' },
          soap,
        },
      );
    };
    servers.push(await start(MAIN, MAIN_CONFIG, logs.main, true));
    servers.push(await start(POX_ONLY, POX_ONLY_CONFIG, logs.poxOnly, false));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await dns?.close();
  });

  /** One lookup in a fresh process with a fresh TMPDIR: exchangelib keeps an autodiscover cache on disk there. */
  async function discover(mode: 'soap' | 'pox', email: string): Promise<Found> {
    const cache = await mkdtemp(join(dir, 'cache-'));
    const { stdout } = await run(python ?? 'python3', [DRIVER, mode, email, JSON.stringify(HOSTS), DNS], {
      env: { ...process.env, TMPDIR: cache, REQUESTS_CA_BUNDLE: join(dir, 'ca.pem') },
      timeout: 60_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Found;
  }

  const requests = (sink: ReturnType<typeof logSink>) =>
    sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'request');

  test('SoapAutodiscovery: GetUserSettings gives the EWS URL, display name and version', async (t) => {
    if (missing) return t.skip(missing);
    const before = requests(logs.main).length;
    const found = await discover('soap', 'chris@example.test');
    assert.equal(found.error, undefined);
    assert.equal(found.ews_url, 'https://mail.example.test/EWS/Exchange.asmx');
    assert.equal(found.display_name, 'Chris Gray');
    assert.equal(found.smtp_address, 'chris@example.test');
    // exchangelib derives the version from EwsSupportedSchemas; it asks for MailboxDN too, which is left out:
    // any UserSettingError would make exchangelib fail the whole lookup.
    assert.match(found.version ?? '', /API=Exchange2013_SP1/);
    const seen = requests(logs.main).slice(before);
    assert.ok(seen.length > 0 && seen.every((r) => r['endpoint'] === 'soap'), JSON.stringify(seen));
  });

  test('SoapAutodiscovery follows RedirectAddress for a moved user', async (t) => {
    if (missing) return t.skip(missing);
    const found = await discover('soap', 'pat@example.test');
    assert.equal(found.error, undefined);
    assert.equal(found.ews_url, 'https://mail.newco.test/EWS/Exchange.asmx');
    assert.equal(found.smtp_address, 'pat@newco.test');
  });

  test('SOAP turned off: SoapAutodiscovery stops at the missing .svc; POX (exchangelib’s default) finds EWS', async (t) => {
    if (missing) return t.skip(missing);
    const soap = await discover('soap', 'kim@poxonly.test');
    // exchangelib 4.9 reads the 404 of the missing https://poxonly.test/autodiscover/autodiscover.svc for an
    // authentication type, finds none and stops at its first step (it does not go on to autodiscover.<domain>).
    assert.match(soap.error ?? '', /UnauthorizedError: No compatible auth type/);
    const pox = await discover('pox', 'kim@poxonly.test');
    assert.equal(pox.error, undefined);
    assert.equal(pox.ews_url, 'https://mail.poxonly.test/EWS/Exchange.asmx');
    assert.equal(pox.display_name, 'Kim Pox');
    const seen = requests(logs.poxOnly);
    assert.ok(
      seen.some((r) => r['endpoint'] === 'pox' && r['outcome'] === 'settings'),
      JSON.stringify(seen),
    );
    assert.ok(!seen.some((r) => r['endpoint'] === 'soap'));
  });
});
