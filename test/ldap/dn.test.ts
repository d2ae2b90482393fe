import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dnKeyOf, dnsDomainOf, escapeRdnValue, isWithin, parseDn, sameDn } from '../../src/ldap/dn.js';

describe('DN parsing', () => {
  test('splits RDNs and AVAs, trimming spaces around separators', () => {
    assert.deepEqual(parseDn(' CN = EX1 , cn=Servers+OU=x,DC=contoso '), [
      [{ type: 'CN', value: 'EX1' }],
      [
        { type: 'cn', value: 'Servers' },
        { type: 'OU', value: 'x' },
      ],
      [{ type: 'DC', value: 'contoso' }],
    ]);
  });

  test('decodes escapes: special characters, hex pairs (UTF-8), quoted values, escaped trailing space', () => {
    assert.deepEqual(parseDn('CN=a\\,b\\+c'), [[{ type: 'CN', value: 'a,b+c' }]]);
    assert.deepEqual(parseDn('CN=\\41B\\C3\\A9'), [[{ type: 'CN', value: 'ABé' }]]);
    assert.deepEqual(parseDn('CN="Doe, John" ,DC=x'), [
      [{ type: 'CN', value: 'Doe, John' }],
      [{ type: 'DC', value: 'x' }],
    ]);
    assert.deepEqual(parseDn('CN=pad\\ '), [[{ type: 'CN', value: 'pad ' }]]);
    assert.deepEqual(parseDn('CN=Exchange Administrative Group (FYDIBOHF23SPDLT)'), [
      [{ type: 'CN', value: 'Exchange Administrative Group (FYDIBOHF23SPDLT)' }],
    ]);
    assert.deepEqual(parseDn('CN='), [[{ type: 'CN', value: '' }]]);
  });

  test('the empty DN is the root DSE; malformed DNs are undefined', () => {
    assert.deepEqual(parseDn(''), []);
    assert.deepEqual(parseDn('   '), []);
    for (const bad of ['foo', 'CN=a,', '=a', 'CN=a\\', 'CN="open', 'C N=a', 'CN=a,,DC=b', 'CN="q"x']) {
      assert.equal(parseDn(bad), undefined, bad);
    }
  });

  test('comparison ignores case, spacing and escaping style, but not inner spaces or order', () => {
    assert.ok(sameDn('CN=EX1,CN=Servers,DC=contoso,DC=test', 'cn=ex1, cn=servers ,dc=CONTOSO,  dc=test'));
    assert.ok(sameDn('CN=a\\,b', 'cn=A\\2Cb'));
    assert.ok(sameDn('CN=a+OU=b', 'OU=b+CN=a'));
    assert.ok(!sameDn('CN=Foo Bar', 'CN=Foo  Bar'));
    assert.ok(!sameDn('CN=a,DC=b', 'DC=b,CN=a'));
    assert.ok(!sameDn('not a dn', 'not a dn'));
    assert.notEqual(dnKeyOf('CN=a\\,b'), dnKeyOf('CN=a,CN=b'));
  });

  test('isWithin and dnsDomainOf', () => {
    const base = parseDn('DC=contoso,DC=test') ?? [];
    assert.ok(isWithin(parseDn('CN=x,dc=Contoso,DC=test') ?? [], base));
    assert.ok(isWithin(base, base));
    assert.ok(!isWithin(parseDn('DC=test') ?? [], base));
    assert.ok(!isWithin(parseDn('CN=x,DC=fabrikam,DC=test') ?? [], base));
    assert.equal(dnsDomainOf(parseDn('CN=Configuration,DC=contoso,DC=test') ?? []), 'contoso.test');
    assert.equal(dnsDomainOf(parseDn('CN=x,O=org') ?? []), '');
  });

  test('escapeRdnValue output parses back to the same value', () => {
    for (const value of [
      'plain',
      'a,b',
      ' lead',
      'trail ',
      '#hash',
      'q"uote',
      'back\\slash',
      'semi;colon',
      ' ',
      'a+b<c>',
    ]) {
      const escaped = escapeRdnValue(value);
      assert.deepEqual(parseDn(`CN=${escaped}`), [[{ type: 'CN', value }]], `${value} → ${escaped}`);
    }
    assert.equal(escapeRdnValue('First Organization'), 'First Organization');
  });
});
