import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyPassword } from '../../src/auth/password.js';
import { secretHash } from '../../src/auth/secrets.js';
import { SqliteAdminStore } from '../../src/auth/sqlite-admin-store.js';
import { EXAMPLE_CONFIG } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';

describe('autodisco admin', () => {
  let dir: string;
  let db: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'adk-admin-'));
    db = join(dir, 'db.sqlite');
    assert.equal((await cli(['import', EXAMPLE_CONFIG, '--db', db])).code, 0);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('add-user takes the password from the variable --password-env names, stores only its Argon2id hash', async () => {
    const r = await cli(['admin', 'add-user', 'ops', '--db', db, '--password-env', 'ADK_PW'], {
      env: { ADK_PW: 'a long enough password' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created account ops/);
    const store = new SqliteAdminStore(db);
    const account = await store.findAccount('ops');
    assert.match(account?.passwordHash ?? '', /^\$argon2id\$/);
    assert.equal(await verifyPassword(account?.passwordHash, 'a long enough password'), true);
    assert.equal((await store.auditLog({ offset: 0, limit: 5 })).items[0]?.action, 'account.create');
    await store.close();
  });

  test('refusals: no terminal and no --password-env, a short password, an existing account, a bad name, a missing db', async () => {
    const noTty = await cli(['admin', 'add-user', 'other', '--db', db]);
    assert.equal(noTty.code, 2);
    assert.match(noTty.stderr, /no terminal to ask for the password: give --password-env VAR/);
    const short = await cli(['admin', 'add-user', 'other', '--db', db, '--password-env', 'P'], { env: { P: 'short' } });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /the password has 5 characters; expected at least 12/);
    const exists = await cli(['admin', 'add-user', 'ops', '--db', db, '--password-env', 'P'], {
      env: { P: 'another long password' },
    });
    assert.equal(exists.code, 2);
    assert.match(exists.stderr, /account "ops" exists already; add --reset/);
    const badName = await cli(['admin', 'add-user', 'bad name', '--db', db, '--password-env', 'P'], {
      env: { P: 'x'.repeat(20) },
    });
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /account name "bad name": expected 1-64 letters/);
    const missing = await cli(['admin', 'add-user', 'x', '--db', join(dir, 'typo.sqlite'), '--password-env', 'P'], {
      env: { P: 'x'.repeat(20) },
    });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /ADK_ERR_STORE_NOT_FOUND/);
  });

  test('add-token prints the token once on stdout and keeps only its hash', async () => {
    const r = await cli(['admin', 'add-token', 'ops', '--label', 'deploy', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^adk_[A-Za-z0-9_-]{43}$/);
    const store = new SqliteAdminStore(db);
    assert.equal((await store.useToken(secretHash(token), new Date()))?.account, 'ops');
    assert.equal(await store.useToken(token, new Date()), undefined);
    await store.close();
  });
});
