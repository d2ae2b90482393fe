import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AbandonRequest,
  BindRequest,
  DeleteRequest,
  ExtendedRequest,
  FilterParser,
  PagedResultsControl,
  SearchRequest,
  UnbindRequest,
} from 'ldapts';
import { LdapDecodeError } from '../../src/ldap/codes.js';
import { decodeMessage, takeFrame } from '../../src/ldap/decode.js';
import { Directory, type SearchScope, selectAttributes } from '../../src/ldap/directory.js';
import { buildScpDirectory } from '../../src/ldap/scp.js';

const search = (filter: string, extra: Partial<ConstructorParameters<typeof SearchRequest>[0]> = {}) =>
  new SearchRequest({
    messageId: 7,
    baseDN: 'CN=Configuration,DC=contoso,DC=test',
    scope: 'one',
    filter: FilterParser.parseString(filter),
    attributes: ['serviceBindingInformation', 'Keywords'],
    sizeLimit: 5,
    returnAttributeValues: false,
    ...extra,
  }).write();

describe('request decoding', () => {
  test('search: every field, attribute names as sent, filter through ldapts classes', () => {
    const paged = new PagedResultsControl({ critical: true, value: { size: 10 } });
    const { messageId, request, controls } = decodeMessage(search('(&(objectClass=*)(cn=EX*))', { controls: [paged] }));
    assert.equal(messageId, 7);
    assert.equal(request.kind, 'search');
    if (request.kind !== 'search') return;
    assert.deepEqual(
      { ...request, filter: request.filter.toString() },
      {
        kind: 'search',
        base: 'CN=Configuration,DC=contoso,DC=test',
        scope: 1,
        sizeLimit: 5,
        typesOnly: true,
        filter: '(&(objectclass=*)(cn=EX*))',
        attributes: ['serviceBindingInformation', 'Keywords'],
      },
    );
    assert.deepEqual(
      controls.map((c) => [c.type, c.critical]),
      [['1.2.840.113556.1.4.319', true]],
    );
  });

  test('bind (simple and SASL), unbind, abandon, extended, and refused operations by tag', () => {
    assert.deepEqual(decodeMessage(new BindRequest({ messageId: 1, dn: 'CN=a', password: 'pw' }).write()).request, {
      kind: 'bind',
      version: 3,
      dn: 'CN=a',
      auth: { method: 'simple', password: 'pw' },
    });
    assert.deepEqual(
      decodeMessage(new BindRequest({ messageId: 1, mechanism: 'PLAIN', password: 'x' }).write()).request,
      {
        kind: 'bind',
        version: 3,
        dn: '',
        auth: { method: 'sasl', mechanism: 'PLAIN' },
      },
    );
    assert.deepEqual(decodeMessage(new UnbindRequest({ messageId: 2 }).write()).request, { kind: 'unbind' });
    assert.deepEqual(decodeMessage(new AbandonRequest({ messageId: 3, abandonId: 300 }).write()).request, {
      kind: 'abandon',
      abandonId: 300,
    });
    assert.deepEqual(
      decodeMessage(new ExtendedRequest({ messageId: 4, oid: '1.3.6.1.4.1.1466.20037' }).write()).request,
      {
        kind: 'extended',
        oid: '1.3.6.1.4.1.1466.20037',
      },
    );
    assert.deepEqual(decodeMessage(new DeleteRequest({ messageId: 5, dn: 'CN=x' }).write()).request, {
      kind: 'other',
      tag: 0x4a,
    });
  });

  test('takeFrame waits for whole messages and splits concatenated ones', () => {
    const one = search('(cn=a)');
    const two = Buffer.concat([one, one]);
    assert.deepEqual(takeFrame(Buffer.alloc(0), 1 << 20), { need: 1 });
    assert.deepEqual(takeFrame(two.subarray(0, 1), 1 << 20), { need: 2 });
    assert.deepEqual(takeFrame(Buffer.from([0x30, 0x82, 0x01]), 1 << 20), { need: 4 });
    assert.deepEqual(takeFrame(two.subarray(0, one.length - 1), 1 << 20), { need: one.length });
    assert.deepEqual(takeFrame(two, 1 << 20), { frame: one, rest: one });
    assert.throws(() => takeFrame(one, 10), /message of \d+ bytes refused/);
  });

  test('regression: a substring value whose length overruns the message is refused, not looped on', () => {
    const bytes = Buffer.from(search('(cn=a*b*c)'));
    const any = bytes.indexOf(Buffer.from([0x81, 0x01, 0x62])); // the "b" of the any part
    bytes[any + 1] = 0x7f;
    assert.throws(() => decodeMessage(bytes), { name: 'LdapDecodeError', message: 'BER element overruns its parent' });
  });

  test('fuzz: mutated requests decode or throw LdapDecodeError, and whatever decodes can be searched with', () => {
    const directory = new Directory(
      buildScpDirectory({
        baseDN: 'DC=contoso,DC=test',
        scps: [{ server: 'EX1', url: 'https://ex1/', whenCreated: new Date(0) }],
      }),
    );
    const scopes: SearchScope[] = ['base', 'one', 'sub', 'children'];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const seeds = [
      search('(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F*)(keywords=*1959*6)))'),
      search('(!(|(a>=1)(b<=2)(c~=3)(d=*)(e:caseExactMatch:=f)))'),
      new BindRequest({ messageId: 9, dn: 'CN=svc,DC=x', password: 'secret' }).write(),
      new BindRequest({ messageId: 9, mechanism: 'EXTERNAL' }).write(),
    ];
    let decoded = 0;
    let refused = 0;
    for (let k = 0; k < 20_000; k++) {
      const bytes = Buffer.from(seeds[k % seeds.length] as Buffer);
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const frame = random() < 0.2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      try {
        const { request } = decodeMessage(frame);
        decoded++;
        const scope = request.kind === 'search' ? scopes[request.scope] : undefined;
        if (request.kind !== 'search' || scope === undefined) continue;
        request.filter.toString(); // what the log records
        const outcome = directory.search(request.base, scope, request.filter);
        if (outcome.code === 0)
          for (const e of outcome.entries) selectAttributes(e, request.attributes, request.typesOnly);
      } catch (err) {
        assert.ok(err instanceof LdapDecodeError, `${(err as Error).name}: ${(err as Error).message}`);
        refused++;
      }
    }
    assert.ok(decoded > 0 && refused > 0, `${decoded} decoded, ${refused} refused`);
  });
});
