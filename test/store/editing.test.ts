/** Single-record edits and paged search (the admin API's store methods), on SQLite and PostgreSQL alike. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../../src/settings/validate.js';
import { exampleDocument } from '../helpers/app.js';
import { type Backend, eventually, postgresBackend, sqliteBackend } from './backends.js';

const backends: [string, () => Promise<Backend>][] = [
  ['sqlite', async () => sqliteBackend()],
  ['postgres', postgresBackend],
];

for (const [name, start] of backends) {
  describe(`store edits: ${name}`, () => {
    let backend: Backend;
    before(async () => {
      backend = await start();
    });
    after(async () => {
      await backend.stop();
    });
    const exampleStore = async () => {
      const store = await backend.open(await backend.location());
      await store.replaceAll(validateConfig(exampleDocument(), 'example'));
      return store;
    };

    test('putDomain replaces in place (position kept, aliases renewed) or appends; deleteDomain returns what it removed', async () => {
      const store = await exampleStore();
      const [first] = (await store.listDomains({ offset: 0, limit: 10 })).items;
      assert.ok(first);
      const before = await store.putDomain({ ...first, aliases: ['renamed-alias.test'] });
      assert.deepEqual(before, first);
      assert.equal((await store.listDomains({ offset: 0, limit: 1 })).items[0]?.name, first.name);
      assert.equal((await store.findDomain('renamed-alias.test'))?.name, first.name);
      for (const alias of first.aliases) assert.equal(await store.findDomain(alias), undefined, alias);
      assert.equal(await store.putDomain({ ...first, name: 'appended.test', aliases: [] }), undefined);
      const all = (await store.listDomains({ offset: 0, limit: 100 })).items;
      assert.equal(all.at(-1)?.name, 'appended.test');
      assert.equal((await store.deleteDomain('appended.test'))?.name, 'appended.test');
      assert.equal(await store.findDomain('appended.test'), undefined);
      assert.equal(await store.deleteDomain('appended.test'), undefined);
      await store.close();
    });

    test('listDomains and listUsers search literally (no LIKE wildcards), page, count, and filter users by domain', async () => {
      const store = await exampleStore();
      const total = (await store.counts()).users;
      const page = await store.listUsers({ offset: 1, limit: 2 });
      assert.equal(page.total, total);
      assert.equal(page.items.length, Math.min(2, total - 1));
      assert.equal((await store.listUsers({ search: '%', offset: 0, limit: 10 })).total, 0);
      assert.equal((await store.listUsers({ search: '_', offset: 0, limit: 10 })).total, 0);
      await store.putUser({ email: 'a_b@example.test' });
      assert.deepEqual(
        (await store.listUsers({ search: '_', offset: 0, limit: 10 })).items.map((u) => u.email),
        ['a_b@example.test'],
      );
      const inDomain = await store.listUsers({ offset: 0, limit: 100, domains: ['example.test'] });
      assert.ok(inDomain.items.every((u) => u.email.endsWith('@example.test')));
      assert.equal((await store.listUsers({ offset: 0, limit: 100, domains: [] })).total, 0);
      assert.equal((await store.listDomains({ search: 'example', offset: 0, limit: 10 })).total > 0, true);
      assert.equal((await store.deleteUser('a_b@example.test'))?.email, 'a_b@example.test');
      await store.close();
    });

    test('an edit on one instance is seen by another sharing the database', async () => {
      const location = await backend.location();
      const writer = await backend.open(location);
      await writer.replaceAll(validateConfig(exampleDocument(), 'example'));
      const reader = await backend.open(location);
      assert.equal((await reader.findDomain('example.test'))?.name, 'example.test'); // cached now
      const [first] = (await writer.listDomains({ offset: 0, limit: 1 })).items;
      assert.ok(first);
      await writer.putDomain({ ...first, aliases: ['seen-elsewhere.test'] });
      await eventually(async () => {
        assert.equal((await reader.findDomain('seen-elsewhere.test'))?.name, first.name);
      });
      await writer.putUser({ email: 'new@example.test', displayName: 'New' });
      await eventually(async () => {
        assert.equal((await reader.findUser('new@example.test'))?.displayName, 'New');
      });
      await writer.close();
      await reader.close();
    });
  });
}
