/** Wire-level behaviour: bad bytes, raw result codes, listening on several loopback addresses, listen errors. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BindRequest, Client, Control, ExtendedResponse, FilterParser, MessageParser, SearchRequest } from 'ldapts';
import { AutodiscoError } from '../../src/errors.js';
import { buildScpDirectory } from '../../src/ldap/scp.js';
import { createDirectoryServer, type DirectoryServer } from '../../src/ldap/server.js';

const BASE = 'DC=contoso,DC=test';
const CONFIG = `CN=Configuration,${BASE}`;
const SCP_FILTER =
  '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';
const NOTICE_OID = '1.3.6.1.4.1.1466.20036';

const entries = (baseDN: string, host: string) =>
  buildScpDirectory({
    baseDN,
    scps: [
      {
        server: 'EX1',
        url: `https://ex1.${host}/Autodiscover/Autodiscover.xml`,
        whenCreated: new Date('2019-01-01T00:00:00Z'),
      },
      {
        server: 'EX2',
        url: `https://ex2.${host}/Autodiscover/Autodiscover.xml`,
        whenCreated: new Date('2020-01-01T00:00:00Z'),
      },
    ],
  });

interface Received {
  messageId: number;
  protocolOperation: number;
  status: number;
  errorMessage: string;
  oid?: string | undefined;
}

/**
 * Writes `bytes` on a fresh connection (then half-closes it) and decodes what comes back with ldapts' (client-side) MessageParser,
 * until the server closes the connection or `enough` says so.
 */
