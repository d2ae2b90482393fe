import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { importConfig, snapshotPath } from '../../src/cli/store.js';
import { validateConfig } from '../../src/settings/validate.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { exampleDocument } from '../helpers/app.js';

describe('importing from the command line', () => {
  test('a snapshot that cannot be written stops the import before anything changes', async () => {
    const store = new SqliteStore(':memory:');
    await store.replaceAll(validateConfig(exampleDocument()));
    await assert.rejects(
      importConfig(store, validateConfig({ domains: [{ name: 'other.test' }] }), {
        db: '/nonexistent-folder/a.sqlite',
        source: 'other.yaml',
        allowEmpty: false,
      }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ADK_ERR_SNAPSHOT');
        assert.match(
          err.message,
          /^cannot write the snapshot \/nonexistent-folder\/a\.sqlite\.before-import-\S+\.yaml \(ENOENT\); nothing was imported/,
        );
        return true;
      },
    );
    assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
    assert.ok(await store.findDomain('example.test'));
    await store.close();
  });

  test('snapshot names sort by time and hold no colon (Windows, scp)', () => {
    const a = snapshotPath('db.sqlite', new Date('2026-12-06T20:34:01.123Z'));
    assert.equal(a, 'db.sqlite.before-import-2026-12-06T20-34-01.123Z.yaml');
    assert.ok(a < snapshotPath('db.sqlite', new Date('2026-12-06T20:34:02.000Z')));
  });
});
