/** /ui/fleet and /ui/fleet/{domain}, server-side: login first, filters and pages, the chart's text alternative. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FleetSource } from '../../src/audit/fleet-source.js';
import { type AdminApp, adminApp } from '../helpers/admin-app.js';
import { generateFleetStore } from '../helpers/fleet-store.js';

describe('fleet pages', () => {
  let t: AdminApp;
  before(async () => {
    t = await adminApp({ fleet: new FleetSource(await generateFleetStore(140, 2), false) });
  });
  after(async () => {
    await t.app.close();
  });
  const page = (url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: t.session.cookie } });

  test('without a session both pages send to the login page', async () => {
    for (const url of ['/ui/fleet', '/ui/fleet/d00007.test']) {
      const r = await t.app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 303, url);
      assert.match(String(r.headers.location), /^\/ui\/login\?next=/);
    }
  });

  test('the fleet page: counts per client, codes, the chart with its text alternative, a filtered page', async () => {
    const r = await page('/ui/fleet?client=outlook-2013&outcome=prompt');
    assert.equal(r.statusCode, 200);
    const body = r.body;
    assert.match(body, /<a href="\/ui\/fleet"[^>]*aria-current="page">Fleet<\/a>/);
    assert.match(body, /140 domain\(s\) audited; <strong>24<\/strong> with a client that gets no settings/);
    assert.match(body, /<svg role="img" aria-labelledby="trend-title trend-desc"/);
    assert.match(
      body,
      /<desc id="trend-desc">Broken domains over the last 2 run\(s\): 32 of 140 in run 1, 24 of 140 in run 2\.<\/desc>/,
    );
    assert.match(body, /<caption>Broken domains per run<\/caption>/);
    // Every seventh domain but every 14th and every 10th (70 and 140 fail instead).
    assert.match(body, /<caption>Domains \(filtered\): 1–10 of 10<\/caption>/);
    const listed = [...body.matchAll(/<th scope="row"><a href="\/ui\/fleet\/([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(listed, [
      'd00007.test',
      'd00021.test',
      'd00035.test',
      'd00049.test',
      'd00063.test',
      'd00077.test',
      'd00091.test',
      'd00105.test',
      'd00119.test',
      'd00133.test',
    ]);
    assert.match(body, /<option value="outlook-2013" selected>/);
    // The counts link to their own filter, not to the current one narrowed further.
    assert.match(body, /<a href="\/ui\/fleet\?code=ROOT_DOMAIN_BLOCKS_FALLBACK">/);
  });

  test('pages of 50 keep the filters in their links; a bad filter is named, not a blank page', async () => {
    const first = (await page('/ui/fleet?search=d00')).body;
    assert.match(first, /1–50 of 140/);
    assert.match(first, /<a href="\/ui\/fleet\?search=d00&#38;offset=50">Next<\/a>/);
    const last = (await page('/ui/fleet?search=d00&offset=100')).body;
    assert.match(last, /101–140 of 140/);
    assert.doesNotMatch(last, />Next</);
    const bad = await page('/ui/fleet?outcome=sad');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /outcome "sad": Invalid option/);
  });

  test('a domain page: latest per client, events newest first, the kept reports, a link to diagnose it', async () => {
    const r = await page('/ui/fleet/d00007.test');
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /<h1>Fleet: d00007\.test<\/h1>/);
    assert.match(r.body, /href="\/ui\/diagnose\?email=postmaster%40d00007\.test">Diagnose postmaster@d00007\.test now/);
    assert.match(r.body, /broken since 2026-03-01 10:00:00 UTC/);
    const events = [
      ...r.body.matchAll(/<span class="method">([^<]+)<\/span> <span class="result">([^<]+)<\/span>/g),
    ].map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(events, ['new problem outlook-2013', 'new problem outlook']);
    assert.match(r.body, /<code>ROOT_DOMAIN_BLOCKS_FALLBACK<\/code>/);
    const unknown = await page('/ui/fleet/nowhere.test');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /No audit result of nowhere\.test is stored/);
  });

  test('the diagnose page takes the address from the link', async () => {
    const r = await page('/ui/diagnose?email=postmaster%40d00007.test');
    assert.match(r.body, /id="f-email"[^>]*value="postmaster@d00007\.test"/);
  });

  test('without results the page prints the command that makes them', async () => {
    const empty = await adminApp({ fleet: new FleetSource('data/audit.sqlite.absent', true) });
    try {
      const r = await empty.app.inject({ method: 'GET', url: '/ui/fleet', headers: { cookie: empty.session.cookie } });
      assert.equal(r.statusCode, 200);
      assert.match(r.body, /no audit results yet: data\/audit\.sqlite\.absent does not exist/);
      assert.match(r.body, /<pre><code>[^<]* audit &#60;file&#62;<\/code><\/pre>/);
    } finally {
      await empty.app.close();
    }
  });
});
