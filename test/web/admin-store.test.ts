/**
 * The AdminStore contract, run against SQLite and PostgreSQL alike (a throw-away cluster, test/helpers/postgres.ts):
 * accounts and lockout, sessions, tokens, login links, the audit log and stored diagnoses. Two stores opened on
 * one location share their contents, as two `serve` workers do.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import type { AdminStore } from '../../src/auth/admin-store.js';
import { openAdminStoreAt } from '../../src/auth/open-admin-store.js';
import { PostgresAdminStore } from '../../src/auth/postgres-admin-store.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';

interface AdminBackend {
  location(): Promise<string>;
  stop(): Promise<void>;
  cluster?: PgCluster;
}

const backends: [string, () => Promise<AdminBackend>][] = [
  [
    'sqlite',
    async () => ({
      location: async () => join(await mkdtemp(join(tmpdir(), 'adk-admin-store-')), 'db.sqlite'),
      stop: async () => {},
    }),
  ],
  [
    'postgres',
    async () => {
      const cluster = await startPostgres();
      return { cluster, location: () => cluster.createDatabase(), stop: () => cluster.stop() };
    },
  ],
];

const T0 = new Date('2026-12-07T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

for (const [name, start] of backends) {
  describe(`admin store contract: ${name}`, () => {
    let backend: AdminBackend;
    const opened: AdminStore[] = [];
    before(async () => {
      backend = await start();
    });
    after(async () => {
      await Promise.allSettled(opened.map((s) => s.close()));
      await backend.stop();
    });
    const open = async (location: string) => {
      const store = await openAdminStoreAt(location);
      opened.push(store);
      return store;
    };
    const fresh = async () => open(await backend.location());

    test('accounts: created once, counted, password set; failures lock at the threshold and clear', async () => {
      const store = await fresh();
      assert.equal(await store.countAccounts(), 0);
      assert.equal(await store.addAccount('alice', 'h1', T0), true);
      assert.equal(await store.addAccount('alice', 'h2', T0), false, 'a taken name');
      assert.equal(await store.countAccounts(), 1);
      assert.deepEqual(await store.findAccount('alice'), {
        name: 'alice',
        passwordHash: 'h1',
        createdAt: T0.toISOString(),
        failedLogins: 0,
        lockedUntil: null,
      });
      assert.equal(await store.findAccount('Alice'), undefined, 'names are exact');
      const until = later(15 * 60_000);
      await store.recordFailedLogin('alice', 3, until);
      await store.recordFailedLogin('alice', 3, until);
      assert.equal((await store.findAccount('alice'))?.lockedUntil, null, 'below the threshold');
      await store.recordFailedLogin('alice', 3, until);
      assert.equal((await store.findAccount('alice'))?.failedLogins, 3);
      assert.equal((await store.findAccount('alice'))?.lockedUntil, until.toISOString());
      await store.clearFailedLogins('alice');
      assert.equal((await store.findAccount('alice'))?.failedLogins, 0);
      assert.equal((await store.findAccount('alice'))?.lockedUntil, null);
      await store.recordFailedLogin('alice', 1, until);
      await store.setPassword('alice', 'h3');
      const reset = await store.findAccount('alice');
      assert.equal(reset?.passwordHash, 'h3');
      assert.equal(reset?.lockedUntil, null, 'a new password unlocks');
    });

    test('sessions: found until they expire, deleted one by one or all of an account; expired ones are swept', async () => {
      const store = await fresh();
      await store.addAccount('alice', 'h', T0);
      await store.addAccount('bob', 'h', T0);
      const session = (account: string, ms: number) => ({
        account,
        csrfToken: `csrf-${account}-${ms}`,
        createdAt: T0.toISOString(),
        expiresAt: later(ms).toISOString(),
      });
      await store.addSession('s1', session('alice', 60_000));
      await store.addSession('s2', session('alice', 120_000));
      await store.addSession('s3', session('bob', 60_000));
      assert.deepEqual(await store.findSession('s1', later(1000)), session('alice', 60_000));
      assert.equal(await store.findSession('s1', later(60_000)), undefined, 'expired at expiresAt');
      assert.equal(await store.findSession('nope', T0), undefined);
      await store.deleteSession('s2');
      assert.equal(await store.findSession('s2', T0), undefined);
      await store.addSession('s4', session('alice', 60_000));
      assert.equal(await store.deleteSessions('alice'), 2, 'logout everywhere');
      assert.ok(await store.findSession('s3', T0), "another account's session stays");
      // A session made after the others expired sweeps them.
      await store.addSession('s5', { ...session('bob', 60_000), createdAt: later(61_000).toISOString() });
      assert.equal(await store.deleteSessions('bob'), 1, 'only the new one was left');
    });

    test('tokens: listed in order, used (last used at), deleted only by their account', async () => {
      const store = await fresh();
      await store.addAccount('alice', 'h', T0);
      await store.addAccount('bob', 'h', T0);
      const a = await store.addToken('hash-a', 'alice', 'deploy', T0);
      const b = await store.addToken('hash-b', 'alice', 'ci', later(1000));
      assert.deepEqual(a, {
        id: a.id,
        account: 'alice',
        label: 'deploy',
        createdAt: T0.toISOString(),
        lastUsedAt: null,
      });
      assert.ok(b.id > a.id);
      const used = await store.useToken('hash-b', later(5000));
      assert.equal(used?.id, b.id);
      assert.equal(used?.lastUsedAt, later(5000).toISOString());
      assert.equal(await store.useToken('hash-x', T0), undefined);
      assert.deepEqual(
        (await store.listTokens('alice')).map((t) => [t.label, t.lastUsedAt]),
        [
          ['deploy', null],
          ['ci', later(5000).toISOString()],
        ],
      );
      assert.equal(await store.deleteToken('bob', a.id), false, "not bob's");
      assert.equal(await store.deleteToken('alice', a.id), true);
      assert.equal(await store.useToken('hash-a', T0), undefined);
      assert.deepEqual(await store.listTokens('bob'), []);
    });

    test('a login link works once and not after it expires', async () => {
      const store = await fresh();
      await store.addAccount('admin', 'h', T0);
      await store.addLoginLink('link-1', 'admin', later(60_000));
      await store.addLoginLink('link-2', 'admin', later(60_000));
      assert.equal(await store.takeLoginLink('link-1', later(1000)), 'admin');
      assert.equal(await store.takeLoginLink('link-1', later(1000)), undefined, 'once');
      assert.equal(await store.takeLoginLink('link-2', later(60_000)), undefined, 'expired');
      assert.equal(await store.takeLoginLink('link-2', T0), undefined, 'and gone');
    });

    test('audit log: newest first, paged, searched (any case, % and _ literal), before and after as written', async () => {
      const store = await fresh();
      for (let i = 0; i < 5; i++) {
        await store.audit({
          at: later(i * 1000).toISOString(),
          actor: i % 2 ? 'alice' : 'bob (token "ci")',
          action: 'domain.update',
          target: `domain d${i}_x.test`,
          before: i === 0 ? null : { port: 443, name: `d${i}`, nested: { z: 1, a: [1, 'two'] } },
          after: { name: `d${i}`, port: 993 },
        });
      }
      const all = await store.auditLog({ offset: 0, limit: 2 });
      assert.equal(all.total, 5);
      assert.deepEqual(
        all.items.map((e) => e.target),
        ['domain d4_x.test', 'domain d3_x.test'],
      );
      assert.equal(all.items[0]?.at, later(4000).toISOString());
      assert.deepEqual(all.items[0]?.before, { port: 443, name: 'd4', nested: { z: 1, a: [1, 'two'] } });
      assert.equal(JSON.stringify(all.items[0]?.before), '{"port":443,"name":"d4","nested":{"z":1,"a":[1,"two"]}}');
      const page = await store.auditLog({ offset: 4, limit: 2 });
      assert.deepEqual(
        page.items.map((e) => [e.target, e.before]),
        [['domain d0_x.test', null]],
      );
      assert.equal((await store.auditLog({ offset: 0, limit: 10, search: 'ALICE' })).total, 2);
      assert.equal((await store.auditLog({ offset: 0, limit: 10, search: 'd1_x' })).total, 1);
      assert.equal((await store.auditLog({ offset: 0, limit: 10, search: 'd1%' })).total, 0, '% is literal');
      assert.equal((await store.auditLog({ offset: 0, limit: 10, search: '"ci"' })).total, 3);
    });

    test('diagnoses: stored with their request and reports, found by id, saved again in place', async () => {
      const store = await fresh();
      const d = {
        id: 'AAAAAAAAAAAAAAAAAAAAAA',
        createdAt: T0.toISOString(),
        account: null,
        request: { email: 'chris@example.test', client: 'all', credentials: false },
        reports: [{ client: 'outlook', steps: [{ url: 'https://x/', ok: false }], findings: [] }],
      };
      await store.saveDiagnosis(d);
      assert.deepEqual(await store.findDiagnosis(d.id), d);
      await store.saveDiagnosis({ ...d, account: 'alice' });
      assert.equal((await store.findDiagnosis(d.id))?.account, 'alice');
      assert.equal(await store.findDiagnosis('BBBBBBBBBBBBBBBBBBBBBB'), undefined);
    });

    test('runs: the cap on running diagnoses and the per-requester limit hold across stores; silent runs stop counting', async () => {
      const location = await backend.location();
      const one = await open(location);
      const two = await open(location);
      const limits = { maxRunning: 2, perRequester: 3, windowMs: 60_000, staleMs: 10_000 };
      const run = (id: string, requester: string, ms: number) => ({ id, requesterHash: requester, at: later(ms) });
      assert.deepEqual(await one.startRun(run('r1', 'alice', 0), limits), { ok: true });
      assert.deepEqual(await two.startRun(run('r2', 'bob', 1000), limits), { ok: true });
      assert.deepEqual(await one.startRun(run('r3', 'carol', 2000), limits), { ok: false, reason: 'busy', running: 2 });
      await two.finishRun('r1', later(3000));
      assert.deepEqual(await one.startRun(run('r4', 'alice', 4000), limits), { ok: true });
      await one.finishRun('r4', later(5000));
      assert.deepEqual(await two.startRun(run('r5', 'alice', 6000), limits), { ok: true });
      await one.finishRun('r5', later(6500));
      // alice started three in the window: the fourth waits until the first of them (at 0 s) leaves it (at 60 s).
      assert.deepEqual(await two.startRun(run('r6', 'alice', 7000), limits), {
        ok: false,
        reason: 'rate-limited',
        retryAfterS: 53,
      });
      // r2 (bob) wrote nothing for longer than staleMs: its worker died; it no longer holds a place.
      assert.deepEqual(await one.startRun(run('r7', 'dave', 12_000), limits), { ok: true });
      assert.deepEqual(await one.startRun(run('r8', 'erin', 13_000), limits), { ok: true });
      assert.deepEqual(await one.startRun(run('r9', 'fay', 14_000), limits), { ok: false, reason: 'busy', running: 2 });
    });

    test('run events: written in order by one store, read after a sequence number by another, then finished', async () => {
      const location = await backend.location();
      const writer = await open(location);
      const reader = await open(location);
      const limits = { maxRunning: 5, perRequester: 5, windowMs: 60_000, staleMs: 60_000 };
      assert.equal(await reader.runEvents('nope', 0), undefined);
      await writer.startRun({ id: 'run', requesterHash: 'h', at: T0 }, limits);
      assert.deepEqual(await reader.runEvents('run', 0), { finished: false, updatedAt: T0.toISOString(), events: [] });
      const events = [
        { type: 'start', client: 'outlook' },
        { type: 'step', client: 'outlook', step: { method: 'srv', detail: 'ünïcødé "quoted"', z: 1, a: 2 } },
        { type: 'done', id: 'run' },
      ];
      for (const [i, e] of events.entries()) await writer.appendRunEvent('run', i + 1, e, later((i + 1) * 1000));
      const all = await reader.runEvents('run', 0);
      assert.deepEqual(
        all?.events,
        events.map((event, i) => ({ seq: i + 1, event })),
      );
      assert.equal(JSON.stringify(all?.events[1]?.event), JSON.stringify(events[1]), 'key order kept');
      assert.equal(all?.updatedAt, later(3000).toISOString());
      assert.deepEqual((await reader.runEvents('run', 2))?.events, [{ seq: 3, event: events[2] }]);
      await writer.finishRun('run', later(4000));
      assert.equal((await reader.runEvents('run', 3))?.finished, true);
      // Runs are swept an hour after they start, when another starts.
      await writer.startRun({ id: 'later', requesterHash: 'h', at: later(61 * 60_000) }, limits);
      assert.equal(await reader.runEvents('run', 0), undefined);
    });

    test('two stores on one location share accounts and sessions (two workers); reopening migrates nothing twice', async () => {
      const location = await backend.location();
      const one = await open(location);
      const two = await open(location);
      await one.addAccount('alice', 'h', T0);
      await one.addSession('s', {
        account: 'alice',
        csrfToken: 'c',
        createdAt: T0.toISOString(),
        expiresAt: later(60_000).toISOString(),
      });
      assert.equal((await two.findSession('s', T0))?.account, 'alice');
      assert.equal(await two.addAccount('alice', 'h', T0), false);
      const three = await open(location);
      assert.equal(await three.countAccounts(), 1);
    });
  });
}

describe('admin store: PostgreSQL specifics', () => {
  let cluster: PgCluster;
  before(async () => {
    cluster = await startPostgres();
  });
  after(() => cluster.stop());

  test('the admin tables are on their own migration track, beside the settings tables', async () => {
    const url = await cluster.createDatabase();
    const store = await PostgresAdminStore.open(url);
    await store.close();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const tables = await sql<
        { t: string }[]
      >`SELECT tablename AS t FROM pg_tables WHERE tablename LIKE 'autodisco_%' ORDER BY 1`;
      assert.deepEqual(
        tables.map((r) => r.t),
        [
          'autodisco_admin_accounts',
          'autodisco_admin_audit',
          'autodisco_admin_diagnoses',
          'autodisco_admin_login_links',
          'autodisco_admin_run_events',
          'autodisco_admin_runs',
          'autodisco_admin_schema_migrations',
          'autodisco_admin_sessions',
          'autodisco_admin_tokens',
        ],
      );
      await sql`INSERT INTO autodisco_admin_schema_migrations (version, description) VALUES (99, 'from the future')`;
    } finally {
      await sql.end();
    }
    await assert.rejects(PostgresAdminStore.open(url), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ADK_ERR_STORE_NEWER_SCHEMA');
      assert.match(err.message, /has admin schema version 99; this autodisco knows versions up to 2/);
      assert.doesNotMatch(err.message, new RegExp(cluster.password));
      return true;
    });
  });

  test('a database that goes away: the request fails as 503-class with the reason, and works again after', async () => {
    const url = await cluster.createDatabase();
    const store = await PostgresAdminStore.open(url, { connectTimeout: 2 });
    try {
      await store.addAccount('alice', 'h', T0);
      cluster.stopServer();
      await assert.rejects(store.findAccount('alice'), (err: Error & { statusCode?: number; code?: string }) => {
        assert.equal(err.statusCode, 503);
        assert.equal(err.code, 'ADK_ERR_STORE_UNAVAILABLE');
        assert.match(err.message, /^the accounts database is away \(/);
        return true;
      });
      cluster.startServer();
      assert.equal((await store.findAccount('alice'))?.name, 'alice');
    } finally {
      await store.close();
    }
  });

  test('an unreachable server is one line naming the URL without its password', async () => {
    const url = `postgres://autodisco:${cluster.password}@127.0.0.1:1/x`;
    await assert.rejects(PostgresAdminStore.open(url, { connectTimeout: 2 }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ADK_ERR_STORE_UNREACHABLE');
      assert.match(
        err.message,
        /^--db postgres:\/\/autodisco@127\.0\.0\.1:1\/x: cannot reach PostgreSQL at 127\.0\.0\.1:1/,
      );
      assert.doesNotMatch(err.message, new RegExp(cluster.password));
      return true;
    });
  });
});
