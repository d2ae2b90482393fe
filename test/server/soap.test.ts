import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSoapFault } from '../../src/formats/soap/fault.js';
import { renderSoapRequest, type SoapRequest } from '../../src/formats/soap/request.js';
import { parseSoapResponse, type SoapIdentityResponse } from '../../src/formats/soap/response.js';
import { exampleApp, exampleStore, fixture } from '../helpers/app.js';

const TO = 'https://autodiscover.example.test/autodiscover/autodiscover.svc';

function userRequest(identities: string[], settings: string[], version?: string): string {
  const request: SoapRequest = { operation: 'GetUserSettings', to: TO, identities, settings };
  if (version) request.requestedServerVersion = version;
  return renderSoapRequest(request);
}

async function post(body: string, options: { url?: string; headers?: Record<string, string>; soap?: boolean } = {}) {
  const { app, logs, metrics } = await exampleApp(options.soap === undefined ? {} : { soap: options.soap });
  const res = await app.inject({
    method: 'POST',
    url: options.url ?? '/autodiscover/autodiscover.svc',
    payload: body,
    headers: { 'content-type': 'text/xml; charset=utf-8', ...options.headers },
  });
  return { res, logs, metrics, app };
}

const settingsOf = (r: SoapIdentityResponse | undefined) =>
  Object.fromEntries((r?.settings ?? []).map((s) => [s.name, s.value]));

