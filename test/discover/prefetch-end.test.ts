/**
 * --prefetch-requests sends the unauthenticated requests of every candidate ahead of the walk. When the walk ends
 * before it needs one of them, that request is abandoned at once, not left holding the server's connection until
 * its own deadline (issue 9): a dripping server sees its connection closed right after the lookup returns.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:net';
import { after, before, test } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { runDiscovery } from '../../src/discover/engine.js';
import { exchange } from '../../src/discover/http.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
import type { DnsServer } from '../../src/dns/server.js';
import { closeAll, dnsFor, type Pki, plainPeer, testPki, tlsPeer } from '../helpers/hostile-peer.js';

const TIMEOUT = 5000;
const MARGIN = 300;
/** An Autodiscover <Error>: final for Outlook, so the walk ends at the step that got it. */
const ERROR_ANSWER =
  '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response><Error Time="00:00:00" Id="1"><ErrorCode>500</ErrorCode><Message>The e-mail address cannot be found.</Message><DebugData /></Error></Response></Autodiscover>';

let pki: Pki;
let dns: DnsServer;
let dnsServer: string;
const servers: Server[] = [];
/** When the dripping server saw each connection that carried a request close (performance.now()). */
const dripClosed: number[] = [];

before(async () => {
  pki = await testPki(['contoso.test', 'autodiscover.contoso.test']);
  const answering = createTlsServer({ cert: pki.cert, key: pki.key }, (socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () =>
      socket.end(
        `HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: ${Buffer.byteLength(ERROR_ANSWER)}\r\nConnection: close\r\n\r\n${ERROR_ANSWER}`,
      ),
    );
  });
  await new Promise<void>((resolve) => answering.listen({ host: '127.91.3.1', port: 443 }, resolve));
  servers.push(answering);
  const drip = await tlsPeer('127.91.3.2', 443, pki, 'drip-body');
  // Only connections that carried a request: the prefetch's TLS probe connects and closes without one.
  drip.on('secureConnection', (socket: TLSSocket) =>
    socket.once('data', () => socket.on('close', () => dripClosed.push(performance.now()))),
  );
  servers.push(drip);
  servers.push(await plainPeer('127.91.3.3', 8004, 'drip-body'));
  ({ dns, server: dnsServer } = await dnsFor([
    {
      origin: 'contoso.test',
      records: [
        { name: '@', type: 'A', value: '127.91.3.1' },
        { name: 'autodiscover', type: 'A', value: '127.91.3.2' },
      ],
    },
  ]));
});
after(async () => {
  await closeAll(servers);
  await dns.close();
});

test('an exchange whose signal aborts ends at once, with ECANCELED and where it was', async () => {
  const controller = new AbortController();
  const started = performance.now();
  const pending = exchange({
    url: new URL('http://hostile.test:8004/autodiscover/autodiscover.xml'),
    method: 'GET',
    address: '127.91.3.3',
    timeoutMs: TIMEOUT,
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(), 300);
  const result = await pending;
  assert.ok(!result.ok);
  assert.equal(result.code, 'ECANCELED');
  assert.equal(result.stage, 'body');
  assert.ok(performance.now() - started < 300 + MARGIN);
});

test('requests sent early that the walk never took are closed when the lookup ends', async () => {
  const started = performance.now();
  const report = await runDiscovery(
    {
      email: 'chris@contoso.test',
      profile: PROFILES.outlook,
      exclude: new Set(['scp', 'srv', 'http-redirect']),
      accept: { redirect: false, certificate: false },
      timeoutMs: TIMEOUT,
      prefetchRequests: true,
      ca: [pki.ca.certPem],
    },
    createNodePorts({ dnsServers: [dnsServer], timeoutMs: TIMEOUT }),
  );
  const returned = performance.now();
  // The root domain's <Error> ended the lookup; autodiscover.contoso.test was asked early and is still dripping.
  const asked = report.steps.filter((s) => s.result !== 'skipped').map((s) => s.method);
  assert.deepEqual(asked, ['root-domain']);
  assert.equal(report.steps.find((s) => s.method === 'root-domain')?.result, 'error-response');
  assert.ok(returned - started < TIMEOUT, `the lookup took ${returned - started} ms`);
  await new Promise((resolve) => setTimeout(resolve, MARGIN));
  assert.equal(dripClosed.length, 1, 'the early request reached the dripping server once');
  const closedAfter = (dripClosed[0] as number) - returned;
  assert.ok(closedAfter < MARGIN, `the early request was closed ${closedAfter} ms after the lookup ended`);
});
