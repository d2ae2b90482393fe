/**
 * What only the PostgreSQL store does: its schema table, the one-line errors when a database cannot be opened
 * (never with the password), hearing other instances' imports through LISTEN/NOTIFY, and the degraded mode
 * while the server is away. The contract shared with SQLite is in store.test.ts.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { openStore } from '../../src/cli/store.js';
import { validateConfig } from '../../src/settings/validate.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { maskUrl } from '../../src/store/postgres/url.js';
import type { StoreHealth } from '../../src/store/store.js';
import { exampleDocument } from '../helpers/app.js';
import { findPostgresBinaries, type PgCluster, startPostgres } from '../helpers/postgres.js';
import { eventually } from './backends.js';

test('missing PostgreSQL binaries fail the tests with one line naming the Debian package (never a skip)', () => {
  assert.throws(
    () => findPostgresBinaries('/nonexistent/postgresql', {}),
    /^Error: PostgreSQL server binaries not found \(looked in \$AUTODISCO_PG_BIN and \/usr\/lib\/postgresql\/\*\/bin\): install the Debian package postgresql \(apt-get install postgresql\)/,
  );
  assert.throws(
    () => findPostgresBinaries('/nonexistent/postgresql', { AUTODISCO_PG_BIN: '/nope' }),
    /looked in \/nope\)/,
  );
});

describe('PostgresStore', () => {
  let cluster: PgCluster;
  const opened: PostgresStore[] = [];
  const open = async (url: string, options: Partial<Parameters<typeof PostgresStore.open>[1]> = {}) => {
    const store = await PostgresStore.open(url, { create: true, listen: true, ...options });
    opened.push(store);
    return store;
  };
  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await Promise.allSettled(opened.map((s) => s.close()));
    await cluster.stop();
  });

  test('URLs are shown without their password', () => {
    assert.equal(
      maskUrl('postgres://chris:s3cr%40t@db.example:5432/autodisco'),
      'postgres://chris@db.example:5432/autodisco',
    );
    assert.equal(maskUrl('postgresql://chris:p@ss@db/x?sslmode=require'), 'postgresql://chris@db/x?sslmode=require');
    assert.equal(maskUrl('postgres://db/x?password=secret&sslmode=require'), 'postgres://db/x?sslmode=require');
    assert.equal(maskUrl('postgres://chris@db/x'), 'postgres://chris@db/x');
  });

  test('the schema version is a row per migration; a newer database is refused, untouched', async () => {
    const url = await cluster.createDatabase();
    const store = await open(url);
    await store.close();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ version: number }[]>`SELECT version FROM autodisco_schema_migrations ORDER BY version`;
      assert.deepEqual(
        rows.map((r) => r.version),
        PG_MIGRATIONS.map((m) => m.version),
      );
      await sql`INSERT INTO autodisco_schema_migrations (version, description) VALUES (999, 'from the future')`;
      await assert.rejects(PostgresStore.open(url, { create: true }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ADK_ERR_STORE_NEWER_SCHEMA');
        assert.match(err.message, /schema version 999; this autodisco knows versions up to 1/);
        assert.ok(!err.message.includes(cluster.password));
        return true;
      });
      const [row] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM autodisco_schema_migrations`;
      assert.equal(Number(row?.n), PG_MIGRATIONS.length + 1);
    } finally {
      await sql.end();
    }
  });

  test('instances migrating at once: one applies, all open (four at once, on three new databases)', async () => {
    for (let round = 0; round < 3; round++) {
      const url = await cluster.createDatabase();
      const [a, ...others] = await Promise.all([open(url), open(url), open(url), open(url)]);
      await a?.replaceAll(validateConfig({ domains: [{ name: 'race.test' }] }));
      for (const b of others) assert.equal((await b.counts()).domains, 1);
    }
  });

  test('serving needs only SELECT on the tables: a read-only user opens, listens and answers', async () => {
    const url = await cluster.createDatabase();
    const owner = await open(url, { listen: false });
    await owner.replaceAll(validateConfig(exampleDocument()));
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const role = `reader_${process.pid}`;
    try {
      await sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'reader-pw'`);
      await sql.unsafe(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
      await sql.unsafe(
        `GRANT SELECT ON autodisco_schema_migrations, autodisco_domains, autodisco_domain_names, autodisco_users TO ${role}`,
      );
    } finally {
      await sql.end();
    }
    const readerUrl = url.replace(`autodisco:${cluster.password}@`, `${role}:reader-pw@`);
    const reader = await open(readerUrl, { create: false });
    assert.equal((await reader.findUser('sam@example.test'))?.loginName, 'slee');
    await owner.replaceAll(validateConfig({ domains: [{ name: 'heard.test' }] }));
    await eventually(async () => {
      assert.equal((await reader.findDomain('heard.test'))?.name, 'heard.test');
    });
    await assert.rejects(reader.replaceAll(validateConfig({ domains: [{ name: 'no.test' }] })), /permission denied/);
  });

  test('a database without autodisco tables is not filled by commands that only read', async () => {
    const url = await cluster.createDatabase();
    await assert.rejects(openStore(url, { create: false }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ADK_ERR_STORE_NOT_FOUND');
      assert.match(err.message, /holds no autodisco tables \(nothing was created\)/);
      assert.match(err.message, /import <file> --db /);
      assert.ok(!err.message.includes(cluster.password), err.message);
      return true;
    });
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const [row] = await sql<{ t: string | null }[]>`SELECT to_regclass('autodisco_schema_migrations')::text AS t`;
    await sql.end();
    assert.equal(row?.t, null, 'nothing created');
  });

  test('a login refused, a missing database and a server that does not answer are one line each, without the password', async () => {
    const url = await cluster.createDatabase();
    const cases: [string, RegExp][] = [
      [
        url.replace(cluster.password, 'wrong-password'),
        /refused the login of user "autodisco".*check the user and the password/,
      ],
      [url.replace(/\/[^/]+$/, '/nosuchdb'), /there is no database "nosuchdb" on 127\.0\.0\.1:\d+; create it first/],
      [
        `postgres://autodisco:${cluster.password}@127.0.0.1:1/x`,
        /cannot reach PostgreSQL at 127\.0\.0\.1:1 \(connection refused\)/,
      ],
    ];
    for (const [bad, expected] of cases) {
      await assert.rejects(openStore(bad, { create: true }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ADK_ERR_STORE_UNREACHABLE');
        assert.match(err.message, expected);
        assert.ok(!err.message.includes(cluster.password) && !err.message.includes('wrong-password'), err.message);
        assert.ok(!err.message.includes('\n'), 'one line');
        return true;
      });
    }
  });

  test('an import through one instance reaches every listening instance within a second', async () => {
    const url = await cluster.createDatabase();
    const writer = await open(url, { listen: false });
    await writer.replaceAll(validateConfig(exampleDocument()));
    const readers = await Promise.all([open(url), open(url), open(url)]);
    for (const r of readers) assert.equal((await r.findDomain('example.test'))?.displayName, 'Example Mail');
    const doc = exampleDocument();
    doc.domains![0]!.displayName = 'Renamed Mail';
    const start = Date.now();
    await writer.replaceAll(validateConfig(doc));
    for (const r of readers) {
      await eventually(async () => {
        assert.equal((await r.findDomain('example.test'))?.displayName, 'Renamed Mail');
      }, 1000);
    }
    assert.ok(Date.now() - start < 1000, `seen by all in ${Date.now() - start} ms`);
    // A failed import sends nothing and changes nothing.
    const broken = validateConfig({ domains: [{ name: 'new.test' }] });
    broken.domains.push({ ...broken.domains[0]! });
    await assert.rejects(writer.replaceAll(broken));
    for (const r of readers) assert.equal((await r.findDomain('example.test'))?.displayName, 'Renamed Mail');
  });

  test('the database away: answers from the last settings read, 503 for the rest, healthy again on return', async () => {
    const url = await cluster.createDatabase();
    const changes: StoreHealth[] = [];
    const store = await open(url, { onHealthChange: (h) => changes.push(h) });
    await store.replaceAll(validateConfig(exampleDocument()));
    const dn = '/O=EXAMPLE/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=chris';
    assert.equal((await store.findDomain('example.test'))?.name, 'example.test');
    assert.equal((await store.findUser('sam@example.test'))?.loginName, 'slee');
    assert.equal(await store.findUser('nobody@example.test'), undefined);
    assert.equal((await store.findUserByLegacyDN(dn))?.email, 'chris@example.test');
    assert.deepEqual(store.health(), { status: 'ok' });

    cluster.stopServer();
    try {
      await store.ping();
      assert.equal(store.health().status, 'degraded', 'the health check asks the database, not the memory');
      assert.equal((await store.findDomain('example.org'))?.name, 'example.test', 'domains from memory');
      assert.equal((await store.findUser('sam@example.test'))?.loginName, 'slee', 'a user read recently');
      assert.equal(await store.findUser('nobody@example.test'), undefined, 'a recent miss stays a miss');
      assert.equal((await store.findUserByLegacyDN(dn.toUpperCase()))?.email, 'chris@example.test');
      await assert.rejects(store.findUser('alex@example.test'), (err: Error & { statusCode?: number }) => {
        assert.equal(err.statusCode, 503);
        assert.match(err.message, /database is away/);
        return true;
      });
      const health = store.health();
      assert.equal(health.status, 'degraded');
      assert.match(health.reason ?? '', /shut down|closed|refused/);
      assert.ok(health.since && !Number.isNaN(Date.parse(health.since)));
      assert.equal(changes.length, 1);
    } finally {
      cluster.startServer();
    }
    await eventually(async () => {
      assert.deepEqual(store.health(), { status: 'ok' });
    }, 5000);
    assert.equal(changes.at(-1)?.status, 'ok');
    assert.equal((await store.findUser('alex@example.test'))?.email, 'alex@example.test');
    // LISTEN came back too: another instance's import is heard again.
    const other = await open(url, { listen: false });
    await other.replaceAll(validateConfig({ domains: [{ name: 'after.test' }] }));
    await eventually(async () => {
      assert.equal((await store.findDomain('after.test'))?.name, 'after.test');
    }, 1000);
  });

  test('a database that stops answering (a partition, not a refusal) counts as away after the lookup deadline', async () => {
    const url = await cluster.createDatabase();
    // A TCP relay that can stop forwarding: the connections stay open, nothing answers.
    let frozen = false;
    const sockets = new Set<Socket>();
    const relay = createServer((client) => {
      const upstream = connect(cluster.port, '127.0.0.1');
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        from.on('data', (d) => {
          if (!frozen) to.write(d);
        });
        from.on('error', () => {});
        from.on('close', () => to.destroy());
        sockets.add(from);
      }
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as { port: number }).port;
    const store = await open(url.replace(`:${cluster.port}/`, `:${port}/`), { lookupTimeout: 300, connectTimeout: 1 });
    try {
      await store.replaceAll(validateConfig(exampleDocument()));
      assert.equal((await store.findUser('sam@example.test'))?.loginName, 'slee');
      frozen = true;
      const start = Date.now();
      assert.equal((await store.findUser('sam@example.test'))?.loginName, 'slee');
      assert.ok(Date.now() - start < 1000, `answered from memory after ${Date.now() - start} ms`);
      assert.deepEqual(
        { ...store.health(), since: undefined },
        {
          status: 'degraded',
          reason: 'the connection timed out',
          since: undefined,
        },
      );
      await assert.rejects(store.findUser('chris@example.test'), { statusCode: 503 });
      // The partition heals as partitions do: the stale connections are cut, new ones get through.
      frozen = false;
      for (const socket of sockets) socket.destroy();
      await eventually(async () => {
        assert.equal(store.health().status, 'ok');
      }, 5000);
      assert.equal((await store.findUser('chris@example.test'))?.displayName, 'Chris Gray');
    } finally {
      await store.close();
      relay.close();
    }
  });
});
