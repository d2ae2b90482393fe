import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AdminApp, adminApp, asSession } from '../helpers/admin-app.js';

describe('admin API: domains and users', () => {
  let t: AdminApp;
  before(async () => {
    t = await adminApp();
  });
  after(async () => {
    await t.app.close();
  });

  test('every read and write answers 401 without a session or token', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/domains'],
      ['POST', '/api/v1/domains'],
      ['GET', '/api/v1/domains/example.test'],
      ['PUT', '/api/v1/domains/example.test'],
      ['DELETE', '/api/v1/domains/example.test'],
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/users'],
      ['DELETE', '/api/v1/users/chris@example.test'],
      ['GET', '/api/v1/audit'],
      ['POST', '/api/v1/diagnoses'],
      ['GET', '/api/v1/tokens'],
    ] as const) {
      const r = await t.app.inject({ method, url, payload: method === 'GET' || method === 'DELETE' ? undefined : {} });
      assert.equal(r.statusCode, 401, `${method} ${url}`);
      assert.equal(r.json().error, 'unauthenticated');
    }
  });

  test('a session write without its CSRF token is refused (403), with it accepted', async () => {
    const domain = { name: 'csrf.test', imap: { host: 'imap.csrf.test' } };
    const without = await t.app.inject({
      method: 'POST',
      url: '/api/v1/domains',
      headers: { cookie: t.session.cookie },
      payload: domain,
    });
    assert.equal(without.statusCode, 403);
    assert.equal(without.json().error, 'csrf');
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/domains',
      headers: { cookie: t.session.cookie, 'x-csrf-token': 'nope' },
      payload: domain,
    });
    assert.equal(wrong.statusCode, 403);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/domains',
      headers: asSession(t.session),
      payload: domain,
    });
    assert.equal(ok.statusCode, 201);
    assert.equal(ok.json().imap.port, undefined);
    assert.equal((await t.store.findDomain('csrf.test'))?.imap?.host, 'imap.csrf.test');
  });

  test("validation is import's, field by field, relative to the record", async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/domains',
      headers: asSession(t.session),
      payload: { name: 'bad.test', imap: { host: 'imap.bad.test', port: 99999 }, smtp: { host: 'mail.bad.test/evil' } },
    });
    assert.equal(r.statusCode, 422);
    const problems = r.json().problems as { path: string; message: string }[];
    assert.deepEqual(
      problems.find((p) => p.path === 'imap.port'),
      { path: 'imap.port', message: 'Too big: expected number to be <=65535 (got 99999)' },
    );
    assert.ok(problems.some((p) => p.path === 'smtp.host' && p.message.includes('"/" is not allowed in a host name')));
    assert.equal(await t.store.findDomain('bad.test'), undefined);
  });

  test('a duplicate name names the stored domain that has it', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/domains',
      headers: asSession(t.session),
      payload: { name: 'dup.test', aliases: ['example.test'] },
    });
    assert.equal(r.statusCode, 422);
    assert.deepEqual(r.json().problems, [
      { path: 'aliases[0]', message: '"example.test" is already used at domain "example.test"' },
    ]);
  });

  test('users: create, read, list with search, replace, refuse an unknown domain, delete; all audited', async () => {
    const h = asSession(t.session);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { email: 'x@nowhere.test' },
    });
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json().problems, [
      {
        path: 'email',
        message: 'domain "nowhere.test" is not in domains (expected one of the domain names or aliases)',
      },
    ]);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { email: 'New.Person@example.test', displayName: 'New' },
    });
    assert.equal(created.statusCode, 201);
    assert.equal(created.json().email, 'new.person@example.test');
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { email: 'new.person@example.test' },
    });
    assert.equal(again.statusCode, 409);
    const list = await t.app.inject({ url: '/api/v1/users?search=new.per', headers: { cookie: t.session.cookie } });
    assert.deepEqual(
      list.json().items.map((u: { email: string }) => u.email),
      ['new.person@example.test'],
    );
    assert.equal(list.json().total, 1);
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/users/new.person@example.test',
      headers: h,
      payload: { email: 'new.person@example.test', displayName: 'Renamed' },
    });
    assert.equal(put.statusCode, 200);
    const other = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/users/new.person@example.test',
      headers: h,
      payload: { email: 'someone@example.test' },
    });
    assert.equal(other.statusCode, 422);
    assert.equal(other.json().problems[0].path, 'email');
    const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/users/new.person@example.test', headers: h });
    assert.equal(del.statusCode, 204);
    assert.equal(await t.store.findUser('new.person@example.test'), undefined);
    const audit = (await t.adminStore.auditLog({ offset: 0, limit: 10, search: 'new.person' })).items;
    assert.deepEqual(
      audit.map((e) => e.action),
      ['user.delete', 'user.update', 'user.create'],
    );
    assert.equal(audit[1]?.actor, 'alice');
    assert.deepEqual(audit[1]?.before, { email: 'new.person@example.test', displayName: 'New' });
    assert.deepEqual(audit[1]?.after, { email: 'new.person@example.test', displayName: 'Renamed' });
  });

  test('a user redirect cycle through stored users is refused and named', async () => {
    const h = asSession(t.session);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { email: 'a@example.test', redirectAddr: 'b@example.test' },
    });
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { email: 'b@example.test', redirectAddr: 'a@example.test' },
    });
    assert.equal(r.statusCode, 422);
    assert.match(JSON.stringify(r.json().problems), /redirect cycle/);
  });

  test('a domain with users cannot be deleted; an empty one can', async () => {
    const h = asSession(t.session);
    const refused = await t.app.inject({ method: 'DELETE', url: '/api/v1/domains/example.test', headers: h });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json().message, /still has \d+ user\(s\)/);
    await t.app.inject({ method: 'POST', url: '/api/v1/domains', headers: h, payload: { name: 'gone.test' } });
    assert.equal(
      (await t.app.inject({ method: 'DELETE', url: '/api/v1/domains/gone.test', headers: h })).statusCode,
      204,
    );
    assert.equal(await t.store.findDomain('gone.test'), undefined);
  });

  test('an API token works without CSRF, is stored hashed, and is refused once deleted', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: asSession(t.session),
      payload: { label: 'deploy' },
    });
    assert.equal(created.statusCode, 201);
    const { token, id } = created.json();
    assert.match(token, /^adk_/);
    const bearer = { authorization: `Bearer ${token}` };
    const write = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/domains/token.test',
      headers: bearer,
      payload: { name: 'token.test' },
    });
    assert.equal(write.statusCode, 201);
    const entry = (await t.adminStore.auditLog({ offset: 0, limit: 1, search: 'token.test' })).items[0];
    assert.equal(entry?.actor, 'alice (token "deploy")');
    assert.equal(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: asSession(t.session) })).statusCode,
      204,
    );
    assert.equal((await t.app.inject({ url: '/api/v1/domains', headers: bearer })).statusCode, 401);
  });

  test('one domain by its own name (any case, Unicode or A-label); an alias is not a domain of its own', async () => {
    const c = { cookie: t.session.cookie };
    const one = await t.app.inject({ url: '/api/v1/domains/Example.TEST', headers: c });
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().name, 'example.test');
    const alias = one.json().aliases[0];
    if (alias) assert.equal((await t.app.inject({ url: `/api/v1/domains/${alias}`, headers: c })).statusCode, 404);
    assert.equal((await t.app.inject({ url: '/api/v1/domains/missing.test', headers: c })).statusCode, 404);
  });

  test('paged lists: limit, offset, total; a bad limit is a field problem', async () => {
    const r = await t.app.inject({ url: '/api/v1/domains?limit=1&offset=1', headers: { cookie: t.session.cookie } });
    assert.equal(r.json().items.length, 1);
    assert.ok(r.json().total >= 2);
    const bad = await t.app.inject({ url: '/api/v1/domains?limit=0', headers: { cookie: t.session.cookie } });
    assert.equal(bad.statusCode, 422);
    assert.equal(bad.json().problems[0].path, 'limit');
  });

  test('logout everywhere ends every session of the account', async () => {
    const second = await t.auth.startSession('alice');
    const r = await t.app.inject({ method: 'DELETE', url: '/api/v1/sessions', headers: asSession(t.session) });
    assert.equal(r.statusCode, 200);
    assert.ok(r.json().ended >= 2);
    assert.equal(
      (await t.app.inject({ url: '/api/v1/domains', headers: { cookie: `adk_session=${second.sessionId}` } }))
        .statusCode,
      401,
    );
    const fresh = await t.auth.startSession('alice');
    t.session = { cookie: `adk_session=${fresh.sessionId}`, csrf: fresh.session.csrfToken };
  });

  test('preview: the real server answers for the unsaved record, which is checked as import checks it', async () => {
    const h = asSession(t.session);
    const domain = {
      name: 'preview.test',
      imap: { host: 'imap.preview.test', port: 1993 },
      smtp: { host: 'smtp.preview.test' },
    };
    const outlook = await t.app.inject({
      method: 'POST',
      url: '/api/v1/preview',
      headers: h,
      payload: { email: 'ann@preview.test', domain },
    });
    assert.equal(outlook.statusCode, 200, outlook.body);
    assert.equal(outlook.json().status, 200);
    assert.match(outlook.json().body, /<Server>imap\.preview\.test<\/Server>/);
    assert.match(outlook.json().body, /<Port>1993<\/Port>/);
    const thunderbird = await t.app.inject({
      method: 'POST',
      url: '/api/v1/preview',
      headers: h,
      payload: { email: 'ann@preview.test', domain, format: 'autoconfig' },
    });
    assert.match(thunderbird.json().body, /<hostname>imap\.preview\.test<\/hostname>/);
    assert.equal(await t.store.findDomain('preview.test'), undefined, 'nothing is saved');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/preview',
      headers: h,
      payload: { email: 'ann@preview.test', domain: { ...domain, imap: { host: 'x.test', port: 99999 } } },
    });
    assert.equal(bad.statusCode, 422);
    assert.equal(bad.json().problems[0].path, 'imap.port');
  });

  test("export and import the whole configuration as YAML: import's problems, refusal to empty, snapshot, audit", async () => {
    const h = asSession(t.session);
    const exported = await t.app.inject({ url: '/api/v1/export', headers: { cookie: t.session.cookie } });
    assert.equal(exported.statusCode, 200);
    assert.match(String(exported.headers['content-disposition']), /autodisco-settings\.yaml/);
    assert.match(exported.body, /name: example\.test/);
    const yaml = { ...h, 'content-type': 'application/yaml' };
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/import',
      headers: yaml,
      payload: 'domains:\n  - name: x.test\n    imap: { host: imap.x.test, port: 99999 }\n',
    });
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json().problems, [
      { path: 'domains[0].imap.port', message: 'Too big: expected number to be <=65535 (got 99999)' },
    ]);
    const empty = await t.app.inject({
      method: 'POST',
      url: '/api/v1/import',
      headers: yaml,
      payload: 'domains: []\n',
    });
    assert.equal(empty.statusCode, 409);
    assert.match(empty.json().message, /\?allowEmpty=true/);
    const changed = exported.body.replace('displayName: Example Mail', 'displayName: Changed Mail');
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/import',
      headers: yaml,
      payload: changed === exported.body ? `${exported.body}\n# changed\n` : changed,
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const entry = (await t.adminStore.auditLog({ offset: 0, limit: 1, search: 'store.import' })).items[0];
    assert.equal(entry?.actor, 'alice');
    assert.ok(((entry?.before as { domains?: number } | undefined)?.domains ?? 0) >= 2);
  });

  test('the OpenAPI description is served and lists every route', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/api/v1/domains',
      '/api/v1/domains/{name}',
      '/api/v1/users/{email}',
      '/api/v1/diagnoses/{id}/events',
    ]) {
      assert.ok(doc.paths[path], path);
    }
    assert.equal(doc.components.schemas.Domain.properties.imap.properties.port.maximum, 65535);
  });
});
