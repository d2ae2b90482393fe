/** The ClientHello reader, on the bytes real TLS clients send. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { connect } from 'node:tls';
import { peekServerName } from '../../src/lab/client-hello.js';
import { nameMatches } from '../../src/lab/tls-listener.js';

let server: Server;
let port = 0;
const hellos: Buffer[] = [];

before(async () => {
  server = createServer((socket) => {
    socket.once('data', (chunk: Buffer) => {
      hellos.push(chunk);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The first bytes node's TLS client sends (its ClientHello), caught by a plain TCP server. */
async function clientHello(options: { servername?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }): Promise<Buffer> {
  const count = hellos.length;
  await new Promise<void>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ...options });
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
  const hello = hellos[count];
  assert.ok(hello);
  return hello;
}

test('reads the name a TLS 1.3 and a TLS 1.2 client send, in lower case', async () => {
  assert.deepEqual(peekServerName(await clientHello({ servername: 'Autodiscover.Contoso.test' })), {
    complete: true,
    servername: 'autodiscover.contoso.test',
  });
  assert.deepEqual(peekServerName(await clientHello({ servername: 'a.test', maxVersion: 'TLSv1.2' })), {
    complete: true,
    servername: 'a.test',
  });
});

test('no SNI (a client connecting by IP address)', async () => {
  const hello = await clientHello({});
  assert.deepEqual(peekServerName(hello), { complete: true, servername: null });
});

test('a ClientHello cut anywhere asks for more; bytes that are not TLS give no name', async () => {
  const hello = await clientHello({ servername: 'www.contoso.test' });
  for (const cut of [0, 1, 4, 5, 6, 40, hello.length - 1]) {
    assert.deepEqual(peekServerName(hello.subarray(0, cut)), { complete: false }, `cut at ${cut}`);
  }
  assert.deepEqual(peekServerName(Buffer.from('GET / HTTP/1.1\r\n')), { complete: true, servername: null });
  assert.deepEqual(peekServerName(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0])), { complete: true, servername: null });
  assert.deepEqual(peekServerName(Buffer.from([22, 3, 1, 0xff, 0xff])), { complete: true, servername: null });
  // Damaged extension bytes are never a crash.
  const broken = Buffer.from(hello);
  broken.writeUInt16BE(0x7fff, hello.length - 2);
  assert.equal(peekServerName(broken).complete, true);
});

test('wildcard matching covers exactly one label', () => {
  assert.equal(nameMatches('*.contoso.test', 'www.contoso.test'), true);
  assert.equal(nameMatches('*.contoso.test', 'WWW.Contoso.Test.'), true);
  assert.equal(nameMatches('*.contoso.test', 'contoso.test'), false);
  assert.equal(nameMatches('*.contoso.test', 'a.b.contoso.test'), false);
  assert.equal(nameMatches('www.contoso.test', 'www.contoso.test'), true);
  assert.equal(nameMatches('www.contoso.test', 'mail.contoso.test'), false);
});
