/**
 * The SCP lookup has one deadline for connect, bind and searches together: a directory that answers the bind
 * slowly and then never answers the search must not get a fresh --timeout per operation.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { createNodeResolver } from '../../src/adapters/node/dns.js';
import { lookupScp } from '../../src/discover/scp.js';

const sockets = new Set<net.Socket>();
const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.on('error', () => undefined);
  socket.once('data', (request) => {
    // An LDAPMessage with a short length: 30 LL 02 01 <messageID> 60 … (the BindRequest). Answer success, late.
    const id = request[4] ?? 1;
    setTimeout(
      () =>
        socket.write(Buffer.from([0x30, 0x0c, 0x02, 0x01, id, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00])),
      600,
    );
    // Whatever comes next (the root DSE search) is never answered.
  });
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('a slow bind then a silent search: one deadline, reported as a timeout naming the operation', async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.91.4.1', resolve));
  const address = server.address() as net.AddressInfo;
  const started = performance.now();
  const result = await lookupScp({
    ldapUrl: `ldap://127.91.4.1:${address.port}`,
    domain: 'contoso.test',
    email: 'chris@contoso.test',
    dns: createNodeResolver({ timeoutMs: 1000 }),
    timeoutMs: 1000,
  });
  const wall = performance.now() - started;
  const [search] = result.searches;
  assert.equal(search?.result, 'timeout');
  assert.match(
    search?.detail ?? '',
    /^reading the root DSE on 127\.91\.4\.1 \(127\.91\.4\.1:\d+\): no answer within --timeout 1000 ms/,
  );
  // Before: 600 ms of bind, then a whole new 1000 ms for the search.
  assert.ok(wall < 1000 + 300, `the SCP lookup took ${wall} ms`);
});
