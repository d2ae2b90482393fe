import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { LookupAddress, LookupOptions } from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createNodeResolver, parseDnsServer, recordingResolver } from '../../src/adapters/node/dns.js';
import type { DnsResolver } from '../../src/dns/resolver.js';
import { createDnsServer, type DnsServer } from '../../src/dns/server.js';

/** A UDP port with nothing behind it: bind, note the port, close. */
async function closedUdpPort(address: string): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** connectLookup with a promise around it; `all` decides which callback shape comes back. */
function lookup(
  resolver: DnsResolver,
  host: string,
  options: LookupOptions,
): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }> {
  return new Promise((resolve) =>
    resolver.connectLookup(host, options, (err, address, family) => resolve({ err, address, family })),
  );
}

// Every behaviour holds the same whether each query gets a fresh c-ares channel or the channels are kept (audit).
for (const reuseChannels of [false, true]) {
  describe(`createNodeResolver()${reuseChannels ? ' with channels kept across queries' : ''}`, () => {
    let server: DnsServer;
    let at: string;
    let r: DnsResolver;

    before(async () => {
      server = createDnsServer({
        address: '127.0.0.53',
        zones: [
          {
            origin: 'lab.test',
            records: [
              { name: 'app', type: 'A', value: '127.0.0.1' },
              { name: 'dual', type: 'A', value: '127.0.50.1' },
              { name: 'dual', type: 'A', value: '127.0.50.2' },
              { name: 'dual', type: 'AAAA', value: '::1' },
              { name: 'v6only', type: 'AAAA', value: '2001:db8::6' },
              { name: 'textonly', type: 'TXT', value: 'no address here' },
              { name: 'noaaaa', type: 'A', value: '127.0.50.3' },
            ],
          },
        ],
        faults: [
          { name: 'broken.lab.test', action: 'servfail' },
          { name: 'noaaaa.lab.test', type: 'AAAA', action: 'drop' },
        ],
      });
      at = (await server.start()).server;
      r = createNodeResolver({ servers: [at], timeoutMs: 400, tries: 1, reuseChannels });
    });
    after(() => server.close());

    describe('#lookupAddresses()', () => {
      it('returns A addresses, then AAAA', async () => {
        assert.deepEqual(await r.lookupAddresses('dual.lab.test'), {
          name: 'dual.lab.test',
          status: 'ok',
          addresses: [
            { address: '127.0.50.1', family: 4 },
            { address: '127.0.50.2', family: 4 },
            { address: '::1', family: 6 },
          ],
          fromLiteral: false,
        });
        assert.deepEqual(await r.lookupAddresses('v6only.lab.test'), {
          name: 'v6only.lab.test',
          status: 'ok',
          addresses: [{ address: '2001:db8::6', family: 6 }],
          fromLiteral: false,
        });
      });

      it('returns IP literals without asking anyone', async () => {
        server.clearQueries();
        assert.deepEqual(await r.lookupAddresses('127.0.0.9'), {
          name: '127.0.0.9',
          status: 'ok',
          addresses: [{ address: '127.0.0.9', family: 4 }],
          fromLiteral: true,
        });
        assert.deepEqual(await r.lookupAddresses('[::1]'), {
          name: '::1',
          status: 'ok',
          addresses: [{ address: '::1', family: 6 }],
          fromLiteral: true,
        });
        // The system resolver takes the same short cut.
        assert.deepEqual(await createNodeResolver({ reuseChannels }).lookupAddresses('::1'), {
          name: '::1',
          status: 'ok',
          addresses: [{ address: '::1', family: 6 }],
          fromLiteral: true,
        });
        assert.deepEqual(server.queries, []);
      });

      it('says why there is no address', async () => {
        assert.deepEqual(await r.lookupAddresses('nope.lab.test'), { name: 'nope.lab.test', status: 'nxdomain' });
        assert.deepEqual(await r.lookupAddresses('textonly.lab.test'), { name: 'textonly.lab.test', status: 'nodata' });
        assert.deepEqual(await r.lookupAddresses('broken.lab.test'), {
          name: 'broken.lab.test',
          status: 'error',
          code: 'ESERVFAIL',
          message: `A broken.lab.test: the DNS server answered SERVFAIL (it failed to find the answer) (asked ${at})`,
        });
      });

      it('keeps the A addresses when only the AAAA query times out', async () => {
        assert.deepEqual(await r.lookupAddresses('noaaaa.lab.test'), {
          name: 'noaaaa.lab.test',
          status: 'ok',
          addresses: [{ address: '127.0.50.3', family: 4 }],
          fromLiteral: false,
        });
      });
    });

    describe('#connectLookup()', () => {
      it('honours all and family as dns.lookup does', async () => {
        assert.deepEqual(await lookup(r, 'dual.lab.test', { all: true }), {
          err: null,
          address: [
            { address: '127.0.50.1', family: 4 },
            { address: '127.0.50.2', family: 4 },
            { address: '::1', family: 6 },
          ],
          family: undefined,
        });
        assert.deepEqual(await lookup(r, 'dual.lab.test', {}), { err: null, address: '127.0.50.1', family: 4 });
        assert.deepEqual(await lookup(r, 'dual.lab.test', { family: 6 }), { err: null, address: '::1', family: 6 });
        assert.deepEqual(await lookup(r, 'dual.lab.test', { family: 'IPv4', all: true }), {
          err: null,
          address: [
            { address: '127.0.50.1', family: 4 },
            { address: '127.0.50.2', family: 4 },
          ],
          family: undefined,
        });
      });

      it('fails with ENOTFOUND, ENODATA or the DNS failure code', async () => {
        const missing = await lookup(r, 'nope.lab.test', { all: true });
        assert.deepEqual(missing.address, []);
        assert.equal(missing.err?.code, 'ENOTFOUND');
        assert.equal(missing.err?.message, 'lookup ENOTFOUND nope.lab.test: the name does not exist');
        assert.equal((missing.err as { hostname?: string } | null)?.hostname, 'nope.lab.test');
        const v4 = await lookup(r, 'v6only.lab.test', { family: 4 });
        assert.deepEqual(
          [v4.err?.code, v4.err?.message, v4.address],
          ['ENODATA', 'lookup ENODATA v6only.lab.test: the name has no address', ''],
        );
        const broken = await lookup(r, 'broken.lab.test', {});
        assert.equal(broken.err?.code, 'ESERVFAIL');
      });

      it('steers a real net.connect to an address only the test zone knows', async (t) => {
        const target = net.createServer((socket) => socket.end('hello'));
        await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
        t.after(() => new Promise<void>((resolve) => target.close(() => resolve())));
        const { port } = target.address() as net.AddressInfo;
        // autoSelectFamily makes net ask with all:true; without it net asks for one address.
        for (const autoSelectFamily of [true, false]) {
          const socket = net.connect({ host: 'app.lab.test', port, lookup: r.connectLookup, autoSelectFamily });
          const received = await new Promise<string>((resolve, reject) => {
            let text = '';
            socket.on('data', (chunk: Buffer) => {
              text += chunk.toString();
            });
            socket.on('end', () => resolve(text));
            socket.on('error', reject);
          });
          assert.equal(received, 'hello');
          assert.equal(socket.remoteAddress, '127.0.0.1');
        }
        const failed = net.connect({ host: 'nope.lab.test', port, lookup: r.connectLookup });
        const err = await new Promise<NodeJS.ErrnoException>((resolve) => failed.on('error', resolve));
        assert.equal(err.code, 'ENOTFOUND');
      });

      it('steers an http.request too', async (t) => {
        const web = http.createServer((req, res) => res.end(`host ${req.headers.host}`));
        await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
        t.after(() => new Promise<void>((resolve) => web.close(() => resolve())));
        const { port } = web.address() as net.AddressInfo;
        const body = await new Promise<string>((resolve, reject) => {
          const req = http.get(
            { host: 'app.lab.test', port, path: '/', lookup: r.connectLookup, agent: false },
            (res) => {
              let text = '';
              res.on('data', (chunk: Buffer) => {
                text += chunk.toString();
              });
              res.on('end', () => resolve(text));
            },
          );
          req.on('error', reject);
        });
        assert.equal(body, `host app.lab.test:${port}`);
      });
    });

    describe('with several servers', () => {
      it('falls through an unreachable first server', async () => {
        const dead = `127.0.0.1:${await closedUdpPort('127.0.0.1')}`;
        const both = createNodeResolver({ servers: [dead, at], timeoutMs: 2000, tries: 1, reuseChannels });
        assert.deepEqual(await both.resolve4('app.lab.test'), {
          name: 'app.lab.test',
          type: 'A',
          status: 'ok',
          records: ['127.0.0.1'],
        });
      });

      it('falls through a first server that never answers, within the budget', async (t) => {
        const silent = createDnsServer({
          zones: [{ origin: 'lab.test', records: [] }],
          faults: [{ name: 'app.lab.test', action: 'drop' }],
        });
        const { server: silentAt } = await silent.start();
        t.after(() => silent.close());
        const both = createNodeResolver({ servers: [silentAt, at], timeoutMs: 1000, tries: 1, reuseChannels });
        const started = performance.now();
        assert.deepEqual(await both.resolve4('app.lab.test'), {
          name: 'app.lab.test',
          type: 'A',
          status: 'ok',
          records: ['127.0.0.1'],
        });
        assert.ok(performance.now() - started < 1000);
        assert.deepEqual(silent.queries, [
          { name: 'app.lab.test', type: 'A', rcode: null, answers: 0, transport: 'udp' },
        ]);
      });

      it('reports ECONNREFUSED when no server listens, naming each server', async () => {
        const dead = `127.0.0.1:${await closedUdpPort('127.0.0.1')}`;
        const result = await createNodeResolver({ servers: [dead], timeoutMs: 1000, tries: 1, reuseChannels }).resolve4(
          'app.lab.test',
        );
        assert.deepEqual(result, {
          name: 'app.lab.test',
          type: 'A',
          status: 'error',
          code: 'ECONNREFUSED',
          message: `A app.lab.test: the DNS server refused the connection (nothing listens there) (asked ${dead})`,
        });
        const dead2 = `127.0.0.53:${await closedUdpPort('127.0.0.53')}`;
        const none = await createNodeResolver({
          servers: [dead, dead2],
          timeoutMs: 1000,
          tries: 1,
          reuseChannels,
        }).resolve4('app.lab.test');
        assert.deepEqual(none, {
          name: 'app.lab.test',
          type: 'A',
          status: 'error',
          code: 'ECONNREFUSED',
          message:
            `A app.lab.test: no server answered (${dead}: the DNS server refused the connection (nothing listens there); ` +
            `${dead2}: the DNS server refused the connection (nothing listens there))`,
        });
      });
    });
  });
}

