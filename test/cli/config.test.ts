import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { SqliteStore } from '../../src/store/sqlite.js';
import { EXAMPLE_CONFIG } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';

async function tempDir() {
  return mkdtemp(join(tmpdir(), 'autodisco-cli-'));
}

describe('autodisco import / export', () => {
  test('import applies a valid file, export writes it back', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    const imported = await cli(['import', EXAMPLE_CONFIG, '--db', db]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.stdout, `imported 2 domain(s) and 4 user(s) into ${db}\n`);
    const out = join(dir, 'out.yaml');
    const exported = await cli(['export', '--db', db, '--output', out]);
    assert.equal(exported.code, 0, exported.stderr);
    const again = parse(await readFile(out, 'utf8'));
    assert.equal(again.domains[0].name, 'example.test');
    assert.equal(again.users.length, 4);
    // The exported file imports again, unchanged.
    const db2 = join(dir, 'b.sqlite');
    assert.equal((await cli(['import', out, '--db', db2])).code, 0);
    const s1 = new SqliteStore(db);
    const s2 = new SqliteStore(db2);
    assert.deepEqual(await s2.exportAll(), await s1.exportAll());
    await s1.close();
    await s2.close();
  });

  test('an invalid file changes nothing and every problem is listed with its path', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', db])).code, 0);
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      [
        'domains:',
        '  - name: new.test',
        '    imap: { host: imap.new.test, port: 99999 }',
        '  - name: other.test',
        '    smtp: { host: smtp.other.test, security: ssl }',
        'users:',
        '  - email: someone@nowhere.test',
        '',
      ].join('\n'),
    );
    const res = await cli(['import', bad, '--db', db]);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /bad\.yaml: 3 problem\(s\); nothing was changed \[ADK_ERR_CONFIG_INVALID\]/);
    assert.match(res.stderr, /- domains\[0\]\.imap\.port: .*99999/);
    assert.match(res.stderr, /- domains\[1\]\.smtp\.security: .*"ssl"/);
    assert.match(res.stderr, /- users\[0\]\.email: domain "nowhere\.test" is not in domains/);
    const store = new SqliteStore(db);
    assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
    assert.equal(await store.findDomain('new.test'), undefined);
    await store.close();
  });

  test('a missing file and broken YAML are reported plainly', async () => {
    const dir = await tempDir();
    const missing = await cli(['import', join(dir, 'nope.yaml'), '--db', join(dir, 'a.sqlite')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.yaml: cannot read the file \(ENOENT\) \[ADK_ERR_CONFIG_UNREADABLE\]/);
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'domains: [ { name: a.test\n');
    const res = await cli(['import', broken, '--db', join(dir, 'a.sqlite')]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /broken\.yaml: not valid YAML/);
  });

  test('usage mistakes exit 2', async () => {
    const res = await cli(['import']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /missing required argument 'file'/);
    const unknown = await cli(['serve', '--bogus']);
    assert.equal(unknown.code, 2);
  });
});
