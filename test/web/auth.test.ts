import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Auth, LOCK_AFTER, LOGIN_ATTEMPTS_PER_WINDOW } from '../../src/auth/auth.js';
import { hashPassword, verifyPassword } from '../../src/auth/password.js';
import { secretHash } from '../../src/auth/secrets.js';
import { SqliteAdminStore } from '../../src/auth/sqlite-admin-store.js';
import { type AdminApp, adminApp, PASSWORD } from '../helpers/admin-app.js';

/** The cookies of an answer, by name, with their attributes as written. */
function cookies(setCookie: string | string[] | undefined): Map<string, string> {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return new Map(list.map((c) => [c.slice(0, c.indexOf('=')), c]));
}

async function loginForm(t: AdminApp) {
  const page = await t.app.inject({ url: '/ui/login' });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const cookie = (cookies(page.headers['set-cookie']).get('adk_login') ?? '').split(';')[0] ?? '';
  return { token, cookie };
}

async function postLogin(t: AdminApp, name: string, password: string, ip = '127.0.0.1') {
  const { token, cookie } = await loginForm(t);
  return t.app.inject({
    method: 'POST',
    url: '/ui/login',
    remoteAddress: ip,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ name, password, _csrf: token, next: '/ui/domains' }).toString(),
  });
}

describe('passwords', () => {
  test('Argon2id hashes with the stored parameters; a wrong password and an unknown account are refused', async () => {
    const hash = await hashPassword(PASSWORD);
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await verifyPassword(hash, PASSWORD), true);
    assert.equal(await verifyPassword(hash, `${PASSWORD}x`), false);
    assert.equal(await verifyPassword(undefined, PASSWORD), false);
  });
});

describe('logging in through the form', () => {
  test('a good login sets an HttpOnly, SameSite=Strict, Secure (HTTPS) session cookie and goes to next', async () => {
    const t = await adminApp();
    try {
      const r = await postLogin(t, 'alice', PASSWORD);
      assert.equal(r.statusCode, 303);
      assert.equal(r.headers.location, '/ui/domains');
      const session = cookies(r.headers['set-cookie']).get('adk_session') ?? '';
      assert.match(session, /; HttpOnly/);
      assert.match(session, /; SameSite=Strict/);
      assert.match(session, /; Secure/);
      const value = session.slice('adk_session='.length, session.indexOf(';'));
      // Stored hashed: the cookie value itself is nowhere in the database.
      assert.ok(await t.adminStore.findSession(secretHash(value), new Date()));
      assert.equal(await t.adminStore.findSession(value, new Date()), undefined);
      const page = await t.app.inject({ url: '/ui/domains', headers: { cookie: `adk_session=${value}` } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /example\.test/);
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    } finally {
      await t.app.close();
    }
  });

  test('no Secure flag on a plain-HTTP listener (the development one)', async () => {
    const t = await adminApp({ transport: 'http' });
    try {
      const r = await postLogin(t, 'alice', PASSWORD);
      assert.doesNotMatch(cookies(r.headers['set-cookie']).get('adk_session') ?? '', /Secure/);
    } finally {
      await t.app.close();
    }
  });

  test('a login form without its CSRF token is refused (403) and logs nobody in', async () => {
    const t = await adminApp();
    try {
      const r = await t.app.inject({
        method: 'POST',
        url: '/ui/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ name: 'alice', password: PASSWORD }).toString(),
      });
      assert.equal(r.statusCode, 403);
      assert.equal(cookies(r.headers['set-cookie']).has('adk_session'), false);
    } finally {
      await t.app.close();
    }
  });

  test(`${LOCK_AFTER} wrong passwords lock the account, even against the right one`, async () => {
    const t = await adminApp();
    try {
      for (let i = 0; i < LOCK_AFTER; i++)
        assert.equal((await postLogin(t, 'alice', 'wrong', `10.0.0.${i}`)).statusCode, 401);
      const locked = await postLogin(t, 'alice', PASSWORD, '10.0.1.1');
      assert.equal(locked.statusCode, 429);
      assert.match(locked.body, /locked after too many failed logins/);
      assert.match(locked.body, /admin add-user alice --reset/);
    } finally {
      await t.app.close();
    }
  });

  test(`more than ${LOGIN_ATTEMPTS_PER_WINDOW} attempts from one address are rate-limited, whatever the account`, async () => {
    const t = await adminApp();
    try {
      for (let i = 0; i < LOGIN_ATTEMPTS_PER_WINDOW; i++) await postLogin(t, `nobody${i}`, 'x', '10.9.9.9');
      const r = await postLogin(t, 'alice', PASSWORD, '10.9.9.9');
      assert.equal(r.statusCode, 429);
      assert.ok(Number(r.headers['retry-after']) > 0);
      assert.equal((await postLogin(t, 'alice', PASSWORD, '10.9.9.10')).statusCode, 303);
    } finally {
      await t.app.close();
    }
  });

  test('logout ends the session; a login link works once', async () => {
    const t = await adminApp();
    try {
      const r = await t.app.inject({
        method: 'POST',
        url: '/ui/logout',
        headers: { cookie: t.session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=${encodeURIComponent(t.session.csrf)}`,
      });
      assert.equal(r.statusCode, 303);
      assert.equal(
        (await t.app.inject({ url: '/api/v1/domains', headers: { cookie: t.session.cookie } })).statusCode,
        401,
      );

      const secret = await t.auth.createLoginLink('alice');
      const { token, cookie } = await loginForm(t);
      const use = () =>
        t.app.inject({
          method: 'POST',
          url: '/ui/login/link',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ secret, _csrf: token }).toString(),
        });
      assert.equal((await use()).statusCode, 303);
      assert.equal((await use()).statusCode, 403);
    } finally {
      await t.app.close();
    }
  });
});

test('admin store: migrations are idempotent and on their own track', async () => {
  const store = new SqliteAdminStore(':memory:');
  const auth = new Auth(store);
  assert.equal(await store.countAccounts(), 0);
  assert.equal(await store.addAccount('bob', 'h', new Date()), true);
  assert.equal(await store.addAccount('bob', 'h', new Date()), false);
  const { token } = await auth.createToken('bob', 'ci');
  assert.equal((await store.listTokens('bob'))[0]?.label, 'ci');
  assert.doesNotMatch(JSON.stringify(await store.listTokens('bob')), new RegExp(token));
  await store.close();
});