describe('parseDnsServer()', () => {
  it('accepts ip, ip:port and [v6]:port', () => {
    assert.equal(parseDnsServer('127.0.0.53'), '127.0.0.53');
    assert.equal(parseDnsServer('127.0.0.1:5353'), '127.0.0.1:5353');
    assert.equal(parseDnsServer('::1'), '::1');
    assert.equal(parseDnsServer('[::1]:5353'), '[::1]:5353');
    assert.equal(parseDnsServer('[::1]'), '::1');
  });

  it('rejects anything else with ADK_ERR_INVALID_ARGUMENT', () => {
    for (const bad of ['dns.example', '127.0.0.1:0', '127.0.0.1:70000', '[::1]:0', '[127.0.0.1]:53x', '']) {
      assert.throws(() => createNodeResolver({ servers: [bad] }), {
        code: 'ADK_ERR_INVALID_ARGUMENT',
        message: `DNS server "${bad}" is not an IP address with an optional port (expected 127.0.0.1, 127.0.0.1:5353 or [::1]:5353)`,
      });
    }
  });
});

describe('createNodeResolver() options', () => {
  it('rejects a budget or a number of tries that cannot work', () => {
    assert.throws(() => createNodeResolver({ timeoutMs: 0 }), {
      code: 'ADK_ERR_INVALID_ARGUMENT',
      message: 'DNS timeout 0 ms and tries 2 must be positive (tries a whole number)',
    });
    assert.throws(() => createNodeResolver({ tries: 0 }), { code: 'ADK_ERR_INVALID_ARGUMENT' });
  });
});

