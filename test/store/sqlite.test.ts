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

/** What only SQLite does; the contract every store keeps is in store.test.ts (run on SQLite and PostgreSQL). */
describe('SqliteStore', () => {
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

  test('the lookups of one turn of the event loop share one snapshot; the next turn sees other commits, own writes at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-store-'));
    const path = join(dir, 'turns.sqlite');
    const serving = new SqliteStore(path);
    await serving.replaceAll(validateConfig(exampleDocument()));
    const other = new SqliteStore(path); // another connection, as `autodisco import` in another process
    const turnEnd = () => new Promise((resolve) => setImmediate(resolve));
    await turnEnd();

    // No await between these: one turn. The commit on the other connection lands between two lookups of it.
    const before = serving.findUser('late@example.test');
    await other.putUser({ email: 'late@example.test', displayName: 'Late' });
    const sameTurn = serving.findUser('late@example.test');
    assert.equal(await before, undefined);
    assert.equal(await sameTurn, undefined, 'one turn reads one snapshot');
    await turnEnd();
    assert.equal((await serving.findUser('late@example.test'))?.displayName, 'Late', 'the next turn sees the commit');

    // A write through the serving store itself, in the middle of a turn: the turn's read transaction ends first
    // (no "transaction within a transaction"), and the very next lookup sees the write.
    await serving.findUser('late@example.test');
    await serving.putUser({ email: 'own@example.test', displayName: 'Own' });
    assert.equal((await serving.findUser('own@example.test'))?.displayName, 'Own');
    await serving.putDomain({ ...(await serving.findDomain('example.test'))!, displayName: 'Renamed' });
    assert.equal((await serving.findDomain('example.test'))?.displayName, 'Renamed');

    // The other connection can write while the serving one is idle between turns: no read lock is left behind.
    await turnEnd();
    await other.replaceAll(validateConfig({ domains: [{ name: 'fresh.test' }] }));
    await turnEnd();
    assert.equal((await serving.findDomain('fresh.test'))?.name, 'fresh.test');
    await other.close();
    await serving.close();
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
