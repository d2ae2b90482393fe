/** The SettingsStore contract, run against SQLite and PostgreSQL alike (backends.ts). */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importConfig } from '../../src/cli/store.js';
import type { UserRecord } from '../../src/settings/schema.js';
import { validateConfig } from '../../src/settings/validate.js';
import { exampleDocument } from '../helpers/app.js';
import { type Backend, eventually, postgresBackend, sqliteBackend } from './backends.js';

const backends: [string, () => Promise<Backend>][] = [
  ['sqlite', async () => sqliteBackend()],
  ['postgres', postgresBackend],
];

for (const [name, start] of backends) {
  describe(`store contract: ${name}`, () => {
    let backend: Backend;
    before(async () => {
      backend = await start();
    });
    after(async () => {
      await backend.stop();
    });
    const fresh = async () => backend.open(await backend.location());

    test('stores and finds domains by name and alias, users by address and LegacyDN', async () => {
      const store = await fresh();
      await store.replaceAll(validateConfig(exampleDocument()));
      assert.equal((await store.findDomain('example.test'))?.name, 'example.test');
      assert.equal((await store.findDomain('example.org'))?.name, 'example.test');
      assert.equal(await store.findDomain('example.net'), undefined);
      assert.equal((await store.findUser('sam@example.test'))?.loginName, 'slee');
      assert.equal(await store.findUser('nobody@example.test'), undefined);
      const dn = '/O=EXAMPLE/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=chris';
      assert.equal((await store.findUserByLegacyDN(dn))?.email, 'chris@example.test');
      assert.equal((await store.findUserByLegacyDN(dn.toUpperCase()))?.email, 'chris@example.test', 'any case');
      assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
      assert.deepEqual(await store.servedDomains(), ['example.test']);
      assert.match((await store.sampleUser('example.test')) ?? '', /@example\.test$/);
      assert.equal(await store.sampleUser('ex_mple.test'), undefined, 'LIKE wildcards in the name are literal');
      await store.close();
    });

    test('export returns what was imported (round trip), users in address order, values unchanged', async () => {
      const store = await fresh();
      const doc = exampleDocument();
      doc.users!.push({ email: 'tab@example.test', displayName: 'Tab\there, "quotes", back\\slash, ünïcødé, 😀' });
      const config = validateConfig(doc);
      await store.replaceAll(config);
      const exported = await store.exportAll();
      assert.deepEqual(exported.domains, config.domains);
      assert.deepEqual(JSON.stringify(exported.domains), JSON.stringify(config.domains), 'key order kept');
      const byBytes = (a: UserRecord, b: UserRecord) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0);
      assert.deepEqual(exported.users, [...config.users].sort(byBytes));
      assert.deepEqual(validateConfig(exported), exported);
      const contents = await store.contents();
      assert.equal(contents.userCount, config.users.length);
      const streamed: UserRecord[] = [];
      for await (const u of contents.users()) streamed.push(u);
      assert.deepEqual(streamed, exported.users);
      await store.close();
    });

    test('addresses sort by bytes, as the import compares them, whatever the database locale', async () => {
      const store = await fresh();
      const emails = ['ab@s.test', 'a_c@s.test', 'a.d@s.test', 'a-e@s.test', '0@s.test'];
      await store.replaceAll(
        validateConfig({ domains: [{ name: 's.test' }], users: emails.map((email) => ({ email })) }),
      );
      const exported = (await store.exportAll()).users.map((u) => u.email);
      assert.deepEqual(
        exported,
        [...exported].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      await store.close();
    });

    test('replaceAll is one transaction: a failure leaves the previous content', async () => {
      const store = await fresh();
      await store.replaceAll(validateConfig(exampleDocument()));
      // Two domains with one name cannot be written (primary key); validation normally stops this earlier.
      const broken = validateConfig({ domains: [{ name: 'new.test' }] });
      broken.domains.push({ ...broken.domains[0]! });
      await assert.rejects(store.replaceAll(broken));
      assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
      assert.equal(await store.findDomain('new.test'), undefined);
      assert.equal((await store.findDomain('example.test'))?.name, 'example.test');
      await store.close();
    });

    test('a failing import changes nothing, even after thousands of users were written', async () => {
      const store = await fresh();
      await store.replaceAll(validateConfig(exampleDocument()));
      const users = function* () {
        for (let i = 0; i < 12_000; i++) yield { email: `u${String(i).padStart(5, '0')}@big.test` };
        throw new Error('the staging file went away');
      };
      await assert.rejects(
        store.replaceStreaming({ domains: validateConfig({ domains: [{ name: 'big.test' }] }).domains, users }),
        /staging file went away/,
      );
      assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
      assert.equal(await store.findDomain('big.test'), undefined);
      assert.equal(await store.findUser('u00001@big.test'), undefined);
      // A refusal in `keep` (the snapshot) changes nothing either.
      await assert.rejects(
        importConfig(store, validateConfig({ domains: [] }), {
          db: backend.name,
          source: 'empty.yaml',
          allowEmpty: false,
        }),
        { code: 'ADK_ERR_IMPORT_EMPTY' },
      );
      assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
      await store.close();
    });

    test('upsertUsers adds and replaces rows in bulk', async () => {
      const store = await fresh();
      await store.replaceAll(validateConfig({ domains: [{ name: 'bulk.test' }] }));
      const n = await store.upsertUsers(
        (function* () {
          for (let i = 0; i < 12_000; i++) yield { email: `u${i}@bulk.test`, displayName: `User ${i}` };
        })(),
      );
      assert.equal(n, 12_000);
      await store.upsertUsers([{ email: 'u7@bulk.test', displayName: 'Renamed' }]);
      assert.equal((await store.findUser('u7@bulk.test'))?.displayName, 'Renamed');
      assert.deepEqual(await store.counts(), { domains: 1, users: 12_000 });
      await store.close();
    });

    test('re-opening keeps the contents and does not re-apply migrations', async () => {
      const location = await backend.location();
      const store = await backend.open(location);
      await store.replaceAll(validateConfig({ domains: [{ name: 'keep.test' }] }));
      await store.close();
      const again = await backend.open(location);
      assert.equal((await again.findDomain('keep.test'))?.name, 'keep.test');
      await again.close();
    });

    test('a second store on the same location sees an import made through the first within a second', async () => {
      const location = await backend.location();
      const first = await backend.open(location);
      await first.replaceAll(validateConfig(exampleDocument()));
      const second = await backend.open(location);
      // The second store loads and caches the domains now.
      assert.equal((await second.findDomain('example.org'))?.displayName, 'Example Mail');
      assert.equal(await second.findDomain('new.test'), undefined);

      const doc = exampleDocument();
      doc.domains![0]!.displayName = 'Renamed Mail';
      doc.domains![0]!.aliases = ['example.net'];
      doc.domains!.push({ name: 'new.test', imap: { host: 'imap.new.test' } });
      await first.replaceAll(validateConfig(doc));

      await eventually(async () => {
        assert.equal((await second.findDomain('example.test'))?.displayName, 'Renamed Mail');
      });
      assert.equal((await second.findDomain('example.net'))?.name, 'example.test');
      assert.equal(await second.findDomain('example.org'), undefined, 'a removed alias is gone');
      assert.equal((await second.findDomain('new.test'))?.imap?.host, 'imap.new.test');
      // And the other way round: the first store's cache follows the second's writes, and its own at once.
      await first.findDomain('new.test');
      await second.replaceAll(validateConfig({ domains: [{ name: 'only.test' }] }));
      await eventually(async () => {
        assert.equal((await first.findDomain('only.test'))?.name, 'only.test');
      });
      assert.equal(await first.findDomain('new.test'), undefined);
      await first.replaceAll(validateConfig({ domains: [{ name: 'again.test' }] }));
      assert.equal(await first.findDomain('only.test'), undefined);
      assert.equal((await first.findDomain('again.test'))?.name, 'again.test');
      await first.close();
      await second.close();
    });

    test('found domains are shared and frozen: a caller cannot change what the next lookup returns', async () => {
      const store = await fresh();
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

    test('an import of the same contents keeps no snapshot; a changed one snapshots what it replaces', async () => {
      const store = await fresh();
      const config = validateConfig(exampleDocument());
      const options = { db: '/nonexistent-dir/db', source: 'x.yaml', allowEmpty: false };
      await importConfig(store, config, options);
      const same = await importConfig(store, config, options);
      assert.equal(same.snapshot, undefined);
      // A changed import must write a snapshot first; here it cannot (no such folder), so nothing changes.
      const changed = validateConfig({ ...exampleDocument(), users: [] });
      await assert.rejects(importConfig(store, changed, options), { code: 'ADK_ERR_SNAPSHOT' });
      assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
      await store.close();
    });

    test('an import that changes one user among thousands snapshots all the old users, then replaces them', async () => {
      const store = await fresh();
      const dir = await mkdtemp(join(tmpdir(), 'autodisco-snap-'));
      const domains = validateConfig({ domains: [{ name: 'many.test' }] }).domains;
      const users = (changed: number) =>
        Array.from({ length: 12_000 }, (_, i) => ({
          email: `u${String(i).padStart(5, '0')}@many.test`,
          displayName: i === changed ? 'Changed' : `User ${i}`,
        }));
      const options = { db: join(dir, 'db'), source: 'x.yaml', allowEmpty: false };
      await importConfig(store, { domains, users: users(-1) }, options);
      const result = await importConfig(store, { domains, users: users(6000) }, options);
      assert.ok(result.snapshot, 'a snapshot was kept');
      const snapshot = await readFile(result.snapshot, 'utf8');
      assert.equal(snapshot.match(/^ {2}- \{ email: /gm)?.length, 12_000);
      assert.match(snapshot, /"u06000@many\.test", displayName: "User 6000"/);
      assert.equal((await store.findUser('u06000@many.test'))?.displayName, 'Changed');
      assert.equal((await store.findUser('u11999@many.test'))?.displayName, 'User 11999');
      await store.close();
    });
  });
}
