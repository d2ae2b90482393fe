import assert from 'node:assert/strict';
import type { Resolver } from 'node:dns/promises';
import { after, before, describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createNodeResolver } from '../../src/adapters/node/dns.js';
import {
  freshChannels,
  IN_FLIGHT_PER_CHANNEL,
  QUERIES_PER_CHANNEL,
  sharedChannels,
} from '../../src/adapters/node/dns-channels.js';
import { createAuditPorts } from '../../src/audit/ports.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { createDnsServer } from '../../src/dns/server.js';
import { HELD_ANSWER, type HeldDns, startHeldDns } from '../helpers/held-dns.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('c-ares channels of the DNS port', () => {
  let dns: HeldDns;
  before(async () => {
    dns = await startHeldDns({ hold: (name) => name.startsWith('held') || name.startsWith('lost') });
  });
  after(() => dns.close());

  for (const reuseChannels of [true, false]) {
    it(`${reuseChannels ? 'keeps one channel: queries in flight together share its socket' : 'without reuseChannels, gives each query a channel and a socket of its own'}`, async () => {
      const r = createNodeResolver({ servers: [dns.at], timeoutMs: 3000, tries: 1, reuseChannels });
      const start = dns.queries.length;
      const names = Array.from({ length: 8 }, (_, i) => `held${i}.${reuseChannels}.test`);
      const answers = Promise.all(names.map((name) => r.resolve4(name)));
      await dns.arrived(start + names.length);
      for (const name of names) dns.release(name);
      assert.deepEqual(
        await answers,
        names.map((name) => ({ name, type: 'A', status: 'ok', records: [HELD_ANSWER] })),
      );
      const ports = new Set(dns.queries.slice(start).map((q) => q.port));
      assert.equal(ports.size, reuseChannels ? 1 : names.length);
    });
  }

  it(`takes at most IN_FLIGHT_PER_CHANNEL (${IN_FLIGHT_PER_CHANNEL}) queries in flight on one channel: more go to another`, async () => {
    const r = createNodeResolver({ servers: [dns.at], timeoutMs: 3000, tries: 1, reuseChannels: true });
    const start = dns.queries.length;
    const count = 2 * IN_FLIGHT_PER_CHANNEL + 5;
    const names = Array.from({ length: count }, (_, i) => `held-many${i}.test`);
    const answers = Promise.all(names.map((name) => r.resolve4(name)));
    await dns.arrived(start + count);
    dns.release();
    assert.deepEqual(
      (await answers).map((a) => a.status),
      names.map(() => 'ok'),
    );
    // Each socket had no more answers coming than its share: three channels, the first two full.
    const perPort = new Map<number, number>();
    for (const q of dns.queries.slice(start)) perPort.set(q.port, (perPort.get(q.port) ?? 0) + 1);
    assert.deepEqual(
      [...perPort.values()].sort((a, b) => b - a),
      [IN_FLIGHT_PER_CHANNEL, IN_FLIGHT_PER_CHANNEL, 5],
    );
    // Once they are answered, a kept channel takes queries again: no channel is made for them.
    const channels = sharedChannels(1);
    const used = new Set<Resolver>();
    const ask = (name: string) =>
      channels.run(dns.at, 3000, true, (resolver) => {
        used.add(resolver);
        return resolver.resolve4(name);
      });
    const poolStart = dns.queries.length;
    const first = Array.from({ length: IN_FLIGHT_PER_CHANNEL + 1 }, (_, i) => ask(`held-pool${i}.test`));
    await dns.arrived(poolStart + IN_FLIGHT_PER_CHANNEL + 1);
    dns.release();
    await Promise.all(first);
    assert.equal(channels.made, 2);
    await ask('again.test');
    assert.equal(channels.made, 2, 'a kept channel answered');
    assert.equal(used.size, 2);
  });

  it('an audit’s ports keep their channels (behind the run’s cache), discover’s do not', async () => {
    const ports = createAuditPorts({ dnsServers: [dns.at], timeoutMs: 3000, perHost: 4 });
    const start = dns.queries.length;
    const names = Array.from({ length: 6 }, (_, i) => `held-audit${i}.test`);
    const answers = Promise.all(names.map((name) => ports.dns.resolve4(name)));
    await dns.arrived(start + names.length);
    dns.release();
    assert.deepEqual(
      (await answers).map((a) => a.status),
      names.map(() => 'ok'),
    );
    assert.equal(new Set(dns.queries.slice(start).map((q) => q.port)).size, 1);
    const discover = createNodePorts({ dnsServers: [dns.at], timeoutMs: 3000 });
    const more = Promise.all(names.map((name) => discover.dns.resolve4(name)));
    await dns.arrived(start + 2 * names.length);
    dns.release();
    await more;
    assert.equal(new Set(dns.queries.slice(start + names.length).map((q) => q.port)).size, names.length);
  });

  it('a query that runs out of budget leaves the other queries of its channel alone', async () => {
    const r = createNodeResolver({ servers: [dns.at], timeoutMs: 600, tries: 1, reuseChannels: true });
    const start = dns.queries.length;
    const lost = r.resolve4('lost1.test');
    await dns.arrived(start + 1);
    await sleep(300);
    // Asked while the first is in flight, answered only after the first's budget ran out.
    const slow = r.resolve4('held-slow.test');
    await dns.arrived(start + 2);
    assert.deepEqual(await lost, {
      name: 'lost1.test',
      type: 'A',
      status: 'error',
      code: 'ETIMEOUT',
      message: `A lost1.test: no answer within 600 ms (asked ${dns.at})`,
    });
    dns.release('held-slow.test');
    assert.deepEqual(await slow, { name: 'held-slow.test', type: 'A', status: 'ok', records: [HELD_ANSWER] });
    const asked = dns.queries.slice(start);
    assert.deepEqual(
      asked.map((q) => q.name),
      ['lost1.test', 'held-slow.test'],
      'each asked once: the second was not sent again',
    );
    assert.equal(new Set(asked.map((q) => q.port)).size, 1, 'both on one channel');
  });

  it('an abandoned query is cancelled once nobody waits on its channel; new queries get a fresh channel', async () => {
    // Two tries of 300 ms: c-ares itself would give up on its own only after 300 + 600 ms, past the budget.
    const channels = sharedChannels(2);
    const used: Resolver[] = [];
    let lost: Promise<string[]> = Promise.resolve([]);
    const lostOutcome = channels.run(dns.at, 600, true, (resolver) => {
      used.push(resolver);
      lost = resolver.resolve4('lost2.test');
      return lost;
    });
    await dns.askedFor('lost2.test');
    await sleep(300);
    const slowOutcome = channels.run(dns.at, 600, true, (resolver) => {
      used.push(resolver);
      return resolver.resolve4('held-slow2.test');
    });
    await dns.askedFor('held-slow2.test');
    assert.deepEqual(await lostOutcome, { ok: false, error: null, expired: true });
    const next = await channels.run(dns.at, 600, true, (resolver) => {
      used.push(resolver);
      return resolver.resolve4('next.test');
    });
    assert.deepEqual(next, { ok: true, value: [HELD_ANSWER] });
    assert.equal(used[1], used[0], 'asked on the first channel while the first query was in flight');
    assert.notEqual(used[2], used[0], 'asked after the first expired: a fresh channel');
    dns.release('held-slow2.test');
    // A cancel() before this answer would have ended it too.
    assert.deepEqual(await slowOutcome, { ok: true, value: [HELD_ANSWER] });
    // Then nobody waits on the first channel: the abandoned query is cancelled, not left to its tries.
    await assert.rejects(lost, { code: 'ECANCELLED' });
    dns.release('lost2.test');
    assert.equal(channels.made, 2);
  });

  it('hands over to a fresh channel after QUERIES_PER_CHANNEL queries, and gives a fail-over’s budget its own', async () => {
    const channels = sharedChannels(2);
    const used: Resolver[] = [];
    const note = async (resolver: Resolver) => {
      used.push(resolver);
      return 'noted';
    };
    // The first channel's last query is still in flight when the next channel takes over.
    const start = dns.queries.length;
    for (let i = 0; i < QUERIES_PER_CHANNEL - 1; i++) await channels.run(dns.at, 3000, true, note);
    const inFlight = channels.run(dns.at, 3000, true, (resolver) => {
      used.push(resolver);
      return resolver.resolve4('held-over.test');
    });
    await dns.arrived(start + 1);
    await channels.run(dns.at, 3000, true, note);
    // Nothing but the query itself refers to the old channel now: it keeps its channel alive.
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
    dns.release('held-over.test');
    assert.deepEqual(await inFlight, { ok: true, value: [HELD_ANSWER] });
    assert.equal(new Set(used.slice(0, QUERIES_PER_CHANNEL)).size, 1);
    assert.notEqual(used[QUERIES_PER_CHANNEL], used[0]);
    assert.equal(channels.made, 2);
    // A later server's share of what is left: a channel made for that budget, not kept.
    await channels.run(dns.at, 700, false, note);
    await channels.run(dns.at, 700, false, note);
    assert.equal(new Set(used).size, 4);
    assert.equal(channels.made, 4);
    await channels.run(dns.at, 3000, true, note);
    assert.equal(used.at(-1), used[QUERIES_PER_CHANNEL]);
  });

  it('a query that throws at once fails the same way on either kind of channel', async () => {
    const bad = new TypeError('The "name" argument must be of type string');
    for (const channels of [sharedChannels(1), freshChannels(1)]) {
      const outcome = await channels.run(dns.at, 300, true, () => {
        throw bad;
      });
      assert.deepEqual(outcome, { ok: false, error: bad, expired: false });
    }
  });

  it('fresh channels are made per query and cancelled at the budget', async () => {
    const channels = freshChannels(1);
    const outcome = await channels.run(dns.at, 200, true, (resolver) => resolver.resolve4('lost3.test'));
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.expired, true);
    assert.equal(!outcome.ok && (outcome.error as NodeJS.ErrnoException).code, 'ECANCELLED');
    await channels.run(dns.at, 200, true, (resolver) => resolver.resolve4('next.test'));
    assert.equal(channels.made, 2);
  });
});

