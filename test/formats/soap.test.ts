import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSoapFault, renderSoapFault } from '../../src/formats/soap/fault.js';
import { operationFromAction, soapAction } from '../../src/formats/soap/namespaces.js';
import { parseSoapRequest, renderSoapRequest, type SoapRequest } from '../../src/formats/soap/request.js';
import {
  parseSoapResponse,
  renderSoapResponse,
  type SoapResponse,
  SoapResponseUnreadable,
} from '../../src/formats/soap/response.js';
import { soapRedirectUrl } from '../../src/formats/soap/settings.js';
import {
  casVersion,
  ewsSupportedSchemas,
  serverVersionInfo,
  versionNameOfBuild,
  versionRank,
} from '../../src/formats/soap/versions.js';
import { fixture } from '../helpers/app.js';

const userRequest: SoapRequest = {
  operation: 'GetUserSettings',
  requestedServerVersion: 'Exchange2013',
  to: 'https://autodiscover.example.test/autodiscover/autodiscover.svc',
  identities: ['chris@example.test', 'sam@example.test'],
  settings: ['UserDisplayName', 'ExternalEwsUrl'],
};

describe('SOAP Autodiscover request codec', () => {
  test('a rendered GetUserSettings request parses back to the same request', () => {
    const parsed = parseSoapRequest(renderSoapRequest(userRequest));
    assert.deepEqual(parsed, { ok: true, request: userRequest });
  });

  test('GetDomainSettings with the body RequestedVersion round-trips', () => {
    const request: SoapRequest = {
      operation: 'GetDomainSettings',
      identities: ['example.test'],
      settings: ['ExternalEwsUrl', 'ExternalEwsVersion'],
      requestedVersion: 'Exchange2013',
    };
    assert.deepEqual(parseSoapRequest(renderSoapRequest(request)), { ok: true, request });
  });

  test('reads the request as Microsoft documents it, https:// namespace spelling included', () => {
    const parsed = parseSoapRequest(fixture('soap/get-user-settings-msdocs.xml'));
    assert.ok(parsed.ok);
    assert.equal(parsed.request.operation, 'GetUserSettings');
    assert.equal(parsed.request.requestedServerVersion, 'Exchange2010');
    assert.deepEqual(parsed.request.identities, ['chris@example.test']);
    assert.equal(parsed.request.settings.length, 8);
  });

  test('the Action header decides the operation; SOAPAction is used only without it', () => {
    const noHeader = renderSoapRequest({ ...userRequest }).replace(/<wsa:Action>[^<]*<\/wsa:Action>/, '');
    const refused = parseSoapRequest(noHeader);
    assert.deepEqual(refused.ok ? undefined : refused.problem.code, 'Client');
    const viaHttpHeader = parseSoapRequest(noHeader, `"${soapAction('GetUserSettings')}"`);
    assert.ok(viaHttpHeader.ok);
    assert.equal(
      operationFromAction('HTTP://SCHEMAS.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetDomainSettings'),
      'GetDomainSettings',
    );
  });

  test('what cannot be answered is a problem with a fixed reason, never the request text', () => {
    const cases: [string, string][] = [
      ['<Envelope><unclosed-SECRET-tag>', 'Client'],
      ['<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', 'Client'],
      [`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`, 'Client'],
      ['<Autodiscover/>', 'Client'],
      ['<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', 'VersionMismatch'],
      [
        renderSoapRequest(userRequest).replace(
          /GetUserSettings<\/wsa:Action>/,
          'GetFederationInformation</wsa:Action>',
        ),
        'ActionNotSupported',
      ],
      [
        renderSoapRequest(userRequest).replace(/GetUserSettingsRequestMessage/g, 'GetDomainSettingsRequestMessage'),
        'Client',
      ],
    ];
    for (const [body, code] of cases) {
      const parsed = parseSoapRequest(body);
      assert.equal(parsed.ok, false, body);
      if (parsed.ok) continue;
      assert.equal(parsed.problem.code, code, body);
      assert.doesNotMatch(parsed.problem.reason, /SECRET|boom|Federation/);
    }
  });
});

