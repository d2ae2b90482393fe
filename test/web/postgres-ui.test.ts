/**
 * The web UI and admin API with `--db postgres://…`, through the real commands against a throw-away cluster:
 * `admin add-user` and `add-token` write the accounts into PostgreSQL; `serve --ui` logs in through the form, adds
 * a domain with the session (CSRF) and with the token, and shows both changes in the audit log; nothing printed
 * carries the database password, and the rows are in PostgreSQL (not in a file beside).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { EXAMPLE_CONFIG } from '../helpers/app.js';
import { cli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';

const PASSWORD = 'a long enough password';

describe('web UI and admin API on PostgreSQL', () => {
  let cluster: PgCluster;
  let url: string;
  let dir: string;
  const children: ChildProcess[] = [];
  before(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase();
    dir = await mkdtemp(join(tmpdir(), 'adk-pg-ui-'));
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await cluster.stop();
  });

  test('admin add-user and add-token --db postgres:// (the settings must be there first; no password printed)', async () => {
    const shown = url.replace(`:${cluster.password}@`, '@');
    const early = await cli(['admin', 'add-user', 'ops', '--db', url, '--password-env', 'P'], {
      env: { P: PASSWORD },
      cwd: dir,
    });
    assert.equal(early.code, 2, early.stderr);
    assert.match(early.stderr, /the database holds no autodisco tables.*\[ADK_ERR_STORE_NOT_FOUND\]/);
    assert.ok(!early.stderr.includes(cluster.password));

    assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', url], { cwd: dir })).code, 0);
    const added = await cli(['admin', 'add-user', 'ops', '--db', url, '--password-env', 'P'], {
      env: { P: PASSWORD },
      cwd: dir,
    });
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, `created account ops in ${shown}\n`);
    const again = await cli(['admin', 'add-user', 'ops', '--db', url, '--password-env', 'P'], {
      env: { P: PASSWORD },
      cwd: dir,
    });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /account "ops" exists already; add --reset/);

    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [account] = await sql<
        { password_hash: string }[]
      >`SELECT password_hash FROM autodisco_admin_accounts WHERE name = 'ops'`;
      assert.match(account?.password_hash ?? '', /^\$argon2id\$/);
    } finally {
      await sql.end();
    }
    assert.deepEqual(await readdir(dir), [], 'no SQLite file was made beside');
  });

  test('serve --ui: log in, add a domain with the session and with a token, read the audit log', async () => {
    const tokenRun = await cli(['admin', 'add-token', 'ops', '--label', 'deploy', '--db', url], { cwd: dir });
    assert.equal(tokenRun.code, 0, tokenRun.stderr);
    const token = tokenRun.stdout.trim();

    const child = spawnCli(['serve', '--db', url, '--http', '127.0.0.1:0', '--workers', '1', '--ui'], undefined, dir);
    children.push(child);
    const out = await waitForOutput(child, /Ctrl-C stops/);
    assert.ok(!out.includes(cluster.password), out);
    const base = /http +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(base, out);
    assert.match(out, new RegExp(`Web UI: ${base}/ui/\\n`));

    // The login form: its CSRF cookie and token, then the password.
    const form = await fetch(`${base}/ui/login`);
    const loginCookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const bad = await fetch(`${base}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'ops', password: 'wrong password!', _csrf: csrf, next: '/ui/domains' }),
    });
    assert.equal(bad.status, 401);
    const login = await fetch(`${base}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'ops', password: PASSWORD, _csrf: csrf, next: '/ui/domains' }),
    });
    assert.equal(login.status, 303);
    const session = (login.headers.getSetCookie().find((c) => c.startsWith('adk_session=')) ?? '').split(';')[0] ?? '';
    assert.ok(session);
    const page = await fetch(`${base}/ui/domains`, { headers: { cookie: session } });
    assert.equal(page.status, 200);
    const sessionCsrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1];
    assert.ok(sessionCsrf, 'the page carries the session CSRF token');

    const post = (name: string, headers: Record<string, string>) =>
      fetch(`${base}/api/v1/domains`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name, imap: { host: `imap.${name}` } }),
      });
    assert.equal((await post('nocsrf.test', { cookie: session })).status, 403);
    assert.equal((await post('pg-session.test', { cookie: session, 'x-csrf-token': sessionCsrf })).status, 201);
    assert.equal((await post('pg-token.test', { authorization: `Bearer ${token}` })).status, 201);
    assert.equal((await post('anon.test', {})).status, 401);

    const log = (await (await fetch(`${base}/api/v1/audit?limit=10`, { headers: { cookie: session } })).json()) as {
      items: { actor: string; action: string; target: string; after: { imap?: { host: string } } | null }[];
    };
    const changes = log.items.filter((e) => e.action.startsWith('domain.'));
    assert.deepEqual(
      changes.map((e) => [e.actor, e.action, e.target, e.after?.imap?.host]),
      [
        ['ops (token "deploy")', 'domain.create', 'domain pg-token.test', 'imap.pg-token.test'],
        ['ops', 'domain.create', 'domain pg-session.test', 'imap.pg-session.test'],
      ],
    );
    assert.deepEqual(
      log.items.filter((e) => e.action === 'session.login').map((e) => e.actor),
      ['ops'],
      'the login is logged',
    );

    // What the server wrote is in PostgreSQL: the session (hashed), the domains, the audit rows.
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [sessions] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM autodisco_admin_sessions`;
      assert.equal(sessions?.n, 1);
      const [audit] = await sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM autodisco_admin_audit WHERE target LIKE 'domain pg-%'`;
      assert.equal(audit?.n, 2);
      const [domain] = await sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM autodisco_domains WHERE name = 'pg-token.test'`;
      assert.equal(domain?.n, 1);
    } finally {
      await sql.end();
    }

    // PostgreSQL away: the admin layer answers 503 with the reason, Autodiscover answers from memory, then both resume.
    const autoconfigUrl = `${base}/mail/config-v1.1.xml?emailaddress=sam@example.test`;
    assert.equal((await fetch(autoconfigUrl)).status, 200);
    cluster.stopServer();
    try {
      const away = await fetch(`${base}/api/v1/audit`, { headers: { cookie: session } });
      assert.equal(away.status, 503);
      assert.equal(away.headers.get('retry-after'), '5');
      const body = (await away.json()) as { error: string; message: string };
      assert.equal(body.error, 'unavailable');
      assert.match(body.message, /^the accounts database is away \(/);
      assert.ok(!JSON.stringify(body).includes(cluster.password));
      // A page of the UI gets a page saying the same, not the API's JSON.
      const page = await fetch(`${base}/ui/domains`, { headers: { cookie: session } });
      assert.equal(page.status, 503);
      assert.equal(page.headers.get('retry-after'), '5');
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.headers.get('content-security-policy') ?? '', /style-src 'self'/);
      const text = await page.text();
      assert.match(text, /<h1>The admin pages are unavailable<\/h1>/);
      assert.match(text, /the accounts database is away \(/);
      assert.match(text, /Autodiscover clients are still answered/);
      assert.ok(!text.includes(cluster.password));
      const autoconfig = await fetch(autoconfigUrl);
      assert.equal(autoconfig.status, 200, 'Autodiscover keeps answering an address it read (degraded mode)');
    } finally {
      cluster.startServer();
    }
    const back = await fetch(`${base}/api/v1/audit?limit=1`, { headers: { cookie: session } });
    assert.equal(back.status, 200);
    child.kill('SIGTERM');
  });
});
