import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { validateConfig } from '../../src/settings/validate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { exampleDocument } from '../helpers/app.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

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

  test('a second store on the same file sees an import made through the first (cached domains are dropped)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-store-'));
    const path = join(dir, 'shared.sqlite');
    const first = new SqliteStore(path);
    await first.replaceAll(validateConfig(exampleDocument()));
    const second = new SqliteStore(path);
    // The second store loads and caches the domains now.
    assert.equal((await second.findDomain('example.org'))?.displayName, 'Example Mail');
    assert.equal(await second.findDomain('new.test'), undefined);

    const doc = exampleDocument();
    doc.domains![0]!.displayName = 'Renamed Mail';
    doc.domains![0]!.aliases = ['example.net'];
    doc.domains!.push({ name: 'new.test', imap: { host: 'imap.new.test' } });
    await first.replaceAll(validateConfig(doc));

    assert.equal((await second.findDomain('example.test'))?.displayName, 'Renamed Mail');
    assert.equal((await second.findDomain('example.net'))?.name, 'example.test');
    assert.equal(await second.findDomain('example.org'), undefined, 'a removed alias is gone');
    assert.equal((await second.findDomain('new.test'))?.imap?.host, 'imap.new.test');
    // And the other way round: the first store's cache follows the second's writes, and its own.
    await first.findDomain('new.test');
    await second.replaceAll(validateConfig({ domains: [{ name: 'only.test' }] }));
    assert.equal(await first.findDomain('new.test'), undefined);
    assert.equal((await first.findDomain('only.test'))?.name, 'only.test');
    await first.replaceAll(validateConfig({ domains: [{ name: 'again.test' }] }));
    assert.equal(await first.findDomain('only.test'), undefined);
    assert.equal((await first.findDomain('again.test'))?.name, 'again.test');
    await first.close();
    await second.close();
  });

  test('a serving store sees an import made by another process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-store-'));
    const path = join(dir, 'served.sqlite');
    const serving = new SqliteStore(path);
    await serving.replaceAll(validateConfig(exampleDocument()));
    assert.equal((await serving.findDomain('example.test'))?.name, 'example.test');
    // What `autodisco import` does, in a process of its own.
    const script = join(dir, 'import.mts');
    await writeFile(
      script,
      [
        `import { validateConfig } from ${JSON.stringify(pathToFileURL(join(SRC, 'settings/validate.ts')).href)};`,
        `import { SqliteStore } from ${JSON.stringify(pathToFileURL(join(SRC, 'store/sqlite.ts')).href)};`,
        `const store = new SqliteStore(${JSON.stringify(path)});`,
        "await store.replaceAll(validateConfig({ domains: [{ name: 'moved.test', aliases: ['moved.example'] }] }));",
        'await store.close();',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'inherit', 'inherit'] });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.equal(await serving.findDomain('example.test'), undefined);
    assert.equal((await serving.findDomain('moved.example'))?.name, 'moved.test');
    await serving.close();
  });

  test('found domains are shared and frozen: a caller cannot change what the next lookup returns', async () => {
    const store = new SqliteStore(':memory:');
    await store.replaceAll(validateConfig(exampleDocument()));
    const domain = (await store.findDomain('example.test'))!;
    assert.ok(Object.isFrozen(domain));
    assert.throws(() => {
      (domain as { displayName?: string }).displayName = 'Changed';
    }, TypeError);
    assert.throws(() => {
      (domain.imap as { host: string }).host = 'evil.test';
    }, TypeError);
    assert.throws(() => (domain.aliases as string[]).push('evil.test'), TypeError);
    const again = (await store.findDomain('example.org'))!;
    assert.equal(again.displayName, 'Example Mail');
    assert.equal(again.imap?.host, 'imap.example.test');
    assert.deepEqual(again.aliases, ['example.org']);
    // What export returns is the caller's own copy.
    const exported = await store.exportAll();
    assert.ok(!Object.isFrozen(exported.domains[0]));
    await store.close();
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
