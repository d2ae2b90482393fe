/**
 * --timeout is a deadline, not an idle timer, and --budget bounds the whole lookup (docs/discover-contract.md):
 * hostile peers on real loopback sockets drip their headers, drip their body, send an endless chunked body or
 * never answer the TLS handshake, and each step must end within its limit plus a small margin.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createNodeResolver } from '../../src/adapters/node/dns.js';
import { discoverFromCli } from '../../src/cli/commands/discover.js';
import { defaultBudgetMs } from '../../src/discover/context.js';
import { runDiscovery } from '../../src/discover/engine.js';
import { exchange } from '../../src/discover/http.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
import type { DnsServer } from '../../src/dns/server.js';
import { probeTls } from '../../src/tls/index.js';
import { closeAll, dnsFor, type Pki, plainPeer, testPki, tlsPeer } from '../helpers/hostile-peer.js';

const TIMEOUT = 1000;
/** What a deadline may overrun by: timers, a loaded machine (two cores shared by the whole suite). */
const MARGIN = 300;

describe('the HTTP exchange: one deadline for connect, request, headers and body', () => {
  const servers: Server[] = [];
  before(async () => {
    servers.push(await plainPeer('127.91.0.1', 8001, 'drip-headers'));
    servers.push(await plainPeer('127.91.0.1', 8002, 'drip-body'));
    servers.push(await plainPeer('127.91.0.1', 8003, 'endless-chunked'));
  });
  after(() => closeAll(servers));

  for (const [port, behaviour, stage] of [
    [8001, 'headers dripped a line every 100 ms', 'headers'],
    [8002, 'a body dripped a byte every 100 ms', 'body'],
    [8003, 'an endless chunked body', 'body'],
  ] as const) {
    test(`${behaviour}: cut at ${TIMEOUT} ms, in the ${stage}`, async () => {
      const started = performance.now();
      const result = await exchange({
        url: new URL(`http://hostile.test:${port}/autodiscover/autodiscover.xml`),
        method: 'GET',
        address: '127.91.0.1',
        timeoutMs: TIMEOUT,
      });
      const wall = performance.now() - started;
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.code, 'ETIMEDOUT');
      assert.equal(result.stage, stage);
      assert.equal(result.sent, true);
      assert.ok(wall >= TIMEOUT - 5, `ended after ${wall} ms, before the deadline`);
      assert.ok(wall < TIMEOUT + MARGIN, `ended after ${wall} ms, past ${TIMEOUT} + ${MARGIN}`);
    });
  }
});

