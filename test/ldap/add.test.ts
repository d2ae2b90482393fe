/** LDAP adds on a writable directory server, driven over loopback by ldapts' Client. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddRequest,
  AlreadyExistsError,
  Attribute,
  Client,
  InsufficientAccessError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NamingViolationError,
  NoSuchObjectError,
  ObjectClassViolationError,
  type ResultCodeError,
  TypeOrValueExistsError,
  UnwillingToPerformError,
} from 'ldapts';
import { decodeMessage } from '../../src/ldap/decode.js';
import { buildScpDirectory } from '../../src/ldap/scp.js';
import { createDirectoryServer, type DirectoryServer } from '../../src/ldap/server.js';

const BASE = 'DC=contoso,DC=test';
const CONFIG = `CN=Configuration,${BASE}`;
const SERVERS = `CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,${CONFIG}`;
const SVC = `CN=svc-exchange,CN=Users,${BASE}`;
const PASSWORD = 'S3tup!';
// Copied from docs/protocol.md §1.1.1, not from src.
const SPEC_FILTER =
  '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';
const SCP_ATTRIBUTES = {
  objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'],
  cn: 'EX9',
  keywords: ['77378F46-2C66-4aa9-A6A6-3E7A48B19596', 'Site=Default-First-Site-Name'],
  serviceBindingInformation: 'https://mail.contoso.test/Autodiscover/Autodiscover.xml',
  serviceClassName: 'ms-Exchange-AutoDiscover-Service',
};
const container = (cn: string) => ({ objectClass: ['top', 'container'], cn });

function entries() {
  return [
    ...buildScpDirectory({ baseDN: BASE, scps: [] }),
    { dn: `CN=Users,${BASE}`, attributes: { objectClass: ['top', 'container'], cn: 'Users' } },
    { dn: SVC, attributes: { objectClass: ['top', 'person', 'user'], cn: 'svc-exchange' } },
  ];
}

async function code(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 0;
  } catch (err) {
    return (err as ResultCodeError).code;
  }
}

describe('writable directory server', () => {
  let server: DirectoryServer;
  let url: string;
  const clients: Client[] = [];
  const connect = () => {
    const c = new Client({ url, timeout: 5000 });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = createDirectoryServer({
      entries: entries(),
      bind: [{ dn: SVC, password: PASSWORD }],
      writable: true,
      address: '127.0.0.1',
    });
    url = (await server.start()).url;
  });
  after(async () => {
    for (const c of clients) await c.unbind().catch(() => {});
    await server.close();
  });

  test('a bound account adds the containers and an SCP; an SCP search finds it with whenCreated and objectCategory set', async () => {
    const client = connect();
    await client.bind(SVC, PASSWORD);
    const before = new Date();
    await client.add(`CN=EX9,${SERVERS}`, container('EX9'));
    await client.add(`CN=Protocols,CN=EX9,${SERVERS}`, container('Protocols'));
    await client.add(`CN=Autodiscover,CN=Protocols,CN=EX9,${SERVERS}`, container('Autodiscover'));
    const scp = `CN=EX9,CN=Autodiscover,CN=Protocols,CN=EX9,${SERVERS}`;
    await client.add(scp, SCP_ATTRIBUTES);

    // Read back over a fresh connection, as a client would, with the spec's objectCategory filter.
    const reader = connect();
    await reader.bind(SVC, PASSWORD);
    const { searchEntries } = await reader.search(CONFIG, { scope: 'sub', filter: SPEC_FILTER });
    assert.equal(searchEntries.length, 1);
    const found = searchEntries[0];
    assert.ok(found);
    assert.equal(found.dn, scp);
    assert.deepEqual(found['keywords'], SCP_ATTRIBUTES.keywords);
    assert.equal(found['serviceBindingInformation'], SCP_ATTRIBUTES.serviceBindingInformation);
    assert.equal(found['serviceClassName'], 'ms-Exchange-AutoDiscover-Service');
    assert.equal(found['objectCategory'], `CN=Service-Connection-Point,CN=Schema,${CONFIG}`);
    const created = String(found['whenCreated']);
    assert.match(created, /^\d{14}\.0Z$/);
    const asDate = new Date(
      `${created.slice(0, 4)}-${created.slice(4, 6)}-${created.slice(6, 8)}T${created.slice(8, 10)}:${created.slice(10, 12)}:${created.slice(12, 14)}Z`,
    );
    assert.ok(asDate.getTime() >= before.getTime() - 1000 && asDate.getTime() <= Date.now() + 1000, created);

    const adds = server.log.filter((o) => o.op === 'add');
    assert.deepEqual(
      adds.map((o) => [o.dn, o.boundAs, o.resultCode]),
      [
        [`CN=EX9,${SERVERS}`, SVC, 0],
        [`CN=Protocols,CN=EX9,${SERVERS}`, SVC, 0],
        [`CN=Autodiscover,CN=Protocols,CN=EX9,${SERVERS}`, SVC, 0],
        [scp, SVC, 0],
      ],
    );
  });

  test('the RDN attribute is filled in when absent, and a client-given whenCreated is kept', async () => {
    const client = connect();
    await client.bind(SVC, PASSWORD);
    await client.add(`CN=NoCn,CN=Users,${BASE}`, {
      objectClass: ['top', 'container'],
      whenCreated: '20120304050607.0Z',
    });
    const { searchEntries } = await client.search(`CN=NoCn,CN=Users,${BASE}`, { scope: 'base' });
    assert.equal(searchEntries[0]?.['cn'], 'NoCn');
    assert.equal(searchEntries[0]?.['whenCreated'], '20120304050607.0Z');
    assert.equal(searchEntries[0]?.['objectCategory'], `CN=Container,CN=Schema,${CONFIG}`);
  });

  test('anonymous adds, and adds after a failed bind, get insufficientAccessRights (50)', async () => {
    const anonymous = connect();
    await assert.rejects(anonymous.add(`CN=Anon,CN=Users,${BASE}`, container('Anon')), InsufficientAccessError);
    const failed = connect();
    await assert.rejects(failed.bind(SVC, 'wrong'), InvalidCredentialsError);
    assert.equal(await code(failed.add(`CN=Anon,CN=Users,${BASE}`, container('Anon'))), 50);
    const reader = connect();
    await reader.bind(SVC, PASSWORD);
    await assert.rejects(reader.search(`CN=Anon,CN=Users,${BASE}`, { scope: 'base' }), NoSuchObjectError);
  });

  test('an existing DN is entryAlreadyExists (68), whatever the spelling', async () => {
    const client = connect();
    await client.bind(SVC, PASSWORD);
    await assert.rejects(client.add(`cn=users, dc=CONTOSO, dc=test`, container('Users')), AlreadyExistsError);
    assert.equal(await code(client.add(SVC, { objectClass: ['top', 'user'] })), 68);
  });

  test('a missing parent is noSuchObject (32) naming the deepest existing ancestor', async () => {
    const client = connect();
    await client.bind(SVC, PASSWORD);
    const dn = `CN=EX7,CN=Autodiscover,CN=Protocols,CN=EX7,${SERVERS}`;
    await assert.rejects(client.add(dn, SCP_ATTRIBUTES), (err: unknown) => {
      assert.ok(err instanceof NoSuchObjectError);
      assert.equal(err.code, 32);
      return true;
    });
    const last = server.log.at(-1);
    assert.equal(last?.op, 'add');
    assert.equal(last?.op === 'add' ? last.resultCode : -1, 32);
    // A DN of one RDN has no parent here either.
    assert.equal(await code(client.add('DC=fabrikam', { objectClass: ['top', 'domain'] })), 32);
  });

  test('malformed adds: bad DN (34), no objectClass (65), RDN value missing from its attribute (64), repeated attribute (20)', async () => {
    const client = connect();
    await client.bind(SVC, PASSWORD);
    await assert.rejects(client.add('not a dn', container('x')), InvalidDNSyntaxError);
    await assert.rejects(client.add(`CN=NoClass,CN=Users,${BASE}`, { cn: 'NoClass' }), ObjectClassViolationError);
    await assert.rejects(client.add(`CN=Named,CN=Users,${BASE}`, container('Other')), NamingViolationError);
    await assert.rejects(
      client.add(`CN=Twice,CN=Users,${BASE}`, [
        new Attribute({ type: 'objectClass', values: ['top', 'container'] }),
        new Attribute({ type: 'OBJECTCLASS', values: ['top'] }),
      ]),
      TypeOrValueExistsError,
    );
    // None of them was stored; the connection still works.
    const { searchEntries } = await client.search(`CN=Users,${BASE}`, { scope: 'one', filter: '(cn=*)' });
    assert.deepEqual(searchEntries.map((e) => e['cn']).sort(), ['NoCn', 'svc-exchange']);
  });
});

describe('read-only directory server (the default)', () => {
  test('adds stay refused with unwillingToPerform (53) even for a bound account', async () => {
    const server = createDirectoryServer({ entries: entries(), bind: [{ dn: SVC, password: PASSWORD }] });
    const { url } = await server.start();
    const client = new Client({ url, timeout: 5000 });
    try {
      await client.bind(SVC, PASSWORD);
      await assert.rejects(client.add(`CN=x,CN=Users,${BASE}`, container('x')), UnwillingToPerformError);
      assert.deepEqual(
        server.log.filter((o) => o.op === 'refused').map((o) => (o.op === 'refused' ? o.operation : '')),
        ['add'],
      );
    } finally {
      await client.unbind().catch(() => {});
      await server.close();
    }
  });
});

describe('AddRequest decoding', () => {
  test('entry and attributes come out as sent', () => {
    const bytes = new AddRequest({
      messageId: 7,
      dn: 'CN=a,DC=x',
      attributes: [
        new Attribute({ type: 'objectClass', values: ['top', 'container'] }),
        new Attribute({ type: 'keywords', values: ['Site=Zürich'] }),
      ],
    }).write();
    assert.deepEqual(decodeMessage(bytes), {
      messageId: 7,
      request: {
        kind: 'add',
        dn: 'CN=a,DC=x',
        attributes: [
          { type: 'objectClass', values: ['top', 'container'] },
          { type: 'keywords', values: ['Site=Zürich'] },
        ],
      },
      controls: [],
    });
  });

  test('a truncated attribute list is a decode error, not a crash', () => {
    const bytes = Buffer.from(
      new AddRequest({
        messageId: 7,
        dn: 'CN=a,DC=x',
        attributes: [new Attribute({ type: 'cn', values: ['a'] })],
      }).write(),
    );
    const set = bytes.indexOf(0x31);
    bytes[set + 1] = 0x10; // the value set claims more bytes than its attribute holds
    assert.throws(() => decodeMessage(bytes), { name: 'LdapDecodeError' });
  });
});
