/**
 * docs/tls.md gives the ExcludeHttpsRootDomain policy key the way the findings do: one key per Outlook version
 * (Office\16.0 alone would be read by Outlook 2016 and later only, and 2013, the version the trap stops, would not).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const doc = readFileSync(new URL('../../docs/tls.md', import.meta.url), 'utf8');

test('docs/tls.md names the ExcludeHttpsRootDomain key for every Outlook version', () => {
  const items = doc.split(/\n(?=- |#)/).filter((item) => /ExcludeHttpsRootDomain[^\n]*\n?[^\n]*Office\\/.test(item));
  assert.ok(items.length > 0, 'docs/tls.md gives no registry key for ExcludeHttpsRootDomain');
  for (const item of items) {
    assert.match(item, /Office\\<version>\\Outlook\\AutoDiscover/, item);
    const versions: [string, string][] = [
      ['16\\.0', '2016'],
      ['15\\.0', '2013'],
      ['14\\.0', '2010'],
      ['12\\.0', '2007'],
    ];
    for (const [version, outlook] of versions)
      assert.match(item.replace(/\s+/g, ' '), new RegExp(`\`${version}\` for (Outlook )?${outlook}`), item);
  }
});
