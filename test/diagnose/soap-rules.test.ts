/**
 * The SOAP findings over recorded steps, on reports written out by hand: the cases no lab scenario can play (an
 * http:// RedirectUrl, which autodisco's own settings refuse), and the edges of each rule (a .svc that answers,
 * a POX URL on another host, the same fact seen by the SOAP and the POX part of one lookup).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.js';
import type { DiscoveryReport, Step } from '../../src/discover/report.js';
import { REPORT_SCHEMA_ID } from '../../src/discover/report.js';

function step(fields: Partial<Step> & Pick<Step, 'method' | 'result'>): Step {
  const host = fields.url ? new URL(fields.url).hostname : '';
  return {
    email: 'chris@contoso.test',
    host,
    addresses: ['127.0.0.1'],
    status: null,
    redirectTo: null,
    detail: '',
    ms: 1,
    ...fields,
  };
}

function report(steps: Step[], outcome: DiscoveryReport['outcome'] = 'failed'): DiscoveryReport {
  return {
    schema: REPORT_SCHEMA_ID,
    email: 'chris@contoso.test',
    client: 'ews',
    outcome,
    settings: null,
    prompt: null,
    steps,
    findings: [],
  };
}

const SVC = 'https://autodiscover.contoso.test/autodiscover/autodiscover.svc';
const XML = 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml';

test('a SOAP RedirectUrl to http:// is SOAP_REDIRECT_URL_INSECURE, not the generic INSECURE_REDIRECT', () => {
  const to = 'http://ews.contoso.test/autodiscover/autodiscover.svc';
  const findings = diagnose(
    report([
      step({
        method: 'autodiscover-domain',
        url: SVC,
        result: 'redirect-url',
        status: 200,
        redirectTo: to,
        protocol: 'soap',
        soap: { errorCode: 'RedirectUrl' },
      }),
      step({ method: 'redirect', url: to, result: 'refused', refusal: 'insecure-redirect', protocol: 'soap' }),
    ]),
  );
  const codes = findings.map((f) => f.code);
  assert.ok(codes.includes('SOAP_REDIRECT_URL_INSECURE'), codes.join(', '));
  assert.ok(!codes.includes('INSECURE_REDIRECT'), codes.join(', '));
  const f = findings.find((x) => x.code === 'SOAP_REDIRECT_URL_INSECURE');
  assert.equal(f?.severity, 'error');
  assert.match(f?.detail ?? '', new RegExp(`${SVC} answered ErrorCode RedirectUrl with the RedirectTarget ${to}`));
  assert.deepEqual(f?.steps, [1]);
});

test('an HTTP 3xx to http:// from a SOAP URL stays INSECURE_REDIRECT (no SOAP answer said it)', () => {
  const to = 'http://ews.contoso.test/autodiscover/autodiscover.svc';
  const codes = diagnose(
    report([
      step({
        method: 'autodiscover-domain',
        url: SVC,
        result: 'redirect-url',
        status: 302,
        redirectTo: to,
        protocol: 'soap',
      }),
      step({ method: 'redirect', url: to, result: 'refused', refusal: 'insecure-redirect', protocol: 'soap' }),
    ]),
  ).map((f) => f.code);
  assert.ok(codes.includes('INSECURE_REDIRECT'), codes.join(', '));
  assert.ok(!codes.includes('SOAP_REDIRECT_URL_INSECURE'), codes.join(', '));
});

test('SOAP_ENDPOINT_MISSING needs the POX answer on the same host', () => {
  const svc404 = step({
    method: 'autodiscover-domain',
    url: SVC,
    result: 'http-status',
    status: 404,
    protocol: 'soap',
  });
  const poxHere = step({ method: 'autodiscover-domain', url: XML, result: 'settings', status: 200 });
  const poxElsewhere = step({
    method: 'root-domain',
    url: 'https://contoso.test/autodiscover/autodiscover.xml',
    result: 'settings',
    status: 200,
  });
  assert.deepEqual(
    diagnose(report([svc404, poxHere], 'settings'))
      .filter((f) => f.code === 'SOAP_ENDPOINT_MISSING')
      .map((f) => f.steps),
    [[0, 1]],
  );
  assert.ok(!diagnose(report([svc404, poxElsewhere], 'settings')).some((f) => f.code === 'SOAP_ENDPOINT_MISSING'));
  // The .svc that answered (with an error for the user) is there: nothing missing.
  const svcAnswered = step({
    method: 'autodiscover-domain',
    url: SVC,
    result: 'error-response',
    status: 200,
    protocol: 'soap',
    soap: { errorCode: 'InvalidUser' },
    detail: 'GetUserSettings answered ErrorCode InvalidUser for the user (Invalid user.): the application gives up.',
  });
  const findings = diagnose(report([svcAnswered, poxHere], 'settings'));
  assert.ok(!findings.some((f) => f.code === 'SOAP_ENDPOINT_MISSING'));
  // …and its InvalidUser is an Autodiscover error with the SOAP code and message.
  const error = findings.find((f) => f.code === 'AUTODISCOVER_ERROR');
  assert.match(error?.title ?? '', /answered with Autodiscover error InvalidUser/);
  assert.match(error?.detail ?? '', /"Invalid user"/);
});

test('EWS_URL_MISSING says what the client does next, and is not also an AUTODISCOVER_ERROR', () => {
  const findings = diagnose(
    report([
      step({
        method: 'autodiscover-domain',
        url: SVC,
        result: 'error-response',
        status: 200,
        protocol: 'soap',
        soap: { errorCode: 'NoError' },
        missingSettings: ['ExternalEwsUrl', 'InternalEwsUrl'],
      }),
      step({
        method: 'autodiscover-domain',
        url: XML,
        result: 'error-response',
        status: 200,
        missingSettings: ['EwsUrl'],
      }),
    ]),
  );
  assert.deepEqual(
    findings.map((f) => f.code),
    ['EWS_URL_MISSING', 'EWS_URL_MISSING'],
  );
  assert.match(
    findings[0]?.detail ?? '',
    /without ExternalEwsUrl or InternalEwsUrl.*gives up on SOAP Autodiscover here/,
  );
  assert.match(findings[1]?.detail ?? '', /without EwsUrl.*stops here without settings/);
});

test('the same fact seen by the SOAP and the POX part of one lookup is one finding on both steps', () => {
  const get = (protocol?: 'soap') =>
    step({
      method: 'http-redirect',
      url: 'http://autodiscover.contoso.test/autodiscover/autodiscover.xml',
      result: 'refused',
      refusal: 'insecure-redirect',
      status: 302,
      redirectTo: 'http://mail.contoso.test/autodiscover/autodiscover.xml',
      ...(protocol ? { protocol } : {}),
    });
  const insecure = diagnose(report([get('soap'), get()])).filter((f) => f.code === 'INSECURE_REDIRECT');
  assert.equal(insecure.length, 1);
  assert.deepEqual(insecure[0]?.steps, [0, 1]);
});
