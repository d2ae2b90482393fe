/**
 * Addresses in use, teardown after a failure part-way, two labs at once, close() with connections still open, and
 * the range option. Ranges 127.22.0.0/24 to 127.26.0.0/24, so this file can run next to the other lab tests.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { connect } from 'node:tls';
import { DEFAULT_LAB_RANGE, parseLabRange, startLab } from '../../src/lab/lab.js';
import { type ScenarioInput, validateScenario } from '../../src/lab/scenario.js';

function scenario(): ScenarioInput {
  return {
    name: 'robust',
    title: 'Two hosts and a directory',
    email: 'chris@contoso.test',
    dns: {
      zones: [
        {
          origin: 'contoso.test',
          records: [
            { name: 'www', type: 'A', value: 'host:a' },
            { name: 'mail', type: 'A', value: 'host:b' },
          ],
        },
      ],
    },
    hosts: [
      {
        name: 'a',
        https: { certificate: { names: ['www.contoso.test'] } },
        http: {},
        routes: [{ path: '/hang', answer: { hang: true } }],
      },
      { name: 'b', https: { certificate: { names: ['mail.contoso.test'] } }, routes: [] },
    ],
    directory: { baseDN: 'DC=contoso,DC=test', scps: [] },
  };
}

const valid = () => validateScenario(scenario(), 'robust');

/** Listens on TCP address:port; resolves with the server, or rejects with the listen error. */
function occupy(address: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.destroy());
    server.once('error', reject);
    server.listen({ host: address, port }, () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function bindUdp(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ address, port }, () => socket.close(() => resolve()));
  });
}

/** Every listener of a lab on `prefix` (e.g. '127.22.1') is gone: each address and port can be bound again. */
async function assertFree(prefix: string, tcp: [offset: number, port: number][]): Promise<void> {
  await bindUdp(`${prefix}.53`, 53);
  for (const [offset, port] of tcp) await closeServer(await occupy(`${prefix}.${offset}`, port));
}

async function resolve4(server: string, name: string): Promise<string[]> {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([server]);
  return resolver.resolve4(name);
}

