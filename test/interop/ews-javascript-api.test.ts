/**
 * Interop with an independent SOAP Autodiscover client: ews-javascript-api (a port of Microsoft's EWS Managed
 * API) against `startServer` over HTTPS with a generated certificate. The client runs its own lookup (probe GET
 * of /autodiscover/autodiscover.xml for X-SOAP-Enabled, then POST to autodiscover.svc) and follows redirects
 * itself; a custom DNS lookup sends every name it asks for to 127.13.0.x, and the test CA is given to its HTTPS
 * agent only (TLS verification stays on).
 */
import assert from 'node:assert/strict';
import { setServers } from 'node:dns';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ews from 'ews-javascript-api';
import { createAuthority, issueCertificate } from '../../src/pki/index.js';
import { type RunningServer, startServer } from '../../src/server/listen.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { ConfigInput } from '../../src/settings/schema.js';
import { validateConfig } from '../../src/settings/validate.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { logSink } from '../helpers/app.js';

const MAIN = '127.13.0.1';
const POX_ONLY = '127.13.0.2';
const CLOUD = '127.13.0.3';

const HOSTS: Record<string, string> = {
  'autodiscover.example.test': MAIN,
  'example.test': MAIN,
  'autodiscover.newco.test': MAIN,
  'newco.test': MAIN,
  'autodiscover.old.test': MAIN,
  'old.test': MAIN,
  'autodiscover.cloud.test': CLOUD,
  'autodiscover.poxonly.test': POX_ONLY,
  'poxonly.test': POX_ONLY,
};

/** Every name the client resolves goes to a 127.13.0.x address of this test, or fails: never the network. */
const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
  const address = HOSTS[hostname.toLowerCase()];
  if (!address) {
    callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return;
  }
  if (options?.all) callback(null, [{ address, family: 4 }]);
  else callback(null, address, 4);
}) as unknown as LookupFunction;

const exchange = (host: string) => ({
  server: host,
  serverVersion: '15.1.2507',
  deploymentId: '644560b8-a1ce-429c-8ace-23395843f701',
  ews: { internal: `https://${host}/EWS/Exchange.asmx`, external: `https://${host}/EWS/Exchange.asmx` },
  owa: { external: `https://${host}/owa/` },
});

const MAIN_CONFIG: ConfigInput = {
  domains: [
    { name: 'example.test', displayName: 'Example', exchange: exchange('mail.example.test') },
    { name: 'newco.test', exchange: exchange('mail.newco.test') },
    // The company's old name: every address moves to the same local part at example.test.
    { name: 'old.test', redirect: { domain: 'example.test' } },
  ],
  users: [
    { email: 'chris@example.test', displayName: 'Chris Gray' },
    { email: 'pat@example.test', redirectAddr: 'pat@newco.test' },
    { email: 'pat@newco.test', displayName: 'Pat Newco' },
    { email: 'sam@example.test', displayName: 'Sam Lee' },
    { email: 'robin@example.test', redirectUrl: 'https://autodiscover.cloud.test/autodiscover/autodiscover.xml' },
  ],
};

const CLOUD_CONFIG: ConfigInput = {
  domains: [{ name: 'example.test', exchange: exchange('outlook.cloud.test') }],
  users: [{ email: 'robin@example.test', displayName: 'Robin Cloud' }],
};

const POX_ONLY_CONFIG: ConfigInput = {
  domains: [{ name: 'poxonly.test', exchange: exchange('mail.poxonly.test') }],
  users: [{ email: 'kim@poxonly.test', displayName: 'Kim Pox' }],
};

async function storeOf(config: ConfigInput): Promise<SqliteStore> {
  const store = new SqliteStore(':memory:');
  await store.replaceAll(validateConfig(config, 'test'));
  return store;
}