describe('POST /autodiscover/autodiscover.svc: GetUserSettings', () => {
  test('answers from the same store as POX, with the ServerVersionInfo header', async () => {
    const { res } = await post(
      userRequest(
        ['Chris@Example.TEST'],
        [
          'UserDisplayName',
          'UserDN',
          'UserDeploymentId',
          'InternalMailboxServer',
          'InternalEwsUrl',
          'ExternalEwsUrl',
          'EwsSupportedSchemas',
          'CasVersion',
          'ExternalMailboxServer',
          'ExternalMailboxServerRequiresSSL',
          'ExternalMailboxServerAuthenticationMethods',
          'MapiHttpEnabled',
          'ExternalMapiHttpEndpoint',
          'InternalMapiHttpEndpoint',
          'ActiveSyncUrl',
          'ExternalOABUrl',
          'ExternalWebClientUrls',
          'ExternalEcpUrl',
        ],
        'Exchange2013_SP1',
      ),
    );
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/xml/);
    const answer = parseSoapResponse(res.body);
    assert.equal(answer.errorCode, 'NoError');
    assert.deepEqual(answer.serverVersion, {
      majorVersion: 15,
      minorVersion: 1,
      majorBuildNumber: 2507,
      minorBuildNumber: 0,
      version: 'Exchange2013_SP1',
    });
    const [user] = answer.responses;
    assert.equal(user?.errorCode, 'NoError');
    assert.deepEqual(user?.settingErrors, []);
    assert.deepEqual(settingsOf(user), {
      UserDisplayName: 'Chris Gray',
      UserDN: '/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=chris',
      UserDeploymentId: '644560b8-a1ce-429c-8ace-23395843f701',
      InternalMailboxServer: 'mail.example.test',
      InternalEwsUrl: 'https://mail.example.test/EWS/Exchange.asmx',
      ExternalEwsUrl: 'https://mail.example.test/EWS/Exchange.asmx',
      EwsSupportedSchemas:
        'Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1',
      CasVersion: '15.01.2507.000',
      ExternalMailboxServer: 'mail.example.test',
      ExternalMailboxServerRequiresSSL: 'True',
      ExternalMailboxServerAuthenticationMethods: 'Ntlm',
      MapiHttpEnabled: 'True',
      ExternalMapiHttpEndpoint:
        'https://mail.example.test/mapi/emsmdb/?MailboxId=9f6b2c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b@example.test',
      InternalMapiHttpEndpoint:
        'https://mail.example.test/mapi/emsmdb/?MailboxId=9f6b2c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b@example.test',
      ActiveSyncUrl: 'https://mail.example.test/Microsoft-Server-ActiveSync',
      ExternalOABUrl: 'https://mail.example.test/OAB/',
      ExternalWebClientUrls: {
        webClientUrls: [{ authenticationMethods: 'Fba', url: 'https://mail.example.test/owa/' }],
      },
      ExternalEcpUrl: 'https://mail.example.test/ecp/',
    });
    assert.match(res.body, /<a:Action s:mustUnderstand="1">[^<]*\/GetUserSettingsResponse<\/a:Action>/);
  });

  test('paths are case-insensitive and /wssecurity answers the same', async () => {
    for (const url of ['/Autodiscover/Autodiscover.svc', '/autodiscover/autodiscover.svc/WSSecurity']) {
      const { res } = await post(userRequest(['chris@example.test'], ['UserDisplayName']), { url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(settingsOf(parseSoapResponse(res.body).responses[0])['UserDisplayName'], 'Chris Gray');
    }
  });

  test('per user: settings, RedirectAddress, a moved domain, RedirectUrl to the .svc, InvalidUser', async () => {
    const store = await exampleStore((doc) => {
      doc.domains?.push({ name: 'closed.test', unknownUsers: 'not-found' });
    });
    const { app } = await exampleApp({}, store);
    const res = await app.inject({
      method: 'POST',
      url: '/autodiscover/autodiscover.svc',
      payload: userRequest(
        [
          'sam@example.test',
          'alex@example.test',
          'kim@example.com',
          'robin@example.test',
          'nobody@closed.test',
          'x@unknown.test',
          'not an address',
        ],
        ['UserDisplayName'],
      ),
    });
    const codes = parseSoapResponse(res.body).responses.map((r) => [r.errorCode, r.redirectTarget]);
    assert.deepEqual(codes, [
      ['NoError', undefined],
      ['RedirectAddress', 'alex@partner.example'],
      ['RedirectAddress', 'kim@example.test'],
      ['RedirectUrl', 'https://autodiscover.cloud.example/autodiscover/autodiscover.svc'],
      ['InvalidUser', undefined],
      ['InvalidUser', undefined],
      ['InvalidUser', undefined],
    ]);
    assert.doesNotMatch(res.body, /not an address|unknown\.test/, 'addresses are not echoed');
  });

  test('an unknown setting is an error for that setting only; an Exchange setting without a value is left out', async () => {
    const { res } = await post(
      userRequest(['chris@example.test'], ['UserDisplayName', 'No<Such>Setting', 'ExternalUMUrl', 'UserDisplayName']),
    );
    const [user] = parseSoapResponse(res.body).responses;
    assert.deepEqual(settingsOf(user), { UserDisplayName: 'Chris Gray' });
    assert.deepEqual(user?.settingErrors, [
      { name: 'No<Such>Setting', errorCode: 'InvalidSetting', errorMessage: 'The requested setting is not valid.' },
    ]);
    assert.match(res.body, /<SettingName>No&lt;Such&gt;Setting<\/SettingName>/);
  });

  test('RequestedServerVersion: absent means Exchange2010, which has no MAPI over HTTP settings', async () => {
    const { res } = await post(userRequest(['chris@example.test'], ['MapiHttpEnabled', 'UserDisplayName']));
    const answer = parseSoapResponse(res.body);
    assert.equal(answer.serverVersion.version, 'Exchange2010');
    assert.deepEqual(settingsOf(answer.responses[0]), { UserDisplayName: 'Chris Gray' });
    assert.deepEqual(
      answer.responses[0]?.settingErrors.map((e) => [e.name, e.errorCode]),
      [['MapiHttpEnabled', 'SettingIsNotAvailable']],
    );
    const newer = parseSoapResponse(
      (await post(userRequest(['chris@example.test'], ['MapiHttpEnabled'], 'Exchange2013'))).res.body,
    );
    assert.equal(newer.serverVersion.version, 'Exchange2013');
    // Exchange2007_SP1 is a valid RequestedServerVersion value too (the RequestedServerVersion (SOAP) page).
    const older = parseSoapResponse(
      (await post(userRequest(['chris@example.test'], ['UserDisplayName'], 'Exchange2007_SP1'))).res.body,
    );
    assert.equal(older.serverVersion.version, 'Exchange2007_SP1');
    assert.equal(older.errorCode, 'NoError');
    assert.deepEqual(settingsOf(newer.responses[0]), { MapiHttpEnabled: 'True' });
  });

  test('a request that cannot be served is InvalidRequest for the whole response, nothing echoed', async () => {
    const many = Array.from({ length: 101 }, (_, i) => `u${i}@example.test`);
    const cases = [
      userRequest(['chris@example.test'], ['UserDisplayName'], 'Exchange<script>'),
      userRequest([], ['UserDisplayName']),
      userRequest(many, ['UserDisplayName']),
      userRequest(['chris@example.test'], []),
    ];
    for (const body of cases) {
      const { res } = await post(body);
      assert.equal(res.statusCode, 200);
      const answer = parseSoapResponse(res.body);
      assert.equal(answer.errorCode, 'InvalidRequest');
      assert.deepEqual(answer.responses, []);
      assert.doesNotMatch(res.body, /script/);
    }
  });
});

describe('POST /autodiscover/autodiscover.svc: GetDomainSettings', () => {
  test('the domain’s EWS URL and version; a moved domain is RedirectUrl; an unknown one InvalidDomain', async () => {
    const body = renderSoapRequest({
      operation: 'GetDomainSettings',
      requestedServerVersion: 'Exchange2013',
      identities: ['Example.Test', 'example.com', 'nowhere.test'],
      settings: ['ExternalEwsUrl', 'ExternalEwsVersion', 'InternalEwsUrl'],
    });
    const { res } = await post(body);
    const [served, moved, unknown] = parseSoapResponse(res.body).responses;
    assert.deepEqual(settingsOf(served), {
      ExternalEwsUrl: 'https://mail.example.test/EWS/Exchange.asmx',
      ExternalEwsVersion: '15.01.2507.000',
    });
    assert.deepEqual(
      served?.settingErrors.map((e) => [e.name, e.errorCode]),
      [['InternalEwsUrl', 'InvalidSetting']],
    );
    assert.equal(moved?.errorCode, 'RedirectUrl');
    assert.equal(moved?.redirectTarget, 'https://autodiscover.example.test/autodiscover/autodiscover.svc');
    assert.equal(unknown?.errorCode, 'InvalidDomain');
    assert.match(res.body, /GetDomainSettingsResponse<\/a:Action>/);
  });
});

describe('malformed SOAP gets a SOAP fault', () => {
  test('HTTP 500 with a fixed reason; DTDs are refused before parsing and nothing is expanded', async () => {
    const cases: [string, string][] = [
      ['<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><oops>', 'Client'],
      [fixture('requests/xxe.xml'), 'Client'],
      [fixture('requests/billion-laughs.xml'), 'Client'],
      [`${'<a>'.repeat(200)}${'</a>'.repeat(200)}`, 'Client'],
      ['<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', 'VersionMismatch'],
      [
        userRequest(['chris@example.test'], ['UserDisplayName']).replace(
          '/GetUserSettings<',
          '/GetFederationInformation<',
        ),
        'ActionNotSupported',
      ],
      ['', 'Client'],
    ];
    for (const [body, code] of cases) {
      const { res } = await post(body);
      assert.equal(res.statusCode, 500, body.slice(0, 60));
      assert.match(String(res.headers['content-type']), /^text\/xml/);
      assert.equal(parseSoapFault(res.body)?.code, code, body.slice(0, 60));
      assert.doesNotMatch(res.body, /oops|hostname|lol|Federation/);
    }
  });

  test('bodies over 64 KiB are refused with 413', async () => {
    const { res } = await post(userRequest(['chris@example.test'], ['x'.repeat(70 * 1024)]));
    assert.equal(res.statusCode, 413);
  });

  test('the SOAPAction HTTP header stands in for a missing WS-Addressing Action', async () => {
    const body = userRequest(['chris@example.test'], ['UserDisplayName']).replace(
      /<wsa:Action>[^<]*<\/wsa:Action>/,
      '',
    );
    const { res } = await post(body, {
      headers: { soapaction: '"http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings"' },
    });
    assert.equal(res.statusCode, 200);
  });
});

describe('GET, advertising and turning SOAP off', () => {
  test('GET on the .svc answers with a service page; the POX GET advertises SOAP as Exchange does', async () => {
    const { app } = await exampleApp();
    const page = await app.inject({ method: 'GET', url: '/autodiscover/autodiscover.svc' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /Autodiscover Service/);
    const probe = await app.inject({ method: 'GET', url: '/autodiscover/autodiscover.xml' });
    assert.equal(probe.headers['x-soap-enabled'], 'True');
    assert.equal(probe.headers['x-wssecurity-enabled'], 'True');
  });

  test('soap: false serves no .svc and does not advertise it', async () => {
    const { app } = await exampleApp({ soap: false });
    const res = await app.inject({
      method: 'POST',
      url: '/autodiscover/autodiscover.svc',
      payload: userRequest(['chris@example.test'], ['UserDisplayName']),
    });
    assert.equal(res.statusCode, 404);
    const probe = await app.inject({ method: 'GET', url: '/autodiscover/autodiscover.xml' });
    assert.equal(probe.headers['x-soap-enabled'], undefined);
  });

  test('a redirect-only plain HTTP listener serves no SOAP', async () => {
    const { app } = await exampleApp({ transport: 'http', httpMode: 'redirect' });
    const res = await app.inject({
      method: 'POST',
      url: '/autodiscover/autodiscover.svc',
      payload: userRequest(['chris@example.test'], ['UserDisplayName']),
    });
    assert.equal(res.statusCode, 404);
  });

  test('counted in metrics as endpoint "soap"; the address is masked in the access log', async () => {
    const { app, logs, metrics } = await post(userRequest(['chris@example.test'], ['UserDisplayName']));
    await app.inject({ method: 'POST', url: '/autodiscover/autodiscover.svc', payload: '<bad' });
    const text = await metrics.registry.metrics();
    assert.match(text, /autodisco_requests_total\{endpoint="soap",outcome="settings"\} 1/);
    assert.match(text, /autodisco_requests_total\{endpoint="soap",outcome="fault"\} 1/);
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['endpoint'] === 'soap');
    assert.equal(line?.['address'], 'c***@example.test');
    assert.doesNotMatch(logs.join('\n'), /chris@example\.test/);
  });
});