/** Completes a TLS handshake and returns whether `ca` verifies the certificate served. */
function verifies(address: string, servername: string, ca: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port: 443, servername, ca, rejectUnauthorized: false }, () => {
      resolve(socket.authorized);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('addresses in use', () => {
  test('a second lab on the same range fails naming the address and port, and leaves the first one running', async () => {
    const first = await startLab(valid(), { range: '127.22.0.0/24' });
    try {
      await assert.rejects(startLab(valid(), { range: '127.22.0.0/24' }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ADK_ERR_LISTEN');
        assert.match(err.message, /127\.22\.0\.53:53/);
        assert.match(err.message, /already in use/);
        return true;
      });
      assert.deepEqual(await resolve4(first.dns, 'www.contoso.test'), ['127.22.0.100']);
    } finally {
      await first.close();
    }
    await assertFree('127.22.0', [
      [53, 53],
      [10, 389],
      [100, 443],
      [100, 80],
      [101, 443],
    ]);
  });

  test('a host port in use: the error names it, and DNS, LDAP and the hosts before it are torn down', async () => {
    const blocker = await occupy('127.22.1.101', 443);
    try {
      await assert.rejects(startLab(valid(), { range: '127.22.1.0/24' }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ADK_ERR_LISTEN');
        assert.equal(err.message, 'https://127.22.1.101:443 is already in use (host "b")');
        return true;
      });
    } finally {
      await closeServer(blocker);
    }
    await assertFree('127.22.1', [
      [53, 53],
      [10, 389],
      [100, 443],
      [100, 80],
      [101, 443],
    ]);
  });

  test('the LDAP port in use', async () => {
    const blocker = await occupy('127.22.2.10', 389);
    try {
      await assert.rejects(startLab(valid(), { range: '127.22.2.0/24' }), {
        code: 'ADK_ERR_LISTEN',
        message: /ldap:\/\/127\.22\.2\.10:389 is already in use/,
      });
    } finally {
      await closeServer(blocker);
    }
    await assertFree('127.22.2', [[53, 53]]);
  });
});

test('two labs at once on different ranges, each with its own addresses and its own root', async () => {
  const one = await startLab(valid(), { range: '127.23.0.0/24' });
  const two = await startLab(valid(), { range: '127.24.0.0/24' });
  try {
    assert.deepEqual(await resolve4(one.dns, 'mail.contoso.test'), ['127.23.0.101']);
    assert.deepEqual(await resolve4(two.dns, 'mail.contoso.test'), ['127.24.0.101']);
    assert.notEqual(one.caPem, two.caPem);
    assert.notEqual(one.caFile, two.caFile);
    assert.equal(await verifies('127.23.0.101', 'mail.contoso.test', one.caPem), true);
    assert.equal(await verifies('127.24.0.101', 'mail.contoso.test', two.caPem), true);
    assert.equal(await verifies('127.24.0.101', 'mail.contoso.test', one.caPem), false);
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});

test('close() ends hanging requests, is idempotent, frees every address and removes the CA file', async () => {
  const lab = await startLab(valid(), { range: '127.25.0.0/24' });
  const hanging = new Promise<string>((resolve) => {
    const req = httpsRequest(
      { host: '127.25.0.100', port: 443, path: '/hang', servername: 'www.contoso.test', ca: lab.caPem, agent: false },
      () => resolve('answered'),
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
  // Wait until the request has arrived, so close() has a live connection to end.
  for (let i = 0; i < 100 && !lab.requests.some((r) => r.url === '/hang'); i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(lab.requests.length, 1);
  const started = Date.now();
  await Promise.all([lab.close(), lab.close()]);
  await lab.close();
  assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
  assert.equal(await hanging, 'ECONNRESET');
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(lab.caFile), false);
  await assertFree('127.25.0', [
    [53, 53],
    [10, 389],
    [100, 443],
    [100, 80],
    [101, 443],
  ]);
});

test('an ephemeral DNS port', async () => {
  const lab = await startLab(valid(), { range: '127.26.0.0/24', dnsPort: 0 });
  try {
    assert.match(lab.dns, /^127\.26\.0\.53:\d+$/);
    assert.notEqual(lab.dns, '127.26.0.53:0');
    assert.deepEqual(await resolve4(lab.dns, 'www.contoso.test'), ['127.26.0.100']);
  } finally {
    await lab.close();
  }
});

describe('the range option', () => {
  test('the default and the layout arithmetic', () => {
    assert.equal(DEFAULT_LAB_RANGE, '127.20.0.0/24');
    const r = parseLabRange('127.30.0.0/16');
    assert.equal(r.cidr, '127.30.0.0/16');
    assert.equal(r.at(53), '127.30.0.53');
    assert.equal(r.at(300), '127.30.1.44');
  });

  for (const [range, message] of [
    ['10.0.0.0/24', /outside 127\.0\.0\.0\/8/],
    ['127.20.0.0/25', /\/24 or larger/],
    ['127.0.0.0/7', /\/24 or larger/],
    ['127.20.0.5/24', /did you mean 127\.20\.0\.0\/24/],
    ['127.20.0.0', /not an IPv4 network/],
    ['::1/128', /not an IPv4 network/],
    ['127.300.0.0/24', /not an IPv4 network/],
  ] as const) {
    test(`${range} is refused before anything starts`, async () => {
      await assert.rejects(startLab(valid(), { range }), { code: 'ADK_ERR_INVALID_ARGUMENT', message });
    });
  }

  test('more hosts than the range holds', async () => {
    const doc = scenario();
    doc.hosts = Array.from({ length: 156 }, (_, i) => ({ name: `h${i}`, http: {}, routes: [] }));
    doc.dns = { zones: [] };
    await assert.rejects(startLab(validateScenario(doc, 'many'), { range: '127.27.0.0/24' }), {
      code: 'ADK_ERR_INVALID_ARGUMENT',
      message: /156 hosts; 127\.27\.0\.0\/24 holds 155/,
    });
  });

  test('a bad DNS port', async () => {
    await assert.rejects(startLab(valid(), { range: '127.27.0.0/24', dnsPort: 70_000 }), {
      code: 'ADK_ERR_INVALID_ARGUMENT',
    });
  });
});
