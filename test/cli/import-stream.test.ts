import assert from 'node:assert/strict';
import { existsSync, watch } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { userAddress, writeConfig } from '../../bench/generate-config.js';
import { configChunks, renderConfigYaml, userLine } from '../../src/cli/config-yaml.js';
import { importFile, MAX_LISTED_PROBLEMS } from '../../src/cli/import-file.js';
import type { AutodiscoError } from '../../src/errors.js';
import { readConfigStream } from '../../src/settings/stream.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { cli, spawnCli } from '../helpers/cli.js';

/** Large enough that the users go through the streaming path many times over; small enough to stay quick. */
const USERS = 10_000;
const lineOf = (i: number) => 9 + 3 * i;

async function tempDir() {
  return mkdtemp(join(tmpdir(), 'autodisco-stream-'));
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<AutodiscoError> {
  let caught: AutodiscoError | undefined;
  await assert.rejects(promise, (err: AutodiscoError) => {
    caught = err;
    return err.code === code;
  });
  return caught as AutodiscoError;
}

async function storeState(db: string) {
  const store = new SqliteStore(db);
  try {
    return { counts: await store.counts(), last: await store.findUser(userAddress(USERS - 1)) };
  } finally {
    await store.close();
  }
}

describe('streaming import of a large file', () => {
  test('a problem on the last user of a big file changes nothing and is named by path and line', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    const good = join(dir, 'good.yaml');
    await writeConfig(good, USERS);
    const first = await importFile(good, { db, allowEmpty: false });
    assert.deepEqual([first.domains, first.users, first.created], [2, USERS, true]);
    const before = await storeState(db);

    const bad = join(dir, 'bad.yaml');
    await writeConfig(bad, USERS, { changed: true, tail: '  - email: someone@example.test\n    mailboxId: 42\n' });
    const err = await rejectsWith(importFile(bad, { db, allowEmpty: false }), 'ADK_ERR_CONFIG_INVALID');
    assert.equal(err.message, `${bad}: 1 problem(s); nothing was changed`);
    assert.equal(err.problems[0]?.path, `users[${USERS}].mailboxId`);
    assert.match(err.problems[0]?.message ?? '', new RegExp(`\\(got 42\\) \\(line ${lineOf(USERS) + 1}\\)$`));
    assert.deepEqual(await storeState(db), before);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes('before-import')),
      [],
      'no snapshot for a refused file',
    );
  });

  test('duplicates across the file and users outside the domains are all listed, in file order', async () => {
    const dir = await tempDir();
    const db = join(dir, 'new.sqlite');
    const file = join(dir, 'dups.yaml');
    const tail = [
      `  - email: ${userAddress(0).toUpperCase()}`,
      '  - email: nobody@elsewhere.test',
      `  - { email: "${userAddress(USERS - 1)}" }`,
      '',
    ].join('\n');
    await writeConfig(file, USERS, { tail });
    const err = await rejectsWith(importFile(file, { db, allowEmpty: false }), 'ADK_ERR_CONFIG_INVALID');
    assert.deepEqual(
      err.problems.map((p) => `${p.path}: ${p.message}`),
      [
        `users[${USERS}].email: "${userAddress(0)}" is already at users[0], line 9 (line ${lineOf(USERS)})`,
        `users[${USERS + 2}].email: "${userAddress(USERS - 1)}" is already at users[${USERS - 1}], line ${lineOf(USERS - 1)} (line ${lineOf(USERS) + 2})`,
        `users[${USERS + 1}].email: domain "elsewhere.test" is not in domains (expected one of the domain names or aliases) (line ${lineOf(USERS) + 1})`,
      ],
    );
    assert.equal(existsSync(db), false, 'a refused file creates no database');
  });

  test('a streamed file gets the same cross-record rules: duplicates of invalid records, cycles through users', async () => {
    const dir = await tempDir();
    const file = join(dir, 'rules.yaml');
    await writeFile(
      file,
      [
        'domains:',
        '  - name: example.test',
        'users:',
        '  - email: a@example.test',
        '    mailboxId: 42',
        '  - email: A@example.test',
        '  - { email: b@example.test, redirectAddr: c@example.test }',
        '  - { email: c@example.test, redirectAddr: b@example.test }',
        '',
      ].join('\n'),
    );
    const err = await rejectsWith(
      importFile(file, { db: join(dir, 'a.sqlite'), allowEmpty: false }),
      'ADK_ERR_CONFIG_INVALID',
    );
    assert.deepEqual(
      err.problems.map((p) => `${p.path}: ${p.message}`),
      [
        'users[0].mailboxId: Invalid input: expected string, received number (got 42) (line 5)',
        'users[1].email: "a@example.test" is already at users[0], line 4 (line 6)',
        'users[2].redirectAddr: b@example.test → c@example.test → b@example.test is a redirect cycle',
      ],
    );
  });

  test('past 10,000 problems the count stays exact and the rest is summed up in one line', async () => {
    const dir = await tempDir();
    const file = join(dir, 'many.yaml');
    const n = MAX_LISTED_PROBLEMS + 5;
    const users = Array.from({ length: n }, (_, i) => `  - { email: "${userAddress(i)}" }\n`).join('');
    await writeFile(file, `domains:\n  - name: other.test\nusers:\n${users}`);
    const err = await rejectsWith(
      importFile(file, { db: join(dir, 'a.sqlite'), allowEmpty: false }),
      'ADK_ERR_CONFIG_INVALID',
    );
    assert.equal(err.message, `${file}: ${n} problem(s); nothing was changed`);
    assert.equal(err.problems.length, MAX_LISTED_PROBLEMS + 1);
    assert.equal(err.problems[0]?.path, 'users[0].email', 'in file order');
    assert.equal(err.problems.at(-2)?.path, `users[${MAX_LISTED_PROBLEMS - 1}].email`);
    assert.deepEqual(err.problems.at(-1), { path: '', message: 'and 5 more problem(s), not listed' });
  });

  test('export → import is the identity, whatever characters the values hold', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    const file = join(dir, 'odd.yaml');
    const odd = [
      'yes',
      '123',
      ' leading',
      'a: b # c',
      'quote " and \\ back',
      'line\nbreak',
      'tab\there',
      'Zoë 🙂',
      '- x',
    ];
    const users = odd.map((displayName, i) => ({ email: `odd${i}@example.test`, displayName, loginName: `${i}` }));
    await writeFile(file, renderConfigYaml({ domains: [{ name: 'example.test' } as never], users }));
    assert.equal((await importFile(file, { db, allowEmpty: false })).users, odd.length);
    const out = join(dir, 'out.yaml');
    const exported = await cli(['export', '--db', db, '-o', out]);
    assert.equal(exported.code, 0, exported.stderr);
    const back = parse(await readFile(out, 'utf8'));
    assert.deepEqual(
      back.users.map((u: { displayName: string }) => u.displayName),
      odd,
    );
    const db2 = join(dir, 'b.sqlite');
    await importFile(out, { db: db2, allowEmpty: false });
    const [s1, s2] = [new SqliteStore(db), new SqliteStore(db2)];
    assert.deepEqual(await s2.exportAll(), await s1.exportAll());
    await s1.close();
    await s2.close();
  });

  test('the snapshot of a large store is written whole and restores it', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    const file = join(dir, 'v1.yaml');
    await writeConfig(file, USERS);
    await importFile(file, { db, allowEmpty: false });
    const store = new SqliteStore(db);
    const original = await store.exportAll();
    await store.close();

    const same = await importFile(file, { db, allowEmpty: false });
    assert.equal(same.snapshot, undefined, 'the same contents again keep no snapshot');

    const v2 = join(dir, 'v2.yaml');
    await writeConfig(v2, USERS, { changed: true });
    const changed = await importFile(v2, { db, allowEmpty: false });
    assert.deepEqual(changed.previous, { domains: 2, users: USERS });
    assert.ok(changed.snapshot && existsSync(changed.snapshot));
    assert.equal((await storeState(db)).last?.displayName, 'Someone Else');
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.partial')),
      [],
      'no partial file left',
    );

    const restored = await importFile(changed.snapshot, { db, allowEmpty: false });
    assert.equal(restored.users, USERS);
    const again = new SqliteStore(db);
    assert.deepEqual(await again.exportAll(), original);
    await again.close();
  });

  test('an import killed in the middle of its transaction leaves the old store', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    const v1 = join(dir, 'v1.yaml');
    await writeConfig(v1, USERS);
    await importFile(v1, { db, allowEmpty: false });
    const before = await storeState(db);
    const v2 = join(dir, 'v2.yaml');
    await writeConfig(v2, USERS * 2, { changed: true });

    // The snapshot is written inside the transaction, before anything is deleted: kill as soon as it starts.
    const child = spawnCli(['import', v2, '--db', db]);
    const watcher = watch(dir, (_event, name) => {
      if (name?.includes('before-import')) child.kill('SIGKILL');
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.on('close', (c, s) => resolve([c, s]));
    });
    watcher.close();
    assert.equal(signal, 'SIGKILL', `the import ended before it was killed (exit ${code})`);
    assert.deepEqual(await storeState(db), before);
  });
});

