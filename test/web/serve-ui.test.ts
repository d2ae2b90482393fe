import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXAMPLE_CONFIG } from '../helpers/app.js';
import { cli, spawnCli, waitForOutput } from '../helpers/cli.js';

test('serve: the admin options go with --ui (exit 2, one line naming the option)', async () => {
  const r = await cli(['serve', '--db', ':memory:', '--public-diagnose']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--public-diagnose goes with --ui/);
  const m = await cli(['serve', '--config', EXAMPLE_CONFIG, '--db', ':memory:', '--ui', '--max-diagnoses', '0']);
  assert.equal(m.code, 2);
  assert.match(m.stderr, /--max-diagnoses "0": expected a whole number from 1 to 100/);
  const a = await cli(['serve', '--db', ':memory:', '--audit-db', 'audit.sqlite']);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /--audit-db goes with --ui/);
});

test('serve --ui --audit-db: a file that is no results store is refused at start, naming it', async () => {
  const r = await cli(['serve', '--config', EXAMPLE_CONFIG, '--db', ':memory:', '--ui', '--audit-db', EXAMPLE_CONFIG]);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /--audit-db \S+: cannot read the results store \(file is not a database\)/);
});

test('serve --ui --dev-admin (npm start): creates admin, prints a one-time login link that logs in once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'adk-dev-'));
  const child = spawnCli([
    'serve',
    '--config',
    EXAMPLE_CONFIG,
    '--db',
    join(dir, 'db.sqlite'),
    '--http',
    '127.0.0.1:0',
    '--ui',
    '--dev-admin',
  ]);
  try {
    const out = await waitForOutput(child, /Ctrl-C stops/);
    const link = /(http:\/\/127\.0\.0\.1:\d+)\/ui\/welcome#([A-Za-z0-9_-]{43})/.exec(out);
    assert.ok(link, out);
    const [, base, secret] = link;
    const welcome = await fetch(`${base}/ui/welcome`);
    const cookie = (welcome.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const token = /name="_csrf" value="([^"]+)"/.exec(await welcome.text())?.[1] ?? '';
    const use = () =>
      fetch(`${base}/ui/login/link`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ secret: secret ?? '', _csrf: token }),
      });
    const first = await use();
    assert.equal(first.status, 303);
    const session = (first.headers.getSetCookie().find((c) => c.startsWith('adk_session=')) ?? '').split(';')[0] ?? '';
    assert.equal((await fetch(`${base}/api/v1/domains`, { headers: { cookie: session } })).status, 200);
    assert.equal((await use()).status, 403);
  } finally {
    child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
});
