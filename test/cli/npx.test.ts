/**
 * The README's set-up promises that `npx autodisco …` runs in the checkout after `npm ci`: npx must find the
 * project's own command (never the unrelated registry package) and be able to run it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

test('npx autodisco runs the checkout’s own command, offline', async () => {
  const { stdout } = await run('npx', ['--no-install', 'autodisco', '--help'], {
    cwd: root,
    env: { ...process.env, npm_config_offline: 'true', NODE_TEST_CONTEXT: '' },
    timeout: 60_000,
  });
  assert.match(stdout, /Usage: autodisco/);
  assert.match(stdout, /discover/);
});