function exchange(
  port: number,
  bytes: Buffer,
  enough?: (got: Received[]) => boolean,
): Promise<{ got: Received[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const got: Received[] = [];
    const parser = new MessageParser();
    parser.on('message', (m) => got.push({ ...m, oid: m instanceof ExtendedResponse ? m.oid : undefined }));
    parser.on('error', reject);
    // Half-close after writing: a server waiting for the rest of a cut message then sees EOF and hangs up.
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close after ${JSON.stringify(got)}`));
    }, 4000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ got, closed });
    };
    socket.on('data', (d) => {
      parser.read(d, new Map());
      if (enough?.(got)) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('error', reject);
  });
}

function search(messageId: number, options: Partial<ConstructorParameters<typeof SearchRequest>[0]> = {}): Buffer {
  return new SearchRequest({
    messageId,
    baseDN: CONFIG,
    scope: 'sub',
    filter: FilterParser.parseString(SCP_FILTER),
    attributes: ['cn'],
    ...options,
  }).write();
}

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A copy of `bytes` with the first `from` byte replaced by `to`. */
function withByte(bytes: Buffer, from: number, to: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[copy.indexOf(from)] = to;
  return copy;
}

const isDone = (got: Received[]) => got.some((m) => m.protocolOperation === 0x65);

/** Deterministic pseudo-random numbers (mulberry32), so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('malformed input', () => {
  let server: DirectoryServer;
  let port: number;
  let steady: Client; // a well-behaved client that stays connected throughout

  before(async () => {
    server = createDirectoryServer({ entries: entries(BASE, 'contoso.test'), address: '127.0.0.1', port: 0 });
    ({ port } = await server.start());
    steady = new Client({ url: `ldap://127.0.0.1:${port}`, timeout: 5000 });
    assert.equal((await steady.search(CONFIG, { filter: SCP_FILTER })).searchEntries.length, 2);
  });
  after(async () => {
    await steady.unbind();
    await server.close();
  });

  const notice = (errorMessage: string): Received => ({
    messageId: 0,
    protocolOperation: 0x78,
    status: 2,
    errorMessage,
    oid: NOTICE_OID,
  });

  test('bytes that are not LDAP get a Notice of Disconnection and the connection is closed', async () => {
    const { got, closed } = await exchange(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(closed, true);
    assert.deepEqual(
      got.map(({ messageId, protocolOperation, status, errorMessage, oid }) => ({
        messageId,
        protocolOperation,
        status,
        errorMessage,
        oid,
      })),
      [notice('not an LDAPMessage (first byte 0x47)')],
    );
    const reasons = () => server.log.flatMap((o) => (o.op === 'disconnect' ? [o.reason] : []));
    await waitFor(() => reasons().length > 0);
    assert.deepEqual(reasons(), ['protocol error: not an LDAPMessage (first byte 0x47)']);
  });

  for (const [name, bytes, message] of [
    [
      'a response sent as a request',
      Buffer.from([0x30, 0x07, 0x02, 0x01, 0x01, 0x61, 0x02, 0x0a, 0x00]),
      'protocolOp 0x61 is not a request',
    ],
    [
      'an announced 16 MiB message',
      Buffer.from([0x30, 0x84, 0x01, 0x00, 0x00, 0x00]),
      'message of 16777216 bytes refused',
    ],
    [
      'an indefinite length',
      Buffer.from([0x30, 0x80, 0x00, 0x00]),
      'bad message length: Indefinite length not supported',
    ],
    [
      'a search cut short inside its frame',
      Buffer.from([0x30, 0x08, 0x02, 0x01, 0x02, 0x63, 0x03, 0x04, 0x01, 0x41]),
      'truncated scope',
    ],
    ['an unknown filter choice', withByte(search(3), 0xa0, 0xa7), 'unknown filter choice 0xa7'],
    ['a multi-byte tag', withByte(search(3), 0xa0, 0xbf), 'multi-byte BER tags are not used by LDAP'],
  ] as const) {
    test(`${name}: notice, then close`, async () => {
      const { got, closed } = await exchange(port, bytes);
      assert.equal(closed, true);
      assert.deepEqual(
        got.map(({ messageId, protocolOperation, status, errorMessage, oid }) => ({
          messageId,
          protocolOperation,
          status,
          errorMessage,
          oid,
        })),
        [notice(message)],
      );
    });
  }

  test('messages before the garbage in the same write are answered first', async () => {
    const bind = new BindRequest({ messageId: 1, dn: '', password: '' }).write();
    const { got, closed } = await exchange(port, Buffer.concat([bind, Buffer.from([0xff, 0xff, 0xff])]));
    assert.equal(closed, true);
    assert.deepEqual(
      got.map((m) => [m.messageId, m.protocolOperation, m.status]),
      [
        [1, 0x61, 0],
        [0, 0x78, 2],
      ],
    );
  });

  test('a request trickling in one byte at a time, then two requests in one write, are all answered', async () => {
    const { got } = await new Promise<{ got: Received[] }>((resolve, reject) => {
      const got: Received[] = [];
      const parser = new MessageParser();
      parser.on('message', (m) => got.push(m));
      const socket = connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      socket.on('error', reject);
      socket.on('data', (d) => {
        parser.read(d, new Map());
        if (got.filter((m) => m.protocolOperation === 0x65).length === 3) {
          socket.destroy();
          resolve({ got });
        }
      });
      socket.on('connect', async () => {
        for (const byte of search(1)) {
          socket.write(Buffer.from([byte]));
          await new Promise((r) => setTimeout(r, 1));
        }
        socket.write(Buffer.concat([search(2), search(3)]));
      });
    });
    assert.deepEqual(
      got.filter((m) => m.protocolOperation === 0x65).map((m) => [m.messageId, m.status]),
      [
        [1, 0],
        [2, 0],
        [3, 0],
      ],
    );
    assert.equal(got.filter((m) => m.protocolOperation === 0x64).length, 6);
  });

  test('the raw sizeLimitExceeded result follows the allowed entries', async () => {
    const { got } = await exchange(port, search(9, { sizeLimit: 1 }), isDone);
    assert.deepEqual(
      got.map((m) => [m.messageId, m.protocolOperation, m.status, m.errorMessage]),
      [
        [9, 0x64, 0, ''],
        [9, 0x65, 4, 'size limit of 1 exceeded'],
      ],
    );
  });

  test('a bad scope or an unknown critical control fails that search only', async () => {
    const badScope = Buffer.from(search(4, { scope: 'base' }));
    badScope[badScope.indexOf(Buffer.from([0x0a, 0x01, 0x00])) + 2] = 7;
    const critical = search(5, { controls: [new Control('1.2.3.4.5', { critical: true })] });
    const ignorable = search(6, { controls: [new Control('1.2.3.4.5', { critical: false })] });
    const { got } = await exchange(
      port,
      Buffer.concat([badScope, critical, ignorable]),
      (g) => g.filter((m) => m.protocolOperation === 0x65).length === 3,
    );
    assert.deepEqual(
      got.filter((m) => m.protocolOperation === 0x65).map((m) => [m.messageId, m.status, m.errorMessage]),
      [
        [4, 2, 'unknown search scope 7'],
        [5, 12, 'control 1.2.3.4.5 is not supported'],
        [6, 0, ''],
      ],
    );
  });

  test('fuzzed requests never crash the server; the steady client keeps working', async () => {
    const random = prng(20240607);
    const seeds = [
      search(1),
      search(2, { filter: FilterParser.parseString('(&(cn=a*b*c)(!(objectClass=*))(|(x>=1)(y<=2)(z~=3)))') }),
      new BindRequest({ messageId: 3, dn: 'CN=x,DC=y', password: 'p' }).write(),
    ];
    for (let round = 0; round < 100; round++) {
      const batch: Promise<unknown>[] = [];
      for (let k = 0; k < 5; k++) {
        const bytes = Buffer.from(seeds[Math.floor(random() * seeds.length)] as Buffer);
        const flips = 1 + Math.floor(random() * 4);
        for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        const cut = random() < 0.3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
        // Either the server answers and we hang up, or it hangs up: both are fine, neither may take long.
        batch.push(exchange(port, cut, (g) => g.length > 0).catch(() => undefined));
      }
      await Promise.all(batch);
    }
    assert.equal((await steady.search(CONFIG, { filter: SCP_FILTER })).searchEntries.length, 2);
    const fresh = new Client({ url: `ldap://127.0.0.1:${port}`, timeout: 5000 });
    assert.equal((await fresh.search('', { scope: 'base' })).searchEntries.length, 1);
    await fresh.unbind();
  });
});