describe('recordingResolver()', () => {
  it('records every query, its result and its timing', async (t) => {
    const server = createDnsServer({
      zones: [{ origin: 'lab.test', records: [{ name: 'app', type: 'A', value: '127.0.0.1' }] }],
    });
    const { server: at } = await server.start();
    t.after(() => server.close());
    let clock = 1000;
    const seen: string[] = [];
    const recorder = recordingResolver(createNodeResolver({ servers: [at], timeoutMs: 1000, tries: 1 }), {
      now: () => {
        clock += 5;
        return clock;
      },
      onRecord: (entry) => seen.push(`${entry.method} ${entry.name}`),
    });
    await recorder.resolve4('app.lab.test');
    await recorder.resolveSrv('_autodiscover._tcp.lab.test');
    await new Promise((resolve) => recorder.connectLookup('app.lab.test', { all: true }, resolve));
    await new Promise((resolve) => recorder.connectLookup('nope.lab.test', {}, resolve));
    assert.deepEqual(recorder.queries, [
      {
        method: 'resolve4',
        name: 'app.lab.test',
        startedAt: 1005,
        ms: 5,
        result: { name: 'app.lab.test', type: 'A', status: 'ok', records: ['127.0.0.1'] },
      },
      {
        method: 'resolveSrv',
        name: '_autodiscover._tcp.lab.test',
        startedAt: 1015,
        ms: 5,
        result: { name: '_autodiscover._tcp.lab.test', type: 'SRV', status: 'nxdomain' },
      },
      {
        method: 'connectLookup',
        name: 'app.lab.test',
        startedAt: 1025,
        ms: 5,
        result: {
          name: 'app.lab.test',
          status: 'ok',
          addresses: [{ address: '127.0.0.1', family: 4 }],
          fromLiteral: false,
        },
      },
      {
        method: 'connectLookup',
        name: 'nope.lab.test',
        startedAt: 1035,
        ms: 5,
        result: { name: 'nope.lab.test', status: 'nxdomain' },
      },
    ]);
    assert.deepEqual(seen, [
      'resolve4 app.lab.test',
      'resolveSrv _autodiscover._tcp.lab.test',
      'connectLookup app.lab.test',
      'connectLookup nope.lab.test',
    ]);
  });
});
