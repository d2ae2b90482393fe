/** Issue 9 on the server: addresses never cut short (item 9), no echo and security headers on every answer
 * (item 11), any Content-Type read as the body says (item 12), and the framework's own answers counted. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { child, childText, parseXml } from '../../src/formats/xml.js';
import { HSTS, SECURITY_HEADERS } from '../../src/server/hardening.js';
import { exampleApp, fixture } from '../helpers/app.js';

const OUTLOOK_2006A = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const outlookRequest = (address: string) =>
  `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${address}</EMailAddress><AcceptableResponseSchema>${OUTLOOK_2006A}</AcceptableResponseSchema></Request></Autodiscover>`;
const errorCode = (body: string) => childText(child(child(parseXml(body), 'Response'), 'Error'), 'ErrorCode');

describe('addresses are never cut short at / ? # \\', () => {
  test('every endpoint refuses x@example.test/evil with its own invalid-request answer', async () => {
    const { app, metrics } = await app0();
    for (const evil of ['x@example.test/evil', 'x@example.test?evil', 'x@example.test#evil', 'x@example.test\\evil']) {
      const pox = await app.inject({
        method: 'POST',
        url: '/autodiscover/autodiscover.xml',
        payload: outlookRequest(evil),
      });
      assert.equal(pox.statusCode, 200);
      assert.equal(errorCode(pox.body), '600', evil);
      const q = encodeURIComponent(evil);
      for (const url of [
        `/autodiscover/autodiscover.json/v1.0/${q}?Protocol=EWS`,
        `/autodiscover/autodiscover.json?Email=${q}&Protocol=EWS`,
      ]) {
        const v2 = await app.inject({ method: 'GET', url });
        assert.equal(v2.statusCode, 400, url);
        assert.equal(v2.json().ErrorCode, 'InvalidUser');
      }
      const autoconfig = await app.inject({ method: 'GET', url: `/mail/config-v1.1.xml?emailaddress=${q}` });
      assert.equal(autoconfig.statusCode, 400);
      assert.match(autoconfig.body, /must be an e-mail address/);
      const profile = await app.inject({ method: 'GET', url: `/email.mobileconfig?email=${q}` });
      assert.equal(profile.statusCode, 400);
    }
    // The same address without the tail is answered.
    const ok = await app.inject({
      method: 'GET',
      url: '/autodiscover/autodiscover.json?Email=x@example.test&Protocol=EWS',
    });
    assert.equal(ok.statusCode, 200);
    const counted = (await metrics.requests.get()).values.find(
      (v) => v.labels.endpoint === 'pox' && v.labels.outcome === 'invalid-request',
    );
    assert.equal(counted?.value, 4);
  });
});

describe('answers do not echo and carry the security headers', () => {
  test('the v2 error does not quote the Protocol value', async () => {
    const { app } = await app0();
    const res = await app.inject({
      method: 'GET',
      url: `/autodiscover/autodiscover.json/v1.0/x@example.test?Protocol=${encodeURIComponent('<img src=x onerror=alert(1)>')}`,
    });
    assert.equal(res.statusCode, 400);
    assert.ok(!res.body.includes('img'), res.body);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  test('every kind of answer, from a route, the not-found handler or the framework, has them; HSTS only over HTTPS', async () => {
    const { app } = await app0({ trustProxy: ['127.0.0.1'] });
    const requests = [
      { method: 'POST' as const, url: '/autodiscover/autodiscover.xml', payload: fixture('requests/outlook.xml') },
      { method: 'POST' as const, url: '/autodiscover/autodiscover.xml', payload: 'x'.repeat(70_000) },
      { method: 'GET' as const, url: '/autodiscover/autodiscover.json?Email=x@example.test&Protocol=EWS' },
      { method: 'GET' as const, url: '/mail/config-v1.1.xml?emailaddress=x@example.test' },
      { method: 'GET' as const, url: '/email.mobileconfig?email=x@example.test' },
      { method: 'GET' as const, url: '/healthz' },
      // Not served on the Autodiscover listener (only on --metrics): a 404, with the headers all the same.
      { method: 'GET' as const, url: '/metrics' },
      { method: 'GET' as const, url: '/no/such/page' },
      { method: 'GET' as const, url: '/autodiscover/%zz' },
    ];
    const statuses: number[] = [];
    for (const r of requests) {
      for (const proto of ['http', 'https']) {
        const res = await app.inject({ ...r, headers: { 'x-forwarded-proto': proto } });
        if (proto === 'http') statuses.push(res.statusCode);
        for (const [name, value] of Object.entries(SECURITY_HEADERS))
          assert.equal(res.headers[name], value, `${r.url} ${name}`);
        // A URL Fastify cannot decode is answered before X-Forwarded-Proto is read: HSTS there comes only over TLS.
        const viaProxy = proto === 'https' && !r.url.includes('%zz');
        assert.equal(res.headers['strict-transport-security'], viaProxy ? HSTS : undefined, r.url);
        assert.ok(res.headers['cache-control'], `${r.url} has a Cache-Control`);
      }
    }
    assert.deepEqual(statuses, [200, 413, 200, 200, 200, 200, 404, 404, 400]);
  });
});

describe('any Content-Type: the body decides (docs/protocol.md §3.4)', () => {
  test('an empty or unparseable Content-Type gets the answer (good body) or error 600 (bad body), never HTTP 415', async () => {
    const { app, metrics } = await app0();
    for (const type of [
      '',
      'garbage',
      ';;;',
      'a/b/c',
      'text/xml; charset=',
      'application/json',
      'multipart/form-data',
    ]) {
      const good = await app.inject({
        method: 'POST',
        url: '/autodiscover/autodiscover.xml',
        payload: fixture('requests/outlook.xml'),
        headers: { 'content-type': type },
      });
      assert.equal(good.statusCode, 200, type);
      assert.equal(
        child(parseXml(good.body), 'Response')?.children.some((c) => c.name === 'Account'),
        true,
        type,
      );
      const bad = await app.inject({
        method: 'POST',
        url: '/autodiscover/autodiscover.xml',
        payload: '<a>',
        headers: { 'content-type': type },
      });
      assert.equal(bad.statusCode, 200, type);
      assert.equal(errorCode(bad.body), '600', type);
    }
    const text = await metrics.registry.metrics();
    assert.match(text, /autodisco_requests_total\{endpoint="pox",outcome="invalid-request"\} 7/);
    assert.doesNotMatch(text, /http-415/);
  });

  test('the framework’s own answers (413, 404, a malformed URL’s 400) are counted in /metrics', async () => {
    const { app, metrics } = await app0();
    await app.inject({ method: 'POST', url: '/autodiscover/autodiscover.xml', payload: 'x'.repeat(70_000) });
    await app.inject({ method: 'GET', url: '/nothing-here' });
    await app.inject({ method: 'GET', url: '/autodiscover/autodiscover.json/v1.0/%E0%A4%A?Protocol=EWS' });
    await app.inject({ method: 'GET', url: '/healthz' });
    const text = await metrics.registry.metrics();
    assert.match(text, /autodisco_requests_total\{endpoint="pox",outcome="too-large"\} 1/);
    assert.match(text, /autodisco_requests_total\{endpoint="other",outcome="http-404"\} 1/);
    assert.match(text, /autodisco_requests_total\{endpoint="other",outcome="bad-url"\} 1/);
    // Health checks are not requests to count.
    assert.doesNotMatch(text, /outcome="ok"/);
  });
});

function app0(options: Parameters<typeof exampleApp>[0] = {}) {
  return exampleApp(options);
}
