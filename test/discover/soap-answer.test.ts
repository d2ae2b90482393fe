/**
 * The client side of SOAP Autodiscover (src/discover/soap-answer.ts): the GetUserSettings request an EWS
 * application sends is one the server's parser reads as such, and every kind of answer, hostile ones included,
 * becomes what the EWS Managed API makes of it, without throwing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESPONSE_LIMITS } from '../../src/discover/parse-response.js';
import { EWS_REQUESTED_SETTINGS, readSoapAnswer, soapRequestBody, soapUrlOf } from '../../src/discover/soap-answer.js';
import { parseSoapRequest } from '../../src/formats/soap/request.js';
import { renderSoapResponse, type SoapIdentityResponse } from '../../src/formats/soap/response.js';

const URL_SVC = new URL('https://autodiscover.contoso.test/autodiscover/autodiscover.svc');
const EWS = 'https://mail.contoso.test/EWS/Exchange.asmx';

function answer(user: Partial<SoapIdentityResponse>, errorCode: SoapIdentityResponse['errorCode'] = 'NoError'): string {
  return renderSoapResponse({
    operation: 'GetUserSettings',
    serverVersion: {
      majorVersion: 15,
      minorVersion: 1,
      majorBuildNumber: 2507,
      minorBuildNumber: 0,
      version: 'Exchange2013_SP1',
    },
    errorCode,
    errorMessage: errorCode === 'NoError' ? '' : 'The request is invalid.',
    responses: [{ errorCode: 'NoError', errorMessage: '', settings: [], settingErrors: [], ...user }],
  });
}

test('the request is a GetUserSettings for the one address, with the settings an EWS application asks', () => {
  const parsed = parseSoapRequest(soapRequestBody('chris@contoso.test', URL_SVC));
  assert.ok(parsed.ok);
  assert.equal(parsed.request.operation, 'GetUserSettings');
  assert.deepEqual(parsed.request.identities, ['chris@contoso.test']);
  assert.deepEqual(parsed.request.settings, [...EWS_REQUESTED_SETTINGS]);
  assert.ok(parsed.request.settings.includes('ExternalEwsUrl') && parsed.request.settings.includes('InternalEwsUrl'));
  assert.equal(parsed.request.to, URL_SVC.href);
  assert.equal(parsed.request.requestedServerVersion, 'Exchange2013_SP1');
});

test('an address with XML in it is escaped, not injected', () => {
  const parsed = parseSoapRequest(soapRequestBody('a<b>&"c@contoso.test', URL_SVC));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.request.identities, ['a<b>&"c@contoso.test']);
});

test('a host found by SCP, the HTTP redirect or SRV is asked at https://<host>/autodiscover/autodiscover.svc', () => {
  assert.equal(soapUrlOf('ex01.contoso.test').href, 'https://ex01.contoso.test/autodiscover/autodiscover.svc');
});

test('NoError with an EWS URL: settings, one UserSettings entry, the user part filled', () => {
  const read = readSoapAnswer(
    answer({
      settings: [
        { name: 'UserDisplayName', value: 'Chris Gray' },
        { name: 'UserDN', value: '/o=Contoso/ou=First/cn=Recipients/cn=chris' },
        { name: 'ExternalEwsUrl', value: EWS },
        {
          name: 'ExternalWebClientUrls',
          value: { webClientUrls: [{ authenticationMethods: 'Fba', url: 'https://mail.contoso.test/owa/' }] },
        },
      ],
    }),
  );
  assert.equal(read.kind, 'settings');
  if (read.kind !== 'settings') return;
  assert.deepEqual(read.user, {
    displayName: 'Chris Gray',
    legacyDN: '/o=Contoso/ou=First/cn=Recipients/cn=chris',
    autoDiscoverSMTPAddress: null,
  });
  assert.deepEqual(read.protocols, [
    {
      type: 'UserSettings',
      userDisplayName: 'Chris Gray',
      userDN: '/o=Contoso/ou=First/cn=Recipients/cn=chris',
      externalEwsUrl: EWS,
      externalWebClientUrls: [{ authenticationMethods: 'Fba', url: 'https://mail.contoso.test/owa/' }],
    },
  ]);
});

test('InternalEwsUrl alone is enough; neither is "missing" (the application has no EWS URL)', () => {
  assert.equal(readSoapAnswer(answer({ settings: [{ name: 'InternalEwsUrl', value: EWS }] })).kind, 'settings');
  assert.deepEqual(
    readSoapAnswer(
      answer({
        settings: [
          { name: 'UserDisplayName', value: 'Chris' },
          { name: 'ExternalEwsUrl', value: '  ' },
        ],
      }),
    ),
    {
      kind: 'missing',
      missing: ['ExternalEwsUrl', 'InternalEwsUrl'],
      errorCode: 'NoError',
    },
  );
});

test('RedirectAddress and RedirectUrl are moves; without a RedirectTarget they are no answer', () => {
  assert.deepEqual(
    readSoapAnswer(answer({ errorCode: 'RedirectAddress', redirectTarget: 'chris@contoso.cloud.test' })),
    {
      kind: 'redirect-addr',
      address: 'chris@contoso.cloud.test',
      errorCode: 'RedirectAddress',
    },
  );
  assert.deepEqual(
    readSoapAnswer(answer({ errorCode: 'RedirectUrl', redirectTarget: 'http://x.test/autodiscover/autodiscover.svc' })),
    {
      kind: 'redirect-url',
      url: 'http://x.test/autodiscover/autodiscover.svc',
      errorCode: 'RedirectUrl',
    },
  );
  assert.equal(readSoapAnswer(answer({ errorCode: 'RedirectUrl' })).kind, 'invalid');
  assert.equal(readSoapAnswer(answer({ errorCode: 'RedirectAddress' })).kind, 'invalid');
});

test("the user's error ends the SOAP part; the whole response's error is the host's (the next host is tried)", () => {
  assert.deepEqual(readSoapAnswer(answer({ errorCode: 'InvalidUser', errorMessage: 'No mailbox.' })), {
    kind: 'error',
    scope: 'user',
    errorCode: 'InvalidUser',
    message: 'No mailbox.',
  });
  const whole = readSoapAnswer(answer({}, 'InvalidRequest'));
  assert.equal(whole.kind, 'error');
  assert.equal(whole.kind === 'error' && whole.scope, 'response');
});

test('hostile answers: never a throw, never a prototype key, long values cut', () => {
  const cases = [
    '',
    'not xml',
    '<!DOCTYPE x [<!ENTITY a "b">]><x/>',
    `${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`,
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>no</faultstring></s:Fault></s:Body></s:Envelope>',
    'x'.repeat(RESPONSE_LIMITS.maxBodyChars + 1),
  ];
  for (const body of cases) assert.equal(readSoapAnswer(body).kind, 'invalid', body.slice(0, 40));
  const read = readSoapAnswer(
    answer({
      settings: [
        { name: '__proto__', value: 'polluted' },
        { name: 'constructor', value: 'polluted' },
        { name: 'NotASetting', value: 'x' },
        { name: 'ExternalEwsUrl', value: `https://mail.contoso.test/${'e'.repeat(5000)}` },
      ],
    }),
  );
  assert.equal(read.kind, 'settings');
  if (read.kind !== 'settings') return;
  const entry: Record<string, unknown> = read.protocols[0] ?? { type: '' };
  assert.deepEqual(Object.keys(entry), ['type', 'externalEwsUrl']);
  assert.equal(String(entry['externalEwsUrl']).length, RESPONSE_LIMITS.maxStringChars);
  assert.equal(Object.getPrototypeOf(entry), Object.prototype);
});

test('a GetDomainSettings answer to a GetUserSettings request is no answer', () => {
  const domain = renderSoapResponse({
    operation: 'GetDomainSettings',
    serverVersion: {
      majorVersion: 15,
      minorVersion: 0,
      majorBuildNumber: 847,
      minorBuildNumber: 0,
      version: 'Exchange2013_SP1',
    },
    errorCode: 'NoError',
    errorMessage: '',
    responses: [
      { errorCode: 'NoError', errorMessage: '', settings: [{ name: 'ExternalEwsUrl', value: EWS }], settingErrors: [] },
    ],
  });
  assert.equal(readSoapAnswer(domain).kind, 'invalid');
});