describe('a kept channel and TTLs', () => {
  it('never hands out an answer past its TTL (Node keeps c-ares’s own cache off; where on, it counts TTLs down)', async (t) => {
    const server = createDnsServer({
      zones: [{ origin: 'lab.test', records: [{ name: 'short', type: 'A', value: '127.0.0.5', ttl: 2 }] }],
    });
    const { server: at } = await server.start();
    t.after(() => server.close());
    const r = createNodeResolver({ servers: [at], timeoutMs: 1000, tries: 1, ttl: true, reuseChannels: true });
    const expected = { name: 'short.lab.test', type: 'A', status: 'ok', records: ['127.0.0.5'] };
    assert.deepEqual(await r.resolve4('short.lab.test'), { ...expected, ttl: 2 });
    await sleep(1100);
    const again = await r.resolve4('short.lab.test');
    assert.equal(again.status, 'ok');
    const ttl = again.status === 'ok' ? again.ttl : undefined;
    if (server.queries.length === 2) assert.equal(ttl, 2, 'asked the server again: its TTL');
    else assert.ok(ttl !== undefined && ttl <= 1, `a cached answer counts its TTL down (got ${ttl})`);
    // What this Node does (20.20: nodejs/node#57640 sets qcache_max_ttl = 0): the server is asked each time.
    t.diagnostic(`c-ares ${process.versions.ares}: server asked ${server.queries.length} times`);
  });
});
