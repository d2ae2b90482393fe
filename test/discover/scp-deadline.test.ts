/**
 * The SCP lookup has one deadline for connect, bind and searches together: a directory that answers the bind
 * slowly and then never answers the search must not get a fresh --timeout per operation.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { createNodeResolver } from '../../src/adapters/node/dns.js';
import { runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
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

test('when the lookup budget is shorter than --timeout, the SCP step names the budget, and nothing starts after it', async () => {
  const address = server.address() as net.AddressInfo;
  const started = performance.now();
  const report = await runDiscovery(
    {
      email: 'chris@contoso.test',
      profile: PROFILES['outlook-2013'],
      ldap: { url: `ldap://127.91.4.1:${address.port}` },
      exclude: new Set(),
      accept: { redirect: false, certificate: false },
      timeoutMs: 5000,
      budgetMs: 800,
      ca: [],
    },
    createNodePorts({ dnsServers: ['127.91.4.53:53'], timeoutMs: 5000 }),
  );
  const wall = performance.now() - started;
  const [scp, ...rest] = report.steps;
  assert.equal(scp?.method, 'scp');
  assert.equal(scp?.result, 'timeout');
  assert.match(scp?.detail ?? '', /no answer within the \d+ ms left of the lookup's --budget of 800 ms/);
  // Outlook 2013 asks its DNS candidates beside SCP; what is left stops at the budget, none after it.
  for (const step of rest) assert.ok(step.parallel === 'scp' || step.result === 'timeout', JSON.stringify(step));
  assert.ok(wall < 800 + 300, `the lookup took ${wall} ms`);
});
