import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { validateConfig } from '../../src/settings/validate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { exampleDocument } from '../helpers/app.js';

describe('SqliteStore', () => {
  test('stores and finds domains by name and alias, users by address and LegacyDN', async () => {
    const store = new SqliteStore(':memory:');
    await store.replaceAll(validateConfig(exampleDocument()));
    assert.equal((await store.findDomain('example.test'))?.name, 'example.test');
    assert.equal((await store.findDomain('example.org'))?.name, 'example.test');
    assert.equal(await store.findDomain('example.net'), undefined);
    assert.equal((await store.findUser('sam@example.test'))?.loginName, 'slee');
    const byDn = await store.findUserByLegacyDN(
      '/O=EXAMPLE/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=chris',
    );
    assert.equal(byDn?.email, 'chris@example.test');
    assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
    await store.close();
  });

  test('export returns what was imported (round trip)', async () => {
    const store = new SqliteStore(':memory:');
    const config = validateConfig(exampleDocument());
    await store.replaceAll(config);
    const exported = await store.exportAll();
    assert.deepEqual(exported.domains, config.domains);
    assert.deepEqual(
      exported.users,
      [...config.users].sort((a, b) => a.email.localeCompare(b.email)),
    );
    assert.deepEqual(validateConfig(exported), exported);
  });

  test('replaceAll is one transaction: a failure leaves the previous content', async () => {
    const store = new SqliteStore(':memory:');
    await store.replaceAll(validateConfig(exampleDocument()));
    // Two domains with one name cannot be written (primary key); validation normally stops this earlier.
    const broken = validateConfig({ domains: [{ name: 'new.test' }] });
    broken.domains.push({ ...broken.domains[0]! });
    await assert.rejects(store.replaceAll(broken));
    assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
    assert.equal(await store.findDomain('new.test'), undefined);
  });

  test('upsertUsers adds and replaces rows in bulk', async () => {
    const store = new SqliteStore(':memory:');
    await store.replaceAll(validateConfig({ domains: [{ name: 'bulk.test' }] }));
    const n = await store.upsertUsers(
      (function* () {
        for (let i = 0; i < 1000; i++) yield { email: `u${i}@bulk.test`, displayName: `User ${i}` };
      })(),
    );
    assert.equal(n, 1000);
    await store.upsertUsers([{ email: 'u7@bulk.test', displayName: 'Renamed' }]);
    assert.equal((await store.findUser('u7@bulk.test'))?.displayName, 'Renamed');
    assert.deepEqual(await store.counts(), { domains: 1, users: 1000 });
  });

  test('migrations are versioned in the file and re-opening does not re-apply them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-store-'));
    const path = join(dir, 'nested', 'a.sqlite');
    const store = new SqliteStore(path);
    await store.replaceAll(validateConfig({ domains: [{ name: 'keep.test' }] }));
    await store.close();
    const db = new Database(path);
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.at(-1)?.version);
    db.close();
    const again = new SqliteStore(path);
    assert.equal((await again.findDomain('keep.test'))?.name, 'keep.test');
    await again.close();
  });

  test('a database from a newer autodisco is refused, not damaged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-store-'));
    const path = join(dir, 'future.sqlite');
    const db = new Database(path);
    db.pragma('user_version = 999');
    db.close();
    assert.throws(() => new SqliteStore(path), { code: 'ADK_ERR_STORE_NEWER_SCHEMA' });
    const after = new Database(path);
    assert.equal(after.pragma('user_version', { simple: true }), 999);
    after.close();
  });
});