describe('discover against hostile HTTPS peers', () => {
  let pki: Pki;
  let dns: DnsServer;
  let dnsServer: string;
  const servers: Server[] = [];
  before(async () => {
    pki = await testPki(['autodiscover.contoso.test', 'contoso.test', 'autodiscover.fabrikam.test']);
    servers.push(await tlsPeer('127.91.1.1', 443, pki, 'drip-body'));
    servers.push(await tlsPeer('127.91.1.2', 443, pki, 'drip-headers'));
    servers.push(await plainPeer('127.91.1.3', 443, 'hang')); // accepts TCP, never says a TLS word
    ({ dns, server: dnsServer } = await dnsFor([
      {
        origin: 'contoso.test',
        records: [
          { name: '@', type: 'A', value: '127.91.1.3' },
          { name: 'autodiscover', type: 'A', value: '127.91.1.1' },
        ],
      },
      { origin: 'fabrikam.test', records: [{ name: 'autodiscover', type: 'A', value: '127.91.1.2' }] },
      { origin: 'tailspin.test', records: [{ name: 'autodiscover', type: 'A', value: '127.91.1.3' }] },
    ]));
  });
  after(async () => {
    await closeAll(servers);
    await dns.close();
  });

  const run = (email: string, only: 'root-domain' | 'autodiscover-domain' | 'both', budgetMs?: number) =>
    runDiscovery(
      {
        email,
        profile: PROFILES.outlook,
        exclude: new Set([
          'scp',
          'http-redirect',
          'srv',
          ...(only === 'root-domain' ? (['autodiscover-domain'] as const) : []),
          ...(only === 'autodiscover-domain' ? (['root-domain'] as const) : []),
        ]),
        accept: { redirect: false, certificate: false },
        timeoutMs: TIMEOUT,
        ...(budgetMs !== undefined ? { budgetMs } : {}),
        ca: [pki.ca.certPem],
      },
      createNodePorts({ dnsServers: [dnsServer], timeoutMs: TIMEOUT }),
    );

  test('a dripped body: the step is a timeout in the HTTP phase, naming the deadline', async () => {
    const report = await run('chris@contoso.test', 'autodiscover-domain');
    const step = report.steps.find((s) => s.method === 'autodiscover-domain');
    assert.equal(step?.result, 'timeout');
    assert.equal(step?.phase, 'http');
    assert.match(step?.detail ?? '', /within --timeout 1000 ms \(a deadline for the whole step/);
    assert.match(step?.detail ?? '', /reading the response body/);
    // The probe's handshake and the request share the deadline: the step as a whole ends in time.
    assert.ok((step?.ms ?? 0) - (step?.dnsMs ?? 0) < TIMEOUT + MARGIN, `step took ${step?.ms} ms`);
    assert.ok(
      (report.timing?.wallMs ?? Number.POSITIVE_INFINITY) < TIMEOUT + 2 * MARGIN,
      `lookup took ${report.timing?.wallMs ?? Number.POSITIVE_INFINITY} ms`,
    );
  });

  test('dripped headers: a timeout waiting for the headers', async () => {
    const report = await run('chris@fabrikam.test', 'autodiscover-domain');
    const step = report.steps.find((s) => s.method === 'autodiscover-domain');
    assert.equal(step?.result, 'timeout');
    assert.equal(step?.phase, 'http');
    assert.match(step?.detail ?? '', /waiting for the response headers/);
    assert.ok(
      (report.timing?.wallMs ?? Number.POSITIVE_INFINITY) < TIMEOUT + 2 * MARGIN,
      `lookup took ${report.timing?.wallMs ?? Number.POSITIVE_INFINITY} ms`,
    );
  });

  test('a TLS handshake that never comes: a timeout in the TLS phase', async () => {
    const report = await run('chris@tailspin.test', 'autodiscover-domain');
    const step = report.steps.find((s) => s.method === 'autodiscover-domain');
    assert.equal(step?.result, 'timeout');
    assert.equal(step?.phase, 'tls');
    assert.match(step?.detail ?? '', /in the TLS handshake/);
    assert.ok(
      (report.timing?.wallMs ?? Number.POSITIVE_INFINITY) < TIMEOUT + 2 * MARGIN,
      `lookup took ${report.timing?.wallMs ?? Number.POSITIVE_INFINITY} ms`,
    );
  });

  test('the TLS probe alone: the handshake deadline holds', async () => {
    const started = performance.now();
    const probe = await probeTls({ address: '127.91.1.3', port: 443, servername: 'x.test', timeoutMs: TIMEOUT });
    const wall = performance.now() - started;
    assert.equal(probe.code, 'ETIMEDOUT');
    assert.equal(probe.failedAt, 'handshake');
    assert.ok(wall < TIMEOUT + MARGIN, `probe took ${wall} ms`);
  });

  test('--budget: the step that hits it says so, and nothing starts after it', async () => {
    // Both candidates hang: the first uses its whole --timeout, the second only what is left of 1500 ms.
    const report = await run('chris@contoso.test', 'both', 1500);
    const [first, second, ...rest] = report.steps.filter((s) => s.method !== 'scp' && s.result !== 'skipped');
    assert.equal(first?.method, 'root-domain');
    assert.equal(first?.result, 'timeout');
    assert.match(first?.detail ?? '', /--timeout 1000 ms/);
    assert.equal(second?.method, 'autodiscover-domain');
    assert.equal(second?.result, 'timeout');
    assert.match(second?.detail ?? '', /--budget of 1500 ms ran out/);
    assert.deepEqual(rest, []);
    assert.equal(report.outcome, 'failed');
    assert.ok(
      (report.timing?.wallMs ?? Number.POSITIVE_INFINITY) < 1500 + 2 * MARGIN,
      `lookup took ${report.timing?.wallMs ?? Number.POSITIVE_INFINITY} ms`,
    );
  });
});

test('DNS: a server that swallows every query, over UDP, is given up at the deadline', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.91.0.54', resolve));
  try {
    const { port } = silent.address();
    const resolver = createNodeResolver({ servers: [`127.91.0.54:${port}`], timeoutMs: TIMEOUT });
    const started = performance.now();
    const [addresses, srv] = await Promise.all([
      resolver.lookupAddresses('autodiscover.contoso.test'),
      resolver.resolveSrv('_autodiscover._tcp.contoso.test'),
    ]);
    const wall = performance.now() - started;
    assert.equal(addresses.status, 'error');
    assert.equal(srv.status, 'error');
    assert.ok(wall < TIMEOUT + MARGIN, `DNS took ${wall} ms`);
  } finally {
    silent.close();
  }
});

test('the default budget: every plan step once at its --timeout, plus two', () => {
  assert.equal(defaultBudgetMs(PROFILES.outlook, 10_000), (PROFILES.outlook.plan.length + 2) * 10_000);
  assert.equal(defaultBudgetMs(PROFILES.thunderbird, 2000), (PROFILES.thunderbird.plan.length + 2) * 2000);
});

test('--budget must be a whole number of milliseconds', async () => {
  for (const budget of ['0', '-5', '1.5', 'soon', '3600001']) {
    await assert.rejects(
      discoverFromCli('chris@contoso.test', { client: 'outlook', dns: [], ca: [], timeout: '1000', budget }),
      (err: Error) => {
        assert.equal(err.message, `--budget "${budget}": expected a whole number of milliseconds from 1 to 3600000`);
        return true;
      },
    );
  }
});