describe('listening', () => {
  test('two servers on different loopback addresses (same port) at once, each with its own data and log', async () => {
    const contoso = createDirectoryServer({ entries: entries(BASE, 'contoso.test'), address: '127.0.0.2', port: 0 });
    const a = await contoso.start();
    const fabrikam = createDirectoryServer({
      entries: entries('DC=fabrikam,DC=test', 'fabrikam.test'),
      address: '127.0.0.3',
      port: a.port,
    });
    try {
      const b = await fabrikam.start();
      assert.equal(a.url, `ldap://127.0.0.2:${a.port}`);
      assert.equal(b.url, `ldap://127.0.0.3:${a.port}`);
      const read = async (url: string) => {
        const c = new Client({ url, timeout: 5000 });
        const root = await c.search('', { scope: 'base', attributes: ['configurationNamingContext'] });
        const config = String(root.searchEntries[0]?.['configurationNamingContext']);
        const scps = await c.search(config, { filter: SCP_FILTER, attributes: ['serviceBindingInformation'] });
        await c.unbind();
        return scps.searchEntries.map((e) => e['serviceBindingInformation']);
      };
      const [fromA, fromB] = await Promise.all([read(a.url), read(b.url)]);
      assert.deepEqual(fromA, [
        'https://ex1.contoso.test/Autodiscover/Autodiscover.xml',
        'https://ex2.contoso.test/Autodiscover/Autodiscover.xml',
      ]);
      assert.deepEqual(fromB, [
        'https://ex1.fabrikam.test/Autodiscover/Autodiscover.xml',
        'https://ex2.fabrikam.test/Autodiscover/Autodiscover.xml',
      ]);
      const bases = (s: DirectoryServer) => s.log.flatMap((o) => (o.op === 'search' ? [o.base] : []));
      assert.deepEqual(bases(contoso), ['', 'CN=Configuration,DC=contoso,DC=test']);
      assert.deepEqual(bases(fabrikam), ['', 'CN=Configuration,DC=fabrikam,DC=test']);
    } finally {
      await fabrikam.close();
      await contoso.close();
    }
  });

  test('a taken address:port is ADK_ERR_LISTEN naming it', async () => {
    const first = createDirectoryServer({ entries: [], address: '127.0.0.1', port: 0 });
    const { port } = await first.start();
    const second = createDirectoryServer({ entries: [], address: '127.0.0.1', port });
    try {
      await assert.rejects(second.start(), (err: unknown) => {
        assert.ok(err instanceof AutodiscoError);
        assert.equal(err.code, 'ADK_ERR_LISTEN');
        assert.equal(err.message, `ldap://127.0.0.1:${port} is already in use`);
        assert.equal((err.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
        return true;
      });
    } finally {
      await second.close();
      await first.close();
    }
    // Once free, the port can be used again.
    const third = createDirectoryServer({ entries: [], address: '127.0.0.1', port });
    assert.equal((await third.start()).port, port);
    await third.close();
  });

  test('refuses non-loopback addresses, bad ports and bad entries up front', () => {
    const invalid = (fn: () => unknown, message: string) =>
      assert.throws(
        fn,
        (err: unknown) =>
          err instanceof AutodiscoError && err.code === 'ADK_ERR_INVALID_ARGUMENT' && err.message === message,
      );
    invalid(
      () => createDirectoryServer({ entries: [], address: '0.0.0.0' }),
      'the LDAP test server listens on loopback only, not 0.0.0.0',
    );
    invalid(() => createDirectoryServer({ entries: [], port: 70000 }), 'port 70000 is not a TCP port number');
    invalid(
      () => createDirectoryServer({ entries: [{ dn: 'nonsense', attributes: {} }] }),
      'entries[0].dn "nonsense" is not a valid DN',
    );
    invalid(
      () =>
        createDirectoryServer({
          entries: [
            { dn: 'CN=a,DC=b', attributes: {} },
            { dn: 'cn=A , dc=B', attributes: {} },
          ],
        }),
      'entries[1].dn "cn=A , dc=B" appears twice',
    );
  });
});