describe('reading a configuration as a stream', () => {
  async function read(text: string) {
    const dir = await tempDir();
    const path = join(dir, 'c.yaml');
    await writeFile(path, text);
    const users: { index: number; line: number; raw: unknown }[] = [];
    const { top } = await readConfigStream(path, 'c.yaml', (u) => users.push(u));
    return { top, users };
  }

  test('items at any indentation, comments, users before domains, keys after users', async () => {
    const { top, users } = await read(
      [
        '# people first',
        'users:',
        '- email: a@example.test   # one',
        '  displayName: |',
        '    A',
        '',
        '    B',
        '# between',
        '- { email: b@example.test }',
        'domains:',
        '  - name: example.test',
        '$schema: x',
      ].join('\n'),
    );
    assert.deepEqual(top, { users: [], domains: [{ name: 'example.test' }], $schema: 'x' });
    assert.deepEqual(
      users.map((u) => [u.index, u.line, u.raw]),
      [
        [0, 3, { email: 'a@example.test', displayName: 'A\n\nB\n' }],
        [1, 9, { email: 'b@example.test' }],
      ],
    );
  });

  test('YAML errors name the line in the file', async () => {
    const item = await rejectsWith(
      read('domains: []\nusers:\n  - email: a@example.test\n  - email: b@example.test\n    email: c@example.test\n'),
      'ADK_ERR_CONFIG_UNREADABLE',
    );
    assert.match(item.message, /^c\.yaml: not valid YAML: .*line 5/s);
    const top = await rejectsWith(read('users:\n  - email: a@x.test\ndomains: [\n'), 'ADK_ERR_CONFIG_UNREADABLE');
    assert.match(top.message, /line [34]/);
    const twice = await rejectsWith(read('users:\n  - email: a@x.test\nusers: []\n'), 'ADK_ERR_CONFIG_UNREADABLE');
    assert.match(twice.message, /users/);
    const shape = await rejectsWith(read('users:\n  email: a@x.test\n'), 'ADK_ERR_CONFIG_UNREADABLE');
    assert.equal(
      shape.message,
      'c.yaml: not valid YAML: under users:, expected a list with one "- " item per user (line 2)',
    );
  });

  test('JSON inside a .yaml file and flow lists are read whole (a .json file is streamed), checked the same way', async () => {
    const { top, users } = await read(
      '{"domains": [{"name": "example.test"}], "users": [{"email": "a@example.test"}]}',
    );
    assert.deepEqual(users, []);
    assert.deepEqual(top, { domains: [{ name: 'example.test' }], users: [{ email: 'a@example.test' }] });
    const dir = await tempDir();
    const file = join(dir, 'c.json');
    await writeFile(
      file,
      '{"domains": [{"name": "example.test"}], "users": [{"email": "a@x.test"}, {"email": "A@example.test"}, {"email": "a@example.test"}]}',
    );
    const err = await rejectsWith(
      importFile(file, { db: join(dir, 'db.sqlite'), allowEmpty: false }),
      'ADK_ERR_CONFIG_INVALID',
    );
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['users[2].email', 'users[0].email'],
    );
  });

  test('users are written one per line, and the chunks make the same file as the whole', () => {
    assert.equal(
      userLine({ email: 'a@example.test', displayName: 'A "B"' }),
      '  - { email: "a@example.test", displayName: "A \\"B\\"" }\n',
    );
    const users = Array.from({ length: 3000 }, (_, i) => ({ email: userAddress(i) }));
    const chunks = [...configChunks([], users)];
    assert.ok(chunks.length > 2, 'more than one chunk');
    assert.deepEqual(parse(chunks.join('')), { domains: [], users });
    assert.deepEqual(parse(renderConfigYaml({ domains: [], users: [] })), { domains: [], users: [] });
  });
});
