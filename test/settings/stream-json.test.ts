import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { importFile } from '../../src/cli/import-file.js';
import { AutodiscoError } from '../../src/errors.js';
import { readJsonConfigStream } from '../../src/settings/stream-json.js';
import { SqliteStore } from '../../src/store/sqlite.js';

async function file(text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'autodisco-json-')), 'c.json');
  await writeFile(path, text);
  return path;
}

async function read(text: string) {
  const users: { index: number; line: number; raw: unknown }[] = [];
  const { top } = await readJsonConfigStream(await file(text), 'c.json', ({ index, line, raw }) =>
    users.push({ index, line, raw }),
  );
  return { top, users };
}

async function refusal(text: string): Promise<string> {
  try {
    await read(text);
  } catch (err) {
    assert.ok(err instanceof AutodiscoError, String(err));
    assert.equal(err.code, 'ADK_ERR_CONFIG_UNREADABLE');
    return err.message;
  }
  assert.fail('accepted');
}

describe('a .json configuration is streamed, user by user', () => {
  test('each element of the top-level "users" array is handed over with its line; the rest is the top', async () => {
    const { top, users } = await read(
      [
        '{',
        '  "domains": [{ "name": "example.test", "users": ["not the top-level key"] }],',
        '  "users": [',
        '    { "email": "a@example.test", "displayName": "A \\"],{x\\" B" },',
        '    {',
        '      "email": "b@example.test"',
        '    }',
        '  ],',
        '  "$schema": "x"',
        '}',
      ].join('\n'),
    );
    assert.deepEqual(top, {
      domains: [{ name: 'example.test', users: ['not the top-level key'] }],
      users: [],
      $schema: 'x',
    });
    assert.deepEqual(users, [
      { index: 0, line: 4, raw: { email: 'a@example.test', displayName: 'A "],{x" B' } },
      { index: 1, line: 5, raw: { email: 'b@example.test' } },
    ]);
  });

  test('one line, empty arrays and a byte-order mark', async () => {
    assert.deepEqual(await read('\uFEFF{"users":[{"email":"a@x.test"},{"email":"b@x.test"}]}'), {
      top: { users: [] },
      users: [
        { index: 0, line: 1, raw: { email: 'a@x.test' } },
        { index: 1, line: 1, raw: { email: 'b@x.test' } },
      ],
    });
    assert.deepEqual(await read('{"users": [ ], "domains": []}'), { top: { users: [], domains: [] }, users: [] });
  });

  test('problems name the file line, inside a user and after the array', async () => {
    assert.equal(
      await refusal('{\n"users": [\n{"email": "a@x.test"},\n{"email": "b@x.test",\n "email": "c@x.test"}\n]}'),
      'c.json: not valid YAML: duplicate key "email" (line 5)',
    );
    assert.match(await refusal('{\n"users": [\n{"email": "a@x.test"}\n],\n"domains": [\n}'), /line 6/);
    assert.equal(
      await refusal('{"users": [{"email": "a@x.test"}, {"email"'),
      'c.json: not valid JSON: the file ends inside the "users" array (line 1)',
    );
    assert.match(await refusal('{"users": [], "users": []}'), /duplicate key "users"/);
  });

  test('importing a .json file gives the same store as the same settings in YAML', async () => {
    const users = Array.from({ length: 2000 }, (_, i) => ({ email: `user${i}@example.test`, displayName: `U ${i}` }));
    const config = { domains: [{ name: 'example.test', imap: { host: 'imap.example.test', security: 'tls' } }], users };
    const json = await file(JSON.stringify(config, null, 2));
    const yaml = join(await mkdtemp(join(tmpdir(), 'autodisco-json-')), 'c.yaml');
    await writeFile(yaml, JSON.stringify(config)); // JSON in a .yaml file: read whole by the YAML reader
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-json-'));
    await importFile(json, { db: join(dir, 'a.sqlite'), allowEmpty: false });
    await importFile(yaml, { db: join(dir, 'b.sqlite'), allowEmpty: false });
    const a = new SqliteStore(join(dir, 'a.sqlite'));
    const b = new SqliteStore(join(dir, 'b.sqlite'));
    assert.deepEqual(await a.exportAll(), await b.exportAll());
    assert.deepEqual(await a.counts(), { domains: 1, users: 2000 });
    await a.close();
    await b.close();
  });

  test('a bad user in a .json file is named by its path and file line', async () => {
    const path = await file(
      '{\n  "domains": [{"name": "example.test"}],\n  "users": [\n    {"email": "a@example.test"},\n    {"email": "b@example.test", "mailboxId": 42}\n  ]\n}\n',
    );
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-json-'));
    await assert.rejects(importFile(path, { db: join(dir, 'a.sqlite'), allowEmpty: false }), (err: AutodiscoError) => {
      assert.equal(err.code, 'ADK_ERR_CONFIG_INVALID');
      assert.equal(err.problems[0]?.path, 'users[1].mailboxId');
      assert.match(err.problems[0]?.message ?? '', /\(line 5\)$/);
      return true;
    });
  });
});
