import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AutodiscoError } from '../../src/errors.js';
import { parseYamlText } from '../../src/settings/files.js';
import { scaled } from '../helpers/cpu-budget.js';

/** The message of the refusal, or 'accepted', and the CPU time it took. */
function read(text: string): { message: string; ms: number } {
  const start = process.cpuUsage();
  let message = 'accepted';
  try {
    parseYamlText(text, 'hostile.yaml');
  } catch (err) {
    assert.ok(err instanceof AutodiscoError, String(err));
    assert.equal(err.code, 'ADK_ERR_CONFIG_UNREADABLE');
    message = err.message;
  }
  const used = process.cpuUsage(start);
  return { message, ms: (used.user + used.system) / 1000 };
}

describe('YAML files an attacker wrote', () => {
  test('deep nesting is refused before the (recursive) library sees it, in flow, block and `- - x` form', () => {
    for (const text of [
      '['.repeat(65_536), // overflowed the stack; a second one aborted the process
      '{"a":'.repeat(13_000),
      '- '.repeat(32_000).concat('x'),
      Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'),
    ]) {
      const { message, ms } = read(text);
      assert.match(message, /^hostile\.yaml: not valid YAML: collections nest deeper than 64 levels \(line \d+\)$/);
      assert.ok(ms < scaled(50), `${ms} ms`);
    }
    assert.equal(read(Array.from({ length: 60 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')).message, 'accepted');
    assert.equal(read(`${'['.repeat(60)}${']'.repeat(60)}`).message, 'accepted');
  });

  test('brackets and dashes inside scalars are text, not structure', () => {
    assert.equal(
      read(`a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}'\nc: |\n  ${'- '.repeat(500)}\nd: -1\n`).message,
      'accepted',
    );
  });

  test('duplicate keys are found in linear time (the library compares every pair)', () => {
    const keys = Array.from({ length: 7000 }, (_, i) => `k${i}: v`);
    assert.equal(read(keys.join('\n')).message, 'accepted');
    assert.equal(
      read([...keys, 'k5: again'].join('\n')).message,
      'hostile.yaml: not valid YAML: duplicate key "k5" (line 7001)',
    );
    assert.equal(read('x:\n  - {a: 1, a: 2}\n').message, 'hostile.yaml: not valid YAML: duplicate key "a" (line 2)');
  });

  test('tags are refused, aliases are capped, alias bombs stay refused', () => {
    assert.equal(
      read('a: !custom x\n').message,
      'hostile.yaml: not valid YAML: YAML tags such as !custom are not used here (line 1)',
    );
    const aliases = `a: &a [x]\n${Array.from({ length: 1001 }, (_, i) => `k${i}: *a`).join('\n')}`;
    assert.equal(read(aliases).message, 'hostile.yaml: not valid YAML: more than 1000 aliases (*name) (line 1002)');
    const bomb = ['a: &a [1,1,1,1,1,1,1,1,1]']
      .concat(['b', 'c', 'd', 'e', 'f'].map((k, i) => `${k}: &${k} [${`*${'abcde'[i]},`.repeat(9).slice(0, -1)}]`))
      .join('\n');
    assert.match(
      read(bomb).message,
      /aliases \(\*name\) expand to more than 10,000 values; write the repeated values out$/,
    );
    assert.ok(read(bomb).ms < scaled(50));
    assert.deepEqual(parseYamlText('base: &imap { host: imap.example.com }\nother: *imap\n', 'ok.yaml'), {
      base: { host: 'imap.example.com' },
      other: { host: 'imap.example.com' },
    });
  });

  test('text after a closed flow collection, or a close with nothing open, is refused at once', () => {
    for (const [text, why] of [
      [`domains:\n  - ${'[]'.repeat(30_000)}`, 'unexpected "[" after a closed collection (line 2)'],
      [']'.repeat(65_536), '"]" closes nothing (line 1)'],
      ['a: [1] x\n', 'unexpected "x" after a closed collection (line 1)'],
    ] as const) {
      const { message, ms } = read(text);
      assert.equal(message, `hostile.yaml: not valid YAML: ${why}`);
      assert.ok(ms < scaled(50), `${ms} ms`);
    }
    assert.deepEqual(parseYamlText('[a]: [b] # c\n? [x]\n: 1\n', 'ok.yaml'), { a: ['b'], x: 1 });
  });
});