const response: SoapResponse = {
  operation: 'GetUserSettings',
  serverVersion: {
    majorVersion: 15,
    minorVersion: 1,
    majorBuildNumber: 2507,
    minorBuildNumber: 0,
    version: 'Exchange2013',
  },
  errorCode: 'NoError',
  errorMessage: '',
  responses: [
    {
      errorCode: 'NoError',
      errorMessage: 'No error.',
      settings: [
        { name: 'UserDisplayName', value: 'Chris <Gray> & Co' },
        {
          name: 'ExternalWebClientUrls',
          value: { webClientUrls: [{ authenticationMethods: 'Fba', url: 'https://mail.example.test/owa/' }] },
        },
      ],
      settingErrors: [
        { name: 'Bogus', errorCode: 'InvalidSetting', errorMessage: 'The requested setting is not valid.' },
      ],
    },
    {
      errorCode: 'RedirectAddress',
      errorMessage: 'Redirection address.',
      redirectTarget: 'sam@newco.test',
      settings: [],
      settingErrors: [],
    },
  ],
};

describe('SOAP Autodiscover response codec', () => {
  test('a rendered answer parses back to the same answer, escaped text included', () => {
    const text = renderSoapResponse(response);
    assert.match(text, /Chris &lt;Gray&gt; &amp; Co/);
    assert.match(text, /<RedirectTarget i:nil="true"\/>/);
    assert.deepEqual(parseSoapResponse(text), response);
  });

  test('domain answers use DomainStringSetting and put RedirectTarget last', () => {
    const domain: SoapResponse = {
      ...response,
      operation: 'GetDomainSettings',
      responses: [
        {
          errorCode: 'NoError',
          errorMessage: 'No error.',
          settings: [{ name: 'ExternalEwsUrl', value: 'https://x.test/EWS/Exchange.asmx' }],
          settingErrors: [],
        },
      ],
    };
    const text = renderSoapResponse(domain);
    assert.match(text, /<DomainSetting i:type="DomainStringSetting">/);
    assert.match(text, /<DomainSettings>.*<\/DomainSettings><RedirectTarget i:nil="true"\/><\/DomainResponse>/);
    assert.deepEqual(parseSoapResponse(text), domain);
  });

  test('anything else is unreadable, with the reason', () => {
    assert.throws(() => parseSoapResponse('<Autodiscover/>'), SoapResponseUnreadable);
    assert.throws(() => parseSoapResponse('not xml'), SoapResponseUnreadable);
  });

  test('faults round-trip and are not mistaken for answers', () => {
    const text = renderSoapFault({ code: 'ActionNotSupported', reason: 'nope' });
    assert.match(text, /<faultcode>a:ActionNotSupported<\/faultcode>/);
    assert.deepEqual(parseSoapFault(text), { code: 'ActionNotSupported', reason: 'nope' });
    assert.deepEqual(parseSoapFault(renderSoapFault({ code: 'Client', reason: 'bad' })), {
      code: 'Client',
      reason: 'bad',
    });
    assert.equal(parseSoapFault(renderSoapResponse(response)), undefined);
  });
});

describe('versions', () => {
  test('build numbers as Exchange writes them', () => {
    assert.equal(casVersion('15.1.2507'), '15.01.2507.000');
    assert.equal(casVersion('14.3.123.4'), '14.03.0123.004');
    assert.equal(versionNameOfBuild('14.1.218'), 'Exchange2010_SP1');
    assert.equal(versionNameOfBuild('15.0.620'), 'Exchange2013');
    assert.equal(versionNameOfBuild('15.2.1118'), 'Exchange2013_SP1');
    assert.equal(
      ewsSupportedSchemas('14.2.247'),
      'Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2',
    );
  });

  test('the answer is written for the requested version unless the server is older', () => {
    assert.equal(serverVersionInfo('15.1.2507', 'Exchange2010_SP1').version, 'Exchange2010_SP1');
    assert.equal(serverVersionInfo('14.1.218', 'Exchange2013').version, 'Exchange2010_SP1');
    assert.ok((versionRank('V2016_01_06') ?? 0) > (versionRank('Exchange2019') ?? 0));
    assert.equal(versionRank('Exchange2099'), undefined);
  });

  test('a POX redirect URL becomes the SOAP endpoint on the same host', () => {
    assert.equal(
      soapRedirectUrl('https://autodiscover.cloud.test/Autodiscover/Autodiscover.xml'),
      'https://autodiscover.cloud.test/autodiscover/autodiscover.svc',
    );
    assert.equal(soapRedirectUrl('https://x.test/other'), 'https://x.test/other');
  });
});
