/**
 * The bounded fuzzing run for the YAML readers (configuration files, lab scenarios): their extreme cases and
 * FUZZ_YAML_RUNS random ones (default 10), within the same 50 ms per 64 KiB as every other parser (scaled to a
 * slower machine, see targets.ts); and a plain,
 * valid 64 KiB configuration (about a thousand users) read and validated within that budget too.
 * `npm run fuzz` runs many more.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfigText } from '../../src/settings/validate.js';
import { BUDGET_MS, fuzzTarget, MACHINE_FACTOR, SIZE, scaled, TARGETS } from './targets.js';

const RUNS = Number(process.env['FUZZ_YAML_RUNS'] ?? 10);

/** A valid configuration of one domain and as many users as fit in `size`. */
function plainConfig(size: number): { text: string; users: number } {
  const lines = [
    'domains:',
    '  - name: example.test',
    '    imap: { host: imap.example.test, security: tls }',
    'users:',
  ];
  let length = lines.join('\n').length;
  let users = 0;
  for (;;) {
    const user = `  - email: user${users}@example.test\n    displayName: User number ${users}`;
    if (length + user.length + 2 > size) break;
    lines.push(user);
    length += user.length + 1;
    users++;
  }
  return { text: `${lines.join('\n')}\n`, users };
}

describe('fuzz: YAML files stay within their budget', () => {
  for (const target of TARGETS.filter((t) => t.yaml)) fuzzTarget(target, RUNS);

  test(`a plain 64 KiB configuration is read and validated within ${BUDGET_MS} ms of CPU`, () => {
    const { text, users } = plainConfig(SIZE);
    assert.ok(text.length > SIZE - 100 && text.length <= SIZE);
    const cpu = () => {
      const start = process.cpuUsage();
      const config = parseConfigText(text, 'plain.yaml');
      const used = process.cpuUsage(start);
      assert.equal(config.users.length, users);
      return (used.user + used.system) / 1000;
    };
    cpu(); // the first read compiles the parser and the schema; the budget is for every read after it
    // The best of three, so a garbage collection on a shared machine is not taken for the parser's cost.
    const ms = Math.min(cpu(), cpu(), cpu());
    assert.ok(
      ms <= scaled(BUDGET_MS),
      `${ms.toFixed(1)} ms for ${users} users (machine factor ${MACHINE_FACTOR.toFixed(2)})`,
    );
  });
});
