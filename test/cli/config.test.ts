import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { validateConfig } from '../../src/settings/validate.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { EXAMPLE_CONFIG } from '../helpers/app.js';
import { cli, ROOT, spawnCli } from '../helpers/cli.js';

async function tempDir() {
  return mkdtemp(join(tmpdir(), 'autodisco-cli-'));
}

describe('autodisco import / export', () => {
  test('import applies a valid file, export writes it back', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    const imported = await cli(['import', EXAMPLE_CONFIG, '--db', db]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.stdout, `imported 2 domain(s) and 4 user(s) into the new database ${db}\n`);
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
    assert.match(
      missing.stderr,
      /nope\.yaml: cannot read the file: it does not exist \(ENOENT\) \[ADK_ERR_CONFIG_UNREADABLE\]/,
    );
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'domains: [ { name: a.test\n');
    const res = await cli(['import', broken, '--db', join(dir, 'a.sqlite')]);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /broken\.yaml: not valid YAML: .* at line [12], column \d+( \(and 1 more problem\))? \[ADK_ERR_CONFIG_UNREADABLE\]\n$/,
    );
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
  });

  test('usage mistakes exit 2', async () => {
    const res = await cli(['import']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /missing required argument 'file'/);
    const unknown = await cli(['serve', '--bogus']);
    assert.equal(unknown.code, 2);
  });

  test('export and serve refuse a database that does not exist, and create nothing', async () => {
    const dir = await tempDir();
    const typo = join(dir, 'prod', 'db.sqllite');
    for (const args of [
      ['export', '--db', typo],
      ['serve', '--db', typo, '--http', '127.0.0.1:0'],
    ]) {
      const res = await cli(args);
      assert.equal(res.code, 2, res.stderr);
      assert.equal(res.stdout, '');
      assert.equal(
        res.stderr,
        `autodisco: --db ${typo}: no database there (nothing was created); check the path, or create one with: npx autodisco import <file> --db ${typo} [ADK_ERR_STORE_NOT_FOUND]\n`,
      );
    }
    assert.deepEqual(await readdir(dir), [], 'no folder, no file');
  });

  test('outside the checkout the printed command is never a bare npx autodisco (the registry package is not ours)', async () => {
    const dir = await tempDir();
    const res = await cli(['export', '--db', 'missing.sqlite'], { cwd: dir });
    assert.equal(res.code, 2);
    const main = join(ROOT, 'src', 'cli', 'main.ts');
    assert.match(
      res.stderr,
      new RegExp(`create one with: node ${main.replaceAll('.', '\\.')} import <file> --db missing\\.sqlite `),
    );
  });

  test('a URL of another database is refused without creating a folder, and its password is not repeated', async () => {
    const dir = await tempDir();
    const res = await cli(['import', EXAMPLE_CONFIG, '--db', 'mysql://admin:s3cret@db.example.test/autodisco'], {
      cwd: dir,
    });
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      /^autodisco: --db mysql:\/\/admin@db\.example\.test\/autodisco: only PostgreSQL URLs \(postgres:\/\/user@host:5432\/db\) and SQLite file paths are supported \[ADK_ERR_STORE_URL\]\n$/,
    );
    assert.doesNotMatch(res.stderr, /s3cret/);
    assert.deepEqual(await readdir(dir), []);
  });

  test('an import that would delete every domain needs --allow-empty; every change keeps a snapshot to restore', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', db])).code, 0);
    const empties = { 'empty.yaml': '', 'comment.yaml': '# nothing here yet\n', 'none.yaml': 'domains: []\n' };
    for (const [name, text] of Object.entries(empties)) {
      await writeFile(join(dir, name), text);
      const res = await cli(['import', join(dir, name), '--db', db]);
      assert.equal(res.code, 2, name);
      assert.equal(res.stdout, '');
      assert.match(
        res.stderr,
        new RegExp(
          `${name} has no domains: importing it would delete the 2 domain\\(s\\) and 4 user\\(s\\) stored in .*a\\.sqlite; nothing was changed \\(add --allow-empty if an empty store is what you want\\) \\[ADK_ERR_IMPORT_EMPTY\\]`,
        ),
      );
    }
    // Nor does an empty file start a store at a new path (a mistyped --db): nothing is created.
    const typo = join(dir, 'typo.sqlite');
    const created = await cli(['import', join(dir, 'none.yaml'), '--db', typo]);
    assert.equal(created.code, 2);
    assert.match(
      created.stderr,
      /none\.yaml has no domains: importing it would create an empty store at \S+typo\.sqlite; nothing was created \(check the file and --db, or add --allow-empty if an empty store is what you want\) \[ADK_ERR_IMPORT_EMPTY\]\n$/,
    );
    assert.equal(existsSync(typo), false);
    let store = new SqliteStore(db);
    assert.deepEqual(await store.counts(), { domains: 2, users: 4 });
    await store.close();
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes('before-import')),
      [],
      'no snapshot for a refusal',
    );

    // Importing the same contents again changes nothing and keeps no snapshot.
    const same = await cli(['import', EXAMPLE_CONFIG, '--db', db]);
    assert.equal(same.stdout, `imported 2 domain(s) and 4 user(s) into ${db}\n`);

    const emptied = await cli(['import', join(dir, 'none.yaml'), '--db', db, '--allow-empty']);
    assert.equal(emptied.code, 0, emptied.stderr);
    const lines = emptied.stdout.split('\n');
    assert.equal(lines[0], `imported 0 domain(s) and 0 user(s) into ${db}`);
    const saved = /^the previous contents \(2 domain\(s\), 4 user\(s\)\) are saved in (\S+)$/.exec(lines[1] ?? '')?.[1];
    assert.ok(saved, emptied.stdout);
    assert.ok(saved.startsWith(`${db}.before-import-`) && saved.endsWith('.yaml'), saved);
    assert.equal((await stat(saved)).mode & 0o777, 0o600, 'the snapshot holds addresses: owner only');
    assert.equal(lines[2], `  to restore them: npx autodisco import ${saved} --db ${db}`);

    // The printed restore command brings everything back.
    const restored = await cli(['import', saved, '--db', db]);
    assert.equal(restored.code, 0, restored.stderr);
    store = new SqliteStore(db);
    const back = await store.exportAll();
    await store.close();
    const original = new SqliteStore(join(dir, 'original.sqlite'));
    await original.replaceAll(validateConfig(parse(await readFile(EXAMPLE_CONFIG, 'utf8'))));
    assert.deepEqual(back, await original.exportAll());
    await original.close();
  });

  test('file mistakes are one line each, never a stack', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', db])).code, 0);
    const cases: [string[], RegExp][] = [
      [
        ['export', '--db', db, '-o', '/nonexistent/out.yaml'],
        /^autodisco: --output \/nonexistent\/out\.yaml: cannot write the file: its folder does not exist \(ENOENT\) \[ADK_ERR_OUTPUT\]\n$/,
      ],
      [
        ['export', '--db', db, '-o', dir],
        /^autodisco: --output .*: cannot write the file: it is a folder \(EISDIR\) \[ADK_ERR_OUTPUT\]\n$/,
      ],
      [
        ['import', dir, '--db', db],
        /^autodisco: .*: cannot read the file: it is a folder \(EISDIR\) \[ADK_ERR_CONFIG_UNREADABLE\]\n$/,
      ],
      [
        ['export', '--db', dir],
        /^autodisco: --db \S+: it is a folder; name the database file in it, e\.g\. --db \S+\/autodisco\.sqlite \[ADK_ERR_INVALID_ARGUMENT\]\n$/,
      ],
      [
        ['import', EXAMPLE_CONFIG, '--db', dir],
        /^autodisco: --db \S+: it is a folder; name the database file in it, e\.g\. --db \S+\/autodisco\.sqlite \[ADK_ERR_INVALID_ARGUMENT\]\n$/,
      ],
      [
        ['lab', 'up', join(dir, 'nope.yaml')],
        /^autodisco: \S+nope\.yaml: cannot read the file: it does not exist \(ENOENT\) \[ADK_ERR_CONFIG_UNREADABLE\]\n$/,
      ],
      [
        ['plan', join(dir, 'nope.yaml')],
        /^autodisco: \S+nope\.yaml: cannot read the file: it does not exist \(ENOENT\) \[ADK_ERR_CONFIG_UNREADABLE\]\n$/,
      ],
      [
        ['plan', '--config', dir],
        /^autodisco: \S+: cannot read the file: it is a folder \(EISDIR\) \[ADK_ERR_CONFIG_UNREADABLE\]\n$/,
      ],
      [
        ['publish', 'scp', join(dir, 'nope.yaml'), '--dry-run', '--config-nc', 'CN=Configuration,DC=x'],
        /^autodisco: \S+nope\.yaml: cannot read the file: it does not exist \(ENOENT\) \[ADK_ERR_CONFIG_UNREADABLE\]\n$/,
      ],
    ];
    for (const [args, expected] of cases) {
      const res = await cli(args);
      // A --db that names a folder is a usage mistake (exit 2); a file that cannot be read or written fails (1).
      assert.equal(res.code, expected.source.includes('INVALID_ARGUMENT') ? 2 : 1, args.join(' '));
      assert.match(res.stderr, expected);
    }
    assert.equal(existsSync('/nonexistent'), false);
  });
});

describe('autodisco export into a pipe that closes', () => {
  test('`export | head` stops quietly, with the shell status of SIGPIPE (it printed "unexpected failure")', async () => {
    const dir = await tempDir();
    const db = join(dir, 'a.sqlite');
    assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', db])).code, 0);
    const store = new SqliteStore(db);
    // Far more than a pipe's buffer, so the export is still writing when its reader goes.
    await store.upsertUsers(
      Array.from({ length: 20_000 }, (_, i) => ({ email: `user${i}@example.test`, displayName: `User ${i}` })),
    );
    await store.close();
    const child = spawnCli(['export', '--db', db]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
    });
    // `head -1`: read the first chunk, then close the reading end.
    child.stdout?.once('data', () => child.stdout?.destroy());
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(stderr, '');
    assert.equal(code, 141);
  });
});
