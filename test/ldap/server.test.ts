/** The LDAP server over real loopback sockets, driven by ldapts' Client as an independent implementation. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Attribute,
  AuthMethodNotSupportedError,
  Change,
  Client,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  OperationsError,
  ProtocolError,
  UnwillingToPerformError,
} from 'ldapts';
import type { DirectoryEntry } from '../../src/ldap/directory.js';
import { buildScpDirectory, SCP_FILTER_EWS, SCP_FILTER_SPEC } from '../../src/ldap/scp.js';
import { createDirectoryServer, type DirectoryOperation, type DirectoryServer } from '../../src/ldap/server.js';

const BASE = 'DC=contoso,DC=test';
const CONFIG = `CN=Configuration,${BASE}`;
const SERVERS = `CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,${CONFIG}`;
const EX1_SCP = `CN=EX1,CN=Autodiscover,CN=Protocols,CN=EX1,${SERVERS}`;
const EX2_SCP = `CN=EX2,CN=Autodiscover,CN=Protocols,CN=EX2,${SERVERS}`;
const PTR_SCP = `CN=PTR1,CN=Autodiscover,CN=Protocols,CN=PTR1,${SERVERS}`;
const SVC = `CN=svc-autodisco,CN=Users,${BASE}`;
const PASSWORD = 'Secr3t!';
// Copied from docs/protocol.md §1.1.1, not from src, so a typo in the constants cannot hide.
const SPEC_FILTER =
  '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';
const EWS_FILTER =
  '(&(objectClass=serviceConnectionPoint)(|(keywords=67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';

function fixture(): DirectoryEntry[] {
  return [
    ...buildScpDirectory({
      baseDN: BASE,
      scps: [
        {
          server: 'EX1',
          url: 'https://ex1.contoso.test/Autodiscover/Autodiscover.xml',
          sites: ['Default-First-Site-Name'],
          whenCreated: new Date('2019-03-04T05:06:07Z'),
        },
        {
          server: 'EX2',
          url: 'https://ex2.contoso.test/Autodiscover/Autodiscover.xml',
          whenCreated: new Date('2018-01-02T03:04:05Z'),
        },
        {
          server: 'PTR1',
          pointer: 'LDAP://dc2.fabrikam.test:389',
          domains: ['fabrikam.test'],
          whenCreated: new Date('2020-06-07T08:09:10Z'),
        },
      ],
    }),
    // Another product's SCP: same class, no Autodiscover keyword, so the SCP filter must skip it.
    {
      dn: `CN=OtherScp,CN=Services,${CONFIG}`,
      attributes: {
        objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'],
        objectCategory: `CN=Service-Connection-Point,CN=Schema,${CONFIG}`,
        keywords: ['Something-Else'],
        serviceBindingInformation: 'https://other.contoso.test/',
      },
    },
    { dn: `CN=Users,${BASE}`, attributes: { objectClass: ['top', 'container'], cn: 'Users' } },
    { dn: SVC, attributes: { objectClass: ['top', 'person', 'user'], cn: 'svc-autodisco' } },
  ];
}

const searches = (log: readonly DirectoryOperation[]) => log.filter((o) => o.op === 'search');

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('directory server (anonymous)', () => {
  let server: DirectoryServer;
  let url: string;
  let client: Client;

  before(async () => {
    server = createDirectoryServer({ entries: fixture(), address: '127.0.0.1', port: 0 });
    const started = await server.start();
    url = started.url;
    assert.equal(started.address, '127.0.0.1');
    assert.equal(url, `ldap://127.0.0.1:${started.port}`);
    assert.deepEqual(await server.start(), started); // idempotent
    client = new Client({ url, timeout: 5000 });
  });
  after(async () => {
    await client.unbind();
    await server.close();
    await server.close(); // safe twice
  });

  test('the exported filter constants are the documented ones', () => {
    assert.equal(SCP_FILTER_SPEC, SPEC_FILTER);
    assert.equal(SCP_FILTER_EWS, EWS_FILTER);
  });

  test('reads the root DSE', async () => {
    const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)' });
    assert.deepEqual(searchEntries, [
      {
        dn: '',
        namingContexts: [BASE, CONFIG],
        defaultNamingContext: BASE,
        rootDomainNamingContext: BASE,
        configurationNamingContext: CONFIG,
        supportedLDAPVersion: '3',
        supportedControl: '1.2.840.113556.1.4.319',
      },
    ]);
    const one = await client.search('', { scope: 'base', attributes: ['configurationNamingContext'] });
    assert.deepEqual(one.searchEntries, [{ dn: '', configurationNamingContext: CONFIG }]);
  });

  // The log shows ldapts' rendering: attribute names lower-cased, and objectClass values too.
  for (const [name, filter, logged] of [
    ['MS-OXDISCO objectCategory', SPEC_FILTER, SPEC_FILTER],
    [
      'EWS objectClass',
      EWS_FILTER,
      '(&(objectclass=serviceconnectionpoint)(|(keywords=67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))',
    ],
  ] as const) {
    test(`the ${name} SCP filter returns the URL and pointer SCPs only`, async () => {
      server.clearLog();
      const { searchEntries, searchReferences } = await client.search(CONFIG, {
        scope: 'sub',
        filter,
        attributes: ['serviceBindingInformation', 'keywords', 'whenCreated'],
      });
      assert.deepEqual(searchReferences, []);
      assert.deepEqual(searchEntries, [
        {
          dn: EX1_SCP,
          serviceBindingInformation: 'https://ex1.contoso.test/Autodiscover/Autodiscover.xml',
          keywords: ['77378F46-2C66-4aa9-A6A6-3E7A48B19596', 'Site=Default-First-Site-Name'],
          whenCreated: '20190304050607.0Z',
        },
        {
          dn: EX2_SCP,
          serviceBindingInformation: 'https://ex2.contoso.test/Autodiscover/Autodiscover.xml',
          keywords: '77378F46-2C66-4aa9-A6A6-3E7A48B19596',
          whenCreated: '20180102030405.0Z',
        },
        {
          dn: PTR_SCP,
          serviceBindingInformation: 'LDAP://dc2.fabrikam.test:389',
          keywords: ['67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68', 'Domain=fabrikam.test'],
          whenCreated: '20200607080910.0Z',
        },
      ]);
      const [entry] = searches(server.log);
      assert.deepEqual(entry, {
        connection: 1,
        op: 'search',
        messageId: entry?.messageId,
        boundAs: '',
        base: CONFIG,
        scope: 'sub',
        filter: logged,
        attributes: ['serviceBindingInformation', 'keywords', 'whenCreated'],
        typesOnly: false,
        sizeLimit: 0,
        paged: false,
        entries: 3,
        references: 0,
        resultCode: 0,
      });
    });
  }

  test('objectCategory as a full DN, spaced and cased loosely, matches like the short name', async () => {
    const filter = `(objectCategory=cn=service-connection-point, CN=Schema,cn=configuration, dc=contoso,dc=test)`;
    const { searchEntries } = await client.search(CONFIG, { filter, attributes: ['cn'] });
    assert.deepEqual(
      searchEntries.map((e) => e['cn']),
      ['EX1', 'EX2', 'PTR1', []],
    );
  });

  test('scopes: base, one, sub, children; DN of the base compared loosely', async () => {
    const loose = SERVERS.toLowerCase().replaceAll(',', ' , ');
    const dns = async (scope: 'base' | 'one' | 'sub' | 'children') =>
      (await client.search(loose, { scope, attributes: ['1.1'] })).searchEntries.map((e) => e.dn);
    assert.deepEqual(await dns('base'), [SERVERS]);
    assert.deepEqual(await dns('one'), [`CN=EX1,${SERVERS}`, `CN=EX2,${SERVERS}`, `CN=PTR1,${SERVERS}`]);
    const sub = await dns('sub');
    assert.equal(sub.length, 13);
    assert.equal(sub[0], SERVERS);
    assert.deepEqual(await dns('children'), sub.slice(1));
  });

  test('a subtree search of the domain stays in its naming context and refers to the Configuration NC', async () => {
    const { searchEntries, searchReferences } = await client.search(BASE, {
      filter: '(objectClass=*)',
      attributes: ['1.1'],
    });
    assert.deepEqual(
      searchEntries.map((e) => e.dn),
      [BASE, `CN=Users,${BASE}`, SVC],
    );
    assert.deepEqual(searchReferences, ['ldap://contoso.test/CN=Configuration,DC=contoso,DC=test']);
  });

  test('attribute selection: named (any case), *, none, 1.1, typesOnly', async () => {
    const named = await client.search(EX1_SCP, { scope: 'base', attributes: ['SERVICEBINDINGINFORMATION', 'cn'] });
    assert.deepEqual(named.searchEntries, [
      { dn: EX1_SCP, cn: 'EX1', serviceBindingInformation: 'https://ex1.contoso.test/Autodiscover/Autodiscover.xml' },
    ]);
    const everything = {
      dn: EX1_SCP,
      objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'],
      cn: 'EX1',
      serviceClassName: 'ms-Exchange-AutoDiscover-Service',
      serviceBindingInformation: 'https://ex1.contoso.test/Autodiscover/Autodiscover.xml',
      keywords: ['77378F46-2C66-4aa9-A6A6-3E7A48B19596', 'Site=Default-First-Site-Name'],
      whenCreated: '20190304050607.0Z',
      objectCategory: `CN=Service-Connection-Point,CN=Schema,${CONFIG}`,
    };
    assert.deepEqual((await client.search(EX1_SCP, { scope: 'base', attributes: ['*'] })).searchEntries, [
      { ...everything, '*': [] },
    ]);
    assert.deepEqual((await client.search(EX1_SCP, { scope: 'base' })).searchEntries, [everything]);
    // ldapts adds each requested name it did not receive as [] ('*' above too); here the server sent none at all.
    assert.deepEqual((await client.search(EX1_SCP, { scope: 'base', attributes: ['1.1'] })).searchEntries, [
      { dn: EX1_SCP, '1.1': [] },
    ]);
    const typesOnly = await client.search(EX1_SCP, {
      scope: 'base',
      attributes: ['keywords', 'whenCreated'],
      returnAttributeValues: false,
    });
    assert.deepEqual(typesOnly.searchEntries, [{ dn: EX1_SCP, keywords: [], whenCreated: [] }]);
    assert.equal(searches(server.log).at(-1)?.typesOnly, true);
  });

  test('filters: substrings, not, ordering on whenCreated, approx', async () => {
    const cns = async (filter: string) =>
      (await client.search(CONFIG, { filter, attributes: ['cn'] })).searchEntries.map((e) => e['cn']);
    assert.deepEqual(await cns('(serviceBindingInformation=https://*.contoso.test/autodiscover/*)'), ['EX1', 'EX2']);
    assert.deepEqual(await cns('(&(keywords=*)(!(keywords=Site=*))(objectClass=serviceConnectionPoint))'), [
      'EX2',
      'PTR1',
      [],
    ]);
    assert.deepEqual(await cns('(&(objectCategory=serviceConnectionPoint)(whenCreated>=20190101000000.0Z))'), [
      'EX1',
      'PTR1',
    ]);
    assert.deepEqual(await cns('(whenCreated<=20190101000000.0Z)'), ['EX2']);
    assert.deepEqual(await cns('(keywords~=domain=FABRIKAM.TEST)'), ['PTR1']);
  });

  test('an unknown base is noSuchObject; a malformed one invalidDNSyntax', async () => {
    await assert.rejects(client.search(`CN=Nope,${CONFIG}`, { filter: '(objectClass=*)' }), (err: unknown) => {
      assert.ok(err instanceof NoSuchObjectError);
      assert.equal(err.code, 32);
      assert.equal(err.message, `no such object: CN=Nope,${CONFIG} Code: 0x20`); // ldapts appends the code
      return true;
    });
    await assert.rejects(client.search('DC=fabrikam,DC=test'), NoSuchObjectError);
    await assert.rejects(client.search('', { scope: 'sub' }), NoSuchObjectError);
    await assert.rejects(client.search('not a dn'), InvalidDNSyntaxError);
    assert.equal(searches(server.log).at(-1)?.resultCode, 34);
  });

  test('size limit: the first n entries, then sizeLimitExceeded (ldapts returns them without throwing)', async () => {
    server.clearLog();
    const { searchEntries } = await client.search(CONFIG, {
      filter: SCP_FILTER_SPEC,
      sizeLimit: 2,
      attributes: ['cn'],
    });
    assert.deepEqual(
      searchEntries.map((e) => e['cn']),
      ['EX1', 'EX2'],
    );
    const [logged] = searches(server.log);
    assert.equal(logged?.resultCode, 4);
    assert.equal(logged?.entries, 2);
    // A limit equal to the count is not exceeded.
    await client.search(CONFIG, { filter: SCP_FILTER_SPEC, sizeLimit: 3, attributes: ['cn'] });
    assert.equal(searches(server.log).at(-1)?.resultCode, 0);
  });

  test('paged results: one entry per page, every entry once', async () => {
    server.clearLog();
    const { searchEntries } = await client.search(CONFIG, {
      filter: SCP_FILTER_EWS,
      attributes: ['cn'],
      paged: { pageSize: 1 },
    });
    assert.deepEqual(
      searchEntries.map((e) => e['cn']),
      ['EX1', 'EX2', 'PTR1'],
    );
    assert.deepEqual(
      searches(server.log).map((s) => [s.paged, s.entries]),
      [
        [true, 1],
        [true, 1],
        [true, 1],
      ],
    );
  });

  test('writes and extended operations are refused with a proper response', async () => {
    server.clearLog();
    await assert.rejects(client.add(`CN=x,${CONFIG}`, { cn: 'x' }), UnwillingToPerformError);
    await assert.rejects(client.del(EX1_SCP), UnwillingToPerformError);
    await assert.rejects(
      client.modify(
        EX1_SCP,
        new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: ['y'] }) }),
      ),
      UnwillingToPerformError,
    );
    await assert.rejects(client.compare(EX1_SCP, 'cn', 'EX1'), UnwillingToPerformError);
    await assert.rejects(client.exop('1.3.6.1.4.1.4203.1.11.3'), ProtocolError); // "Who am I?"
    assert.deepEqual(
      server.log.map((o) => (o.op === 'refused' ? `${o.operation}:${o.resultCode}` : o.op)),
      ['add:53', 'delete:53', 'modify:53', 'compare:53', 'extended 1.3.6.1.4.1.4203.1.11.3:2'],
    );
    // The connection is still good.
    assert.equal((await client.search(EX1_SCP, { scope: 'base' })).searchEntries.length, 1);
  });

  test('only anonymous binds succeed when no accounts are configured', async () => {
    const c = new Client({ url, timeout: 5000 });
    await c.bind('', '');
    await assert.rejects(c.bind(SVC, PASSWORD), InvalidCredentialsError);
    await assert.rejects(c.bindSASL('PLAIN', 'x'), AuthMethodNotSupportedError);
    await c.unbind();
  });

  test('unbind is logged and closes the connection', async () => {
    server.clearLog();
    const c = new Client({ url, timeout: 5000 });
    await c.search('', { scope: 'base' });
    await c.unbind();
    // Connections of earlier tests may still be closing: follow only this one (the only connect after clearLog).
    const id = server.log.find((o) => o.op === 'connect')?.connection;
    const mine = () => server.log.filter((o) => o.connection === id);
    await waitFor(() => mine().some((o) => o.op === 'disconnect'));
    assert.deepEqual(
      mine().map((o) => o.op),
      ['connect', 'search', 'unbind', 'disconnect'],
    );
    assert.deepEqual(mine().at(-1), { connection: id, op: 'disconnect', reason: 'unbind' });
  });
});

describe('directory server (accounts)', () => {
  let server: DirectoryServer;
  let url: string;

  before(async () => {
    server = createDirectoryServer({
      entries: fixture(),
      address: '127.0.0.1',
      bind: [
        { dn: SVC, password: PASSWORD },
        { dn: 'reader@contoso.test', password: 'r' },
      ],
    });
    ({ url } = await server.start());
  });
  after(() => server.close());

  test('anonymous may bind and read the root DSE, but not search the tree (AD 000004DC)', async () => {
    const c = new Client({ url, timeout: 5000 });
    await c.bind('', '');
    assert.equal((await c.search('', { scope: 'base' })).searchEntries.length, 1);
    await assert.rejects(c.search(CONFIG, { filter: SCP_FILTER_SPEC }), (err: unknown) => {
      assert.ok(err instanceof OperationsError);
      assert.match(err.message, /^000004DC: LdapErr: .*a successful bind must be completed on the connection/);
      return true;
    });
    await c.unbind();
  });

  test('a simple bind with the right password (DN compared loosely, or a UPN) may search', async () => {
    server.clearLog();
    const c = new Client({ url, timeout: 5000 });
    await c.bind('cn=SVC-AUTODISCO , cn=users,dc=contoso,dc=test', PASSWORD);
    const { searchEntries } = await c.search(CONFIG, { filter: SCP_FILTER_SPEC, attributes: ['cn'] });
    assert.equal(searchEntries.length, 3);
    await c.bind('READER@contoso.test', 'r');
    await c.search(CONFIG, { filter: SCP_FILTER_SPEC, attributes: ['cn'] });
    await c.unbind();
    const log = server.log.filter((o) => o.op === 'bind' || o.op === 'search');
    assert.deepEqual(
      log.map((o) => (o.op === 'bind' ? `bind ${o.dn} ${o.method} ${o.resultCode}` : `search as ${o.boundAs}`)),
      [
        'bind cn=SVC-AUTODISCO , cn=users,dc=contoso,dc=test simple 0',
        'search as cn=SVC-AUTODISCO , cn=users,dc=contoso,dc=test',
        'bind READER@contoso.test simple 0',
        'search as READER@contoso.test',
      ],
    );
  });

  test('a wrong password is invalidCredentials (AD data 52e) and leaves the connection anonymous', async () => {
    const c = new Client({ url, timeout: 5000 });
    await c.bind(SVC, PASSWORD);
    await assert.rejects(c.bind(SVC, 'wrong'), (err: unknown) => {
      assert.ok(err instanceof InvalidCredentialsError);
      assert.equal(err.code, 49);
      assert.match(err.message, /AcceptSecurityContext error, data 52e/);
      return true;
    });
    await assert.rejects(c.search(CONFIG, { filter: SCP_FILTER_SPEC }), OperationsError);
    await assert.rejects(c.bind(`CN=nobody,${BASE}`, PASSWORD), InvalidCredentialsError);
    // A name without a password is an unauthenticated bind (RFC 4513 §5.1.2): refused.
    await assert.rejects(c.bind(SVC, ''), UnwillingToPerformError);
    await c.unbind();
  });
});
