import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadBuiltinScenario } from '../../src/lab/builtin.js';
import { startLab } from '../../src/lab/lab.js';
import type { RunningLab } from '../../src/lab/types.js';
import { refusedRange } from '../../src/server/diagnoses/address-guard.js';
import { type AdminApp, adminApp, asSession } from '../helpers/admin-app.js';

test('the address guard refuses loopback, private, link-local and special ranges, IPv4-mapped too', () => {
  for (const [address, range] of [
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', '"this network"'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique local (private)'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['224.0.0.1', 'multicast'],
  ] as const) {
    assert.equal(refusedRange(address), range, address);
  }
  for (const address of ['93.184.216.34', '2606:2800:220:1::1', '8.8.8.8'])
    assert.equal(refusedRange(address), undefined);
});

/** The SSE stream of a finished diagnosis, as events. */
function events(text: string): { event: string; data: { type: string; client?: string; step?: { method: string } } }[] {
  return text
    .split('\n\n')
    .filter((b) => b.startsWith('event:'))
    .map((block) => {
      const [e, d] = block.split('\n');
      return { event: (e ?? '').slice(7), data: JSON.parse((d ?? '').slice(6)) };
    });
}

async function waitDone(t: AdminApp, id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await t.app.inject({ url: `/api/v1/diagnoses/${id}`, headers: { cookie: t.session.cookie } });
    if (r.statusCode === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the diagnosis did not finish');
}

describe("diagnoses against the lab (the seed's root-domain trap)", () => {
  let lab: RunningLab;
  let open: AdminApp;
  let guarded: AdminApp;
  before(async () => {
    lab = await startLab(loadBuiltinScenario('root-domain-trap'), { range: '127.111.0.0/24', dnsPort: 0 });
    open = await adminApp({ allowPrivate: true, dns: [lab.dns], ca: [lab.caPem] });
    guarded = await adminApp({ dns: [lab.dns], ca: [lab.caPem] });
  });
  after(async () => {
    await open.app.close();
    await guarded.app.close();
    await lab.close();
  });

  test('every client side by side: steps streamed, Outlook 2013 stops at the website certificate, 2016 goes on', async () => {
    const started = await open.app.inject({
      method: 'POST',
      url: '/api/v1/diagnoses',
      headers: asSession(open.session),
      payload: { email: lab.scenario.email, client: 'all', user: 'chris', password: 'Sekret-Passw0rd' },
    });
    assert.equal(started.statusCode, 202, started.body);
    const { id, events: eventsUrl } = started.json();
    const stream = await open.app.inject({ url: eventsUrl, headers: { cookie: open.session.cookie } });
    assert.equal(stream.statusCode, 200);
    assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
    const list = events(stream.body);
    const kinds = list.map((e) => e.event);
    assert.equal(kinds.at(-1), 'done');
    const firstReport = kinds.indexOf('report');
    assert.ok(kinds.indexOf('step') >= 0 && kinds.indexOf('step') < firstReport, 'steps come before the first report');
    assert.equal(list.find((e) => e.event === 'step' && e.data.client === 'outlook-2013')?.data.step?.method, 'scp');
    await waitDone(open, id);

    const report = (
      await open.app.inject({ url: `/api/v1/diagnoses/${id}`, headers: { cookie: open.session.cookie } })
    ).json();
    assert.equal(report.schema, 'autodisco.discovery-comparison/1');
    const byClient = Object.fromEntries(report.reports.map((r: { client: string }) => [r.client, r]));
    assert.equal(byClient['outlook-2013'].outcome, 'prompt');
    assert.equal(byClient['outlook'].outcome, 'settings');
    const finding = byClient['outlook-2013'].findings.find(
      (f: { code: string }) => f.code === 'ROOT_DOMAIN_BLOCKS_FALLBACK',
    );
    assert.ok(finding, 'the seed case finding');
    assert.match(finding.fixes[0], /Add contoso.test to the website's certificate/);

    const html = await open.app.inject({
      url: `/api/v1/diagnoses/${id}/report.html`,
      headers: { cookie: open.session.cookie },
    });
    assert.match(String(html.headers['content-disposition']), /attachment; filename="autodisco-diagnosis-.*\.html"/);
    assert.match(html.body, /ROOT_DOMAIN_BLOCKS_FALLBACK/);
    assert.match(html.body, /<style>/);
    assert.doesNotMatch(html.body, /<script|<link /);
    const json = await open.app.inject({
      url: `/api/v1/diagnoses/${id}/report.json`,
      headers: { cookie: open.session.cookie },
    });
    assert.equal(JSON.parse(json.body).reports.length, 5);

    // The credentials were used once: neither stored nor logged.
    const stored = await open.adminStore.findDiagnosis(id);
    assert.equal((stored?.request as { credentials?: boolean } | undefined)?.credentials, true);
    assert.doesNotMatch(JSON.stringify(stored), /Sekret-Passw0rd/);
    assert.doesNotMatch(open.logs.join('\n'), /Sekret-Passw0rd/);
  });

  test("without --allow-private the guard refuses the lab's 127.x addresses after DNS resolution, and nothing is sent", async () => {
    const before = lab.requests.length;
    const started = await guarded.app.inject({
      method: 'POST',
      url: '/api/v1/diagnoses',
      headers: asSession(guarded.session),
      payload: { email: lab.scenario.email, client: 'outlook' },
    });
    assert.equal(started.statusCode, 202);
    await waitDone(guarded, started.json().id);
    const report = (
      await guarded.app.inject({
        url: `/api/v1/diagnoses/${started.json().id}`,
        headers: { cookie: guarded.session.cookie },
      })
    ).json();
    assert.equal(report.outcome, 'failed');
    const refused = report.steps.filter((s: { detail: string }) =>
      /refuses 127\.111\.0\.\d+ \(loopback address\)/.test(s.detail),
    );
    assert.ok(refused.length > 0, JSON.stringify(report.steps.map((s: { detail: string }) => s.detail)));
    assert.equal(lab.requests.length, before, 'no request reached the lab');
  });

  test('an address no client would look up is a field problem; credentials go together', async () => {
    const r = await open.app.inject({
      method: 'POST',
      url: '/api/v1/diagnoses',
      headers: asSession(open.session),
      payload: { email: 'not-an-address' },
    });
    assert.equal(r.statusCode, 422);
    const c = await open.app.inject({
      method: 'POST',
      url: '/api/v1/diagnoses',
      headers: asSession(open.session),
      payload: { email: 'a@contoso.test', user: 'x' },
    });
    assert.equal(c.statusCode, 422);
    assert.equal(c.json().problems[0].path, 'password');
  });

  test('unknown ids are 404; reading needs a session unless --public-diagnose', async () => {
    assert.equal(
      (
        await open.app.inject({
          url: '/api/v1/diagnoses/AAAAAAAAAAAAAAAAAAAAAA',
          headers: { cookie: open.session.cookie },
        })
      ).statusCode,
      404,
    );
    assert.equal((await open.app.inject({ url: '/api/v1/diagnoses/AAAAAAAAAAAAAAAAAAAAAA' })).statusCode, 401);
  });
});

describe('diagnose limits', () => {
  test('--public-diagnose: no session needed; the global cap answers 503 busy', async () => {
    const t = await adminApp({ publicDiagnose: true, maxConcurrent: 1 });
    try {
      const first = await t.app.inject({
        method: 'POST',
        url: '/api/v1/diagnoses',
        payload: { email: 'chris@unreachable.invalid', client: 'outlook' },
      });
      assert.equal(first.statusCode, 202);
      const second = await t.app.inject({
        method: 'POST',
        url: '/api/v1/diagnoses',
        payload: { email: 'chris@unreachable.invalid', client: 'outlook' },
      });
      assert.equal(second.statusCode, 503);
      assert.equal(second.json().error, 'busy');
      assert.ok(second.headers['retry-after']);
      // Settings stay closed.
      assert.equal((await t.app.inject({ url: '/api/v1/domains' })).statusCode, 401);
    } finally {
      await t.app.close();
    }
  });

  test('per-requester rate limit: the 11th diagnosis in a minute is 429', async () => {
    const t = await adminApp({ maxConcurrent: 100 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const r = await t.app.inject({
          method: 'POST',
          url: '/api/v1/diagnoses',
          headers: asSession(t.session),
          payload: { email: 'chris@unreachable.invalid', client: 'outlook' },
        });
        statuses.push(r.statusCode);
      }
      assert.deepEqual(statuses, [...Array(10).fill(202), 429]);
    } finally {
      await t.app.close();
    }
  });
});
