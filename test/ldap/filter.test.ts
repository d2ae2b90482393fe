import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AndFilter, BerReader, BerWriter, FilterParser, OrFilter } from 'ldapts';
import { LdapDecodeError } from '../../src/ldap/codes.js';
import { evaluate, type MatchTarget, readFilter, type Truth } from '../../src/ldap/filter.js';

/** Encodes with ldapts (the client side), decodes with our reader: the path a real request takes. */
function roundTrip(filter: string) {
  const writer = new BerWriter();
  FilterParser.parseString(filter).write(writer);
  const reader = new BerReader(Buffer.from(writer.buffer));
  const decoded = readFilter(reader);
  assert.equal(reader.offset, writer.buffer.length);
  return decoded;
}

function target(attributes: Record<string, string[]>, isRootDse = false): MatchTarget {
  const byName = new Map(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name) => byName.get(name.toLowerCase()), isRootDse };
}

const scp = target({
  objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'],
  objectCategory: ['CN=Service-Connection-Point,CN=Schema,CN=Configuration,DC=contoso,DC=test'],
  keywords: ['67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68', 'Domain=fabrikam.test'],
  serviceBindingInformation: ['LDAP://dc2.contoso.test:389'],
  whenCreated: ['20200102030405.0Z'],
  uSNChanged: ['12345'],
});

function check(filter: string, on: MatchTarget): Truth {
  return evaluate(roundTrip(filter), on);
}

describe('filter decoding', () => {
  test('present filters keep their own attribute, also when nested (ldapts 8.2 reads the wrong bytes)', () => {
    assert.equal(roundTrip('(objectClass=*)').toString(), '(objectclass=*)');
    assert.equal(roundTrip('(&(cn=x)(!(keywords=*)))').toString(), '(&(cn=x)(!(keywords=*)))');
  });

  test('rejects unknown choices, truncation and absurd nesting', () => {
    assert.throws(() => readFilter(new BerReader(Buffer.from([0x99, 0x00]))), LdapDecodeError);
    assert.throws(() => readFilter(new BerReader(Buffer.from([0xa3, 0x10, 0x04, 0x01]))), LdapDecodeError);
    assert.throws(() => readFilter(new BerReader(Buffer.from([0x87, 0x05, 0x61]))), LdapDecodeError);
    const deep = `${'(!'.repeat(40)}(cn=x)${')'.repeat(40)}`;
    assert.throws(() => roundTrip(deep), /nested too deeply/);
  });
});

describe('filter evaluation', () => {
  test('the SCP filters of MS-OXDISCO and of the EWS Managed API (keywords ignore case)', () => {
    const spec =
      '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';
    const ews =
      '(&(objectClass=serviceConnectionPoint)(|(keywords=67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';
    assert.equal(check(spec, scp), true);
    assert.equal(check(ews, scp), true);
    assert.equal(check('(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)', scp), false);
  });

  test('objectCategory takes the class name or the category DN, spaced and cased any way', () => {
    assert.equal(check('(objectCategory=serviceConnectionPoint)', scp), true);
    assert.equal(check('(objectCategory=SERVICECONNECTIONPOINT)', scp), true);
    assert.equal(
      check('(objectCategory=cn=service-connection-point, cn=schema,CN=Configuration, DC=contoso,DC=test)', scp),
      true,
    );
    assert.equal(check('(objectCategory=connectionPoint)', scp), false);
    assert.equal(check('(objectCategory=CN=Service-Connection-Point,CN=Schema,DC=other)', scp), false);
    const user = target({ objectCategory: ['CN=Person,CN=Schema,CN=Configuration,DC=contoso,DC=test'] });
    assert.equal(check('(objectCategory=user)', user), true);
    assert.equal(check('(objectCategory=person)', user), true);
  });

  test('equality ignores case; presence; and/or/not; absolute true and false', () => {
    assert.equal(check('(serviceBindingInformation=ldap://DC2.contoso.test:389)', scp), true);
    assert.equal(check('(mail=*)', scp), false);
    assert.equal(check('(keywords=*)', scp), true);
    assert.equal(check('(!(keywords=Site=*))', scp), true);
    assert.equal(check('(|(cn=nope)(keywords=domain=FABRIKAM.test))', scp), true);
    assert.equal(check('(&(cn=nope)(keywords=*))', scp), false);
    // ldapts cannot parse '(&)' from a string, so build the empty sets directly.
    assert.equal(evaluate(new AndFilter({ filters: [] }), scp), true);
    assert.equal(evaluate(new OrFilter({ filters: [] }), scp), false);
    assert.equal(evaluate(readFilter(new BerReader(Buffer.from([0xa0, 0x00]))), scp), true);
    assert.equal(evaluate(readFilter(new BerReader(Buffer.from([0xa1, 0x00]))), scp), false);
  });

  test('substrings on any value, in order, without overlap', () => {
    assert.equal(check('(keywords=Domain=*)', scp), true);
    assert.equal(check('(serviceBindingInformation=ldap://*contoso*:389)', scp), true);
    assert.equal(check('(serviceBindingInformation=*:389)', scp), true);
    assert.equal(check('(serviceBindingInformation=*389*contoso*)', scp), false);
    assert.equal(check('(cn=a*a)', target({ cn: ['a'] })), false);
    assert.equal(check('(cn=a*a)', target({ cn: ['aa'] })), true);
  });

  test('ordering: generalized time as strings, integers as numbers; approx is equality', () => {
    assert.equal(check('(whenCreated>=20200101000000.0Z)', scp), true);
    assert.equal(check('(whenCreated<=20200101000000.0Z)', scp), false);
    assert.equal(check('(uSNChanged>=9999)', scp), true);
    assert.equal(check('(uSNChanged<=9999)', scp), false);
    assert.equal(check('(keywords~=domain=fabrikam.test)', scp), true);
  });

  test('extensible match is Undefined, and NOT keeps it Undefined', () => {
    assert.equal(check('(cn:caseExactMatch:=x)', scp), undefined);
    assert.equal(check('(!(cn:caseExactMatch:=x))', scp), undefined);
    assert.equal(check('(|(cn:caseExactMatch:=x)(keywords=*))', scp), true);
    assert.equal(check('(&(cn:caseExactMatch:=x)(keywords=*))', scp), undefined);
  });

  test('(objectClass=*) selects the root DSE, which has no objectClass', () => {
    const root = target({ namingContexts: ['DC=contoso,DC=test'] }, true);
    assert.equal(check('(objectClass=*)', root), true);
    assert.equal(check('(objectClass=top)', root), false);
  });
});
