import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shellQuote } from '../../src/cli/invocation.js';

test('printed arguments survive a POSIX shell: safe ones as they are, others single-quoted', () => {
  assert.equal(shellQuote('data/example.sqlite'), 'data/example.sqlite');
  assert.equal(
    shellQuote('db.sqlite.before-import-2026-12-06T20-34-01.123Z.yaml'),
    'db.sqlite.before-import-2026-12-06T20-34-01.123Z.yaml',
  );
  assert.equal(shellQuote('/srv/mail data/db.sqlite'), "'/srv/mail data/db.sqlite'");
  assert.equal(shellQuote("it's.sqlite"), "'it'\\''s.sqlite'");
  assert.equal(shellQuote('$HOME/x'), "'$HOME/x'");
});