describe('ews-javascript-api against autodisco serve (SOAP Autodiscover)', () => {
  const servers: RunningServer[] = [];
  const logs = { main: logSink(), cloud: logSink(), poxOnly: logSink() };
  let xhr: InstanceType<typeof ews.XhrApi>;

  before(async () => {
    // The client's SRV step resolves with node:dns: keep it on loopback too (nothing listens there).
    setServers(['127.13.0.53']);
    const ca = await createAuthority({ name: 'ews interop root' });
    const leaf = await issueCertificate({ issuer: ca, dnsNames: Object.keys(HOSTS) });
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-ews-'));
    await writeFile(join(dir, 'cert.pem'), leaf.fullChainPem);
    await writeFile(join(dir, 'key.pem'), leaf.keyPem);
    const tls = { port: 443, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
    const start = async (host: string, config: ConfigInput, sink: ReturnType<typeof logSink>, soap: boolean) =>
      startServer(
        { store: await storeOf(config), logger: sink.logger, metrics: new ServerMetrics() },
        { https: { host, ...tls }, http: { host, port: 80, mode: 'redirect' }, soap },
      );
    servers.push(await start(MAIN, MAIN_CONFIG, logs.main, true));
    servers.push(await start(CLOUD, CLOUD_CONFIG, logs.cloud, true));
    servers.push(await start(POX_ONLY, POX_ONLY_CONFIG, logs.poxOnly, false));

    // The test CA goes to this client's agents only; certificate and name checks stay on.
    xhr = new ews.XhrApi({
      httpsAgent: new HttpsAgent({ ca: ca.certPem, lookup }),
      httpAgent: new HttpAgent({ lookup }),
      proxy: false,
    });
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  function autodiscover(version = ews.ExchangeVersion.Exchange2013): InstanceType<typeof ews.AutodiscoverService> {
    const service = new ews.AutodiscoverService(version);
    service.XHRApi = xhr;
    service.Credentials = new ews.WebCredentials('user', 'not-a-real-password');
    service.RedirectionUrlValidationCallback = (url: string) => url.startsWith('https://');
    return service;
  }

  const value = (response: { Settings: { get(key: number): unknown } }, name: number) => response.Settings.get(name);

  test('GetUserSettings finds the server by the domain and gets the EWS URL and display name', async () => {
    const service = autodiscover(ews.ExchangeVersion.Exchange2010_SP1);
    const response = await service.GetUserSettings('chris@example.test', [
      ews.UserSettingName.UserDisplayName,
      ews.UserSettingName.ExternalEwsUrl,
      ews.UserSettingName.InternalEwsUrl,
      ews.UserSettingName.ExternalWebClientUrls,
      ews.UserSettingName.CasVersion,
    ]);
    assert.equal(response.ErrorCode, ews.AutodiscoverErrorCode.NoError);
    assert.equal(value(response, ews.UserSettingName.UserDisplayName), 'Chris Gray');
    assert.equal(value(response, ews.UserSettingName.ExternalEwsUrl), 'https://mail.example.test/EWS/Exchange.asmx');
    assert.equal(value(response, ews.UserSettingName.InternalEwsUrl), 'https://mail.example.test/EWS/Exchange.asmx');
    assert.equal(value(response, ews.UserSettingName.CasVersion), '15.01.2507.000');
    const owa = value(response, ews.UserSettingName.ExternalWebClientUrls) as { Urls: { Url: string }[] };
    assert.equal(owa.Urls[0]?.Url, 'https://mail.example.test/owa/');
    assert.equal(response.UserSettingErrors.length, 0);
    // The ServerVersionInfo header: the server's build, answering in the version the client asked for.
    assert.equal(service.ServerInfo?.MajorVersion, 15);
    assert.equal(service.ServerInfo?.MajorBuildNumber, 2507);
    assert.equal(service.ServerInfo?.VersionString, 'Exchange2010_SP1');
    assert.equal(service.Url?.ToString(), 'https://autodiscover.example.test/autodiscover/autodiscover.svc');
  });

  test('a moved user: the client follows RedirectAddress to the new address and its domain', async () => {
    const response = await autodiscover().GetUserSettings('pat@example.test', [
      ews.UserSettingName.UserDisplayName,
      ews.UserSettingName.ExternalEwsUrl,
    ]);
    assert.equal(response.ErrorCode, ews.AutodiscoverErrorCode.NoError);
    assert.equal(value(response, ews.UserSettingName.UserDisplayName), 'Pat Newco');
    assert.equal(value(response, ews.UserSettingName.ExternalEwsUrl), 'https://mail.newco.test/EWS/Exchange.asmx');
  });

  test('a moved domain: an old-domain address is redirected to the same name at the new domain', async () => {
    const response = await autodiscover().GetUserSettings('sam@old.test', [
      ews.UserSettingName.UserDisplayName,
      ews.UserSettingName.ExternalEwsUrl,
    ]);
    assert.equal(response.ErrorCode, ews.AutodiscoverErrorCode.NoError);
    assert.equal(value(response, ews.UserSettingName.UserDisplayName), 'Sam Lee');
    assert.equal(value(response, ews.UserSettingName.ExternalEwsUrl), 'https://mail.example.test/EWS/Exchange.asmx');
  });

  test('RedirectUrl sends the client to another server’s autodiscover.svc', async () => {
    const response = await autodiscover().GetUserSettings('robin@example.test', [
      ews.UserSettingName.UserDisplayName,
      ews.UserSettingName.ExternalEwsUrl,
    ]);
    assert.equal(response.ErrorCode, ews.AutodiscoverErrorCode.NoError);
    assert.equal(value(response, ews.UserSettingName.UserDisplayName), 'Robin Cloud');
    assert.equal(value(response, ews.UserSettingName.ExternalEwsUrl), 'https://outlook.cloud.test/EWS/Exchange.asmx');
    assert.ok(
      logs.cloud.lines.some((l) => /"endpoint":"soap"/.test(l) && /"outcome":"settings"/.test(l)),
      'the cloud server answered the SOAP request',
    );
  });

  test('a setting the server does not know is an error for that setting only', async () => {
    // A client newer than the server asks for a name outside Exchange's list: the client writes whatever its
    // UserSettingName enumeration maps the number to, so the test adds one entry, as a newer release would.
    const names = ews.UserSettingName as unknown as Record<number, string>;
    names[1000] = 'ContosoFutureSetting';
    const future = 1000 as unknown as typeof ews.UserSettingName.UserDisplayName;
    const response = await autodiscover()
      .GetUserSettings('chris@example.test', [
        ews.UserSettingName.UserDisplayName,
        future,
        // An Exchange setting this server has no value for (no UM): left out, as Exchange does, not an error.
        ews.UserSettingName.ExternalUMUrl,
      ])
      .finally(() => delete names[1000]);
    assert.equal(response.ErrorCode, ews.AutodiscoverErrorCode.NoError);
    assert.equal(value(response, ews.UserSettingName.UserDisplayName), 'Chris Gray');
    assert.equal(value(response, ews.UserSettingName.ExternalUMUrl), undefined);
    assert.equal(response.UserSettingErrors.length, 1);
    const [error] = response.UserSettingErrors;
    assert.equal(error?.SettingName, 'ContosoFutureSetting');
    assert.equal(error?.ErrorCode, ews.AutodiscoverErrorCode.InvalidSetting);
  });

  test('GetDomainSettings gives the domain’s EWS URL and version', async () => {
    const response = await autodiscover().GetDomainSettings(
      'example.test',
      ews.ExchangeVersion.Exchange2013,
      ews.DomainSettingName.ExternalEwsUrl,
      ews.DomainSettingName.ExternalEwsVersion,
    );
    assert.equal(response.ErrorCode, ews.AutodiscoverErrorCode.NoError);
    assert.equal(
      response.Settings.get(ews.DomainSettingName.ExternalEwsUrl),
      'https://mail.example.test/EWS/Exchange.asmx',
    );
    assert.equal(response.Settings.get(ews.DomainSettingName.ExternalEwsVersion), '15.01.2507.000');
  });

  test('ExchangeService.AutodiscoverUrl sets the EWS URL from the SOAP answer', async () => {
    const service = new ews.ExchangeService(ews.ExchangeVersion.Exchange2013);
    service.XHRApi = xhr;
    service.Credentials = new ews.WebCredentials('user', 'not-a-real-password');
    await service.AutodiscoverUrl('chris@example.test', (url: string) => url.startsWith('https://'));
    assert.equal(service.Url?.ToString(), 'https://mail.example.test/EWS/Exchange.asmx');
  });

  test('SOAP turned off: the server does not advertise it, so the client never posts SOAP and takes its legacy (POX) branch', async () => {
    const service = new ews.ExchangeService(ews.ExchangeVersion.Exchange2013);
    service.XHRApi = xhr;
    service.Credentials = new ews.WebCredentials('user', 'not-a-real-password');
    const asked: string[] = [];
    // ews-javascript-api 0.15.3 has no legacy POX lookup: InternalGetLegacyUserSettings throws "Not implemented."
    await assert.rejects(
      service.AutodiscoverUrl('kim@poxonly.test', (url: string) => {
        asked.push(url);
        return true;
      }),
      (err: unknown) => /Not implemented/.test(String((err as Error)?.message ?? err)),
    );
    const entries = logs.poxOnly.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      entries.some((e) => e['endpoint'] === 'pox' && e['method'] === 'GET'),
      'the client probed the POX URL',
    );
    assert.ok(!entries.some((e) => e['endpoint'] === 'soap'), 'no SOAP request reached the server');
    // Its SOAP lookup went through every step, the HTTP redirect method included, before giving up on SOAP.
    assert.ok(asked.includes('https://autodiscover.poxonly.test/autodiscover/autodiscover.xml'), asked.join(', '));
  });
});
