/**
 * A resolver failure is not NXDOMAIN: with a DNS server that drops every query, or answers SERVFAIL or REFUSED,
 * the steps say `dns-error` (never `not-found`), the diagnosis says DNS_UNAVAILABLE, and no finding proposes a
 * record for a name that could not be looked up. Real UDP servers on 127.0.0.1 (random ports), the real resolver.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { discoverFromCli } from '../../src/cli/commands/discover.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import type { DiscoveryReport } from '../../src/discover/report.js';
import { cli } from '../helpers/cli.js';
import { assertValidReport } from '../helpers/report-schema.js';

const RCODE = { SERVFAIL: 2, REFUSED: 5 } as const;

/** A DNS server that answers every query with `rcode` and no records, or (null) never answers at all. */
async function dnsServer(rcode: number | null): Promise<{ socket: Socket; address: string }> {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    if (rcode === null || query.length < 12) return;
    const reply = Buffer.from(query);
    // QR=1, opcode and RD as asked, RA=1, the RCODE; the question stays, no answer, authority or additional.
    reply[2] = 0x80 | ((query[2] ?? 0) & 0x79);
    reply[3] = 0x80 | rcode;
    reply.writeUInt16BE(0, 6);
    reply.writeUInt16BE(0, 8);
    reply.writeUInt16BE(0, 10);
    const end = questionEnd(query);
    socket.send(reply.subarray(0, end), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, address: `127.0.0.1:${socket.address().port}` };
}

/** The end of the first question (name, type, class), so that an EDNS OPT record is not echoed back. */
function questionEnd(query: Buffer): number {
  let i = 12;
  while (i < query.length && query[i] !== 0) i += (query[i] ?? 0) + 1;
  return Math.min(query.length, i + 5);
}

const servers: Record<string, { socket: Socket; address: string }> = {};

before(async () => {
  servers['drops'] = await dnsServer(null);
  servers['SERVFAIL'] = await dnsServer(RCODE.SERVFAIL);
  servers['REFUSED'] = await dnsServer(RCODE.REFUSED);
});

after(() => {
  for (const s of Object.values(servers)) s.socket.close();
});

function assertNoRecordAdvice(report: DiscoveryReport): void {
  const codes = report.findings.map((f) => f.code);
  assert.ok(codes.includes('DNS_UNAVAILABLE'), codes.join(', '));
  for (const code of ['NEW_DOMAIN_WITHOUT_AUTODISCOVER', 'NO_AUTODISCOVER_ENDPOINT'])
    assert.ok(!codes.includes(code), `${code} drawn from lookups that got no answer`);
  for (const f of report.findings) {
    const words = [f.title, f.detail, ...f.fixes].join('\n');
    assert.doesNotMatch(words, /Publish|CNAME|mail\.contoso\.test/, `${f.code} proposes a record:\n${words}`);
  }
  // not-found means only what DNS answered (NXDOMAIN, NODATA): nothing was answered here.
  for (const step of report.steps) assert.notEqual(step.result, 'not-found', `${step.method} ${step.host}`);
  assert.ok(report.steps.some((s) => s.result === 'dns-error' && s.phase === 'dns'));
}

describe('a DNS server that cannot be asked is not a missing record', () => {
  for (const kind of ['drops', 'SERVFAIL', 'REFUSED'] as const) {
    test(`--dns pointing at a server that ${kind === 'drops' ? 'drops every query' : `answers ${kind}`}`, async () => {
      const server = servers[kind];
      assert.ok(server);
      for (const client of ['outlook', 'thunderbird'] as const) {
        const report = await discoverFromCli('chris@contoso.test', {
          client,
          dns: [server.address],
          ca: [],
          timeout: '600',
        });
        assertValidReport(JSON.parse(JSON.stringify(report)));
        assert.equal(report.outcome, 'failed');
        assertNoRecordAdvice(report);
        const finding = report.findings.find((f) => f.code === 'DNS_UNAVAILABLE');
        assert.match(finding?.detail ?? '', kind === 'drops' ? /no answer within/ : new RegExp(kind));
        assert.match(finding?.fixes[0] ?? '', new RegExp(server.address.replace(/\./g, '\\.')));
      }
    });
  }

  test('the CLI says so in words, with exit status 1', async () => {
    const server = servers['SERVFAIL'];
    assert.ok(server);
    const r = await cli(['discover', 'chris@contoso.test', '--dns', server.address, '--timeout', '600']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /dns-error/);
    assert.match(r.stdout, /DNS_UNAVAILABLE: DNS could not be asked about contoso\.test/);
    assert.doesNotMatch(r.stdout, /not-found|Publish /);
    // The fixes speak of the server asked (not a port 53 it may not use) and print no command that cannot run.
    assert.match(r.stdout, /port 53 unless --dns names another/);
    assert.doesNotMatch(r.stdout, /autodisco discover \.\.\./);
  });
});

test('settings found despite a lookup that got no answer: DNS_UNAVAILABLE is a warning', () => {
  const base = { email: 'chris@contoso.test', addresses: [], status: null, redirectTo: null, ms: 1 };
  const report: DiscoveryReport = {
    schema: 'autodisco.discovery/1',
    email: 'chris@contoso.test',
    client: 'outlook',
    outcome: 'failed',
    settings: null,
    prompt: null,
    findings: [],
    steps: [
      { ...base, method: 'root-domain', host: 'contoso.test', result: 'dns-error', phase: 'dns', detail: 'x' },
      {
        ...base,
        method: 'autodiscover-domain',
        host: 'autodiscover.contoso.test',
        url: 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml',
        result: 'settings',
        detail: 'Autodiscover settings.',
      },
    ],
  };
  const failed = diagnose(report).find((f) => f.code === 'DNS_UNAVAILABLE');
  assert.equal(failed?.severity, 'error');
  assert.deepEqual(failed?.steps, [0]);
  const found = diagnose({ ...report, outcome: 'settings' }).find((f) => f.code === 'DNS_UNAVAILABLE');
  assert.equal(found?.severity, 'warning');
});
