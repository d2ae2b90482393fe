/**
 * The DNS server answered by an independent client: ISC `dig` (Debian bind9-dnsutils), over UDP and TCP. Our own
 * tests decode with dns-packet; dig is BIND's parser, so a wire-format mistake both our encoder and dns-packet share
 * (compression pointers, TXT character-strings, SRV field order, the AA bit, NXDOMAIN with its SOA) shows here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createDnsServer, type DnsServer } from '../../src/dns/server.js';
import { missingTool } from '../helpers/tools.js';

const run = promisify(execFile);
const missing = missingTool('dig', ['-v'], 'bind9-dnsutils');

describe('dig against the DNS server', () => {
  let server: DnsServer;
  let port: number;

  before(async () => {
    server = createDnsServer({
      address: '127.0.0.1',
      zones: [
        {
          origin: 'contoso.test',
          records: [
            { name: '@', type: 'A', value: '127.0.10.1' },
            { name: '@', type: 'MX', preference: 10, exchange: 'mail.contoso.test' },
            { name: '@', type: 'MX', preference: 20, exchange: 'backup-mx.contoso.test' },
            { name: '@', type: 'TXT', value: ['v=spf1 ', '-all'] },
            { name: 'autodiscover', type: 'CNAME', value: 'mail.contoso.test' },
            { name: 'mail', type: 'A', value: '127.0.10.2' },
            { name: 'mail', type: 'AAAA', value: '2001:DB8::2' },
            { name: '_autodiscover._tcp', type: 'SRV', priority: 1, weight: 5, port: 443, target: 'mail.contoso.test' },
            ...['v', 'w', 'x', 'y', 'z'].map((c) => ({ name: 'big', type: 'TXT' as const, value: c.repeat(250) })),
          ],
        },
      ],
    });
    port = (await server.start()).port;
  });
  after(() => server.close());

  /** dig's answer section, one `name ttl class type data` line per record (TTLs are 0 in the lab). */
  async function dig(name: string, type: string, ...flags: string[]): Promise<{ answer: string[]; header: string }> {
    const { stdout } = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(port),
      '+norecurse',
      '+time=3',
      '+tries=1',
      '+noall',
      '+comments',
      '+answer',
      ...flags,
      name,
      type,
    ]);
    const lines = stdout.split('\n');
    const header = lines.filter((l) => l.startsWith(';; ->>HEADER<<-') || l.startsWith(';; flags:')).join('\n');
    const answer = lines.filter((l) => l !== '' && !l.startsWith(';')).map((l) => l.split(/\s+/).join(' '));
    return { answer, header };
  }

  test('A: authoritative, NOERROR', async (t) => {
    if (missing) return t.skip(missing);
    const { answer, header } = await dig('contoso.test', 'A');
    assert.match(header, /status: NOERROR/);
    assert.match(header, /flags: qr aa;/, 'authoritative answer, recursion not offered');
    assert.deepEqual(answer, ['contoso.test. 0 IN A 127.0.10.1']);
  });

  test('AAAA', async (t) => {
    if (missing) return t.skip(missing);
    assert.deepEqual((await dig('mail.contoso.test', 'AAAA')).answer, ['mail.contoso.test. 0 IN AAAA 2001:db8::2']);
  });

  test('CNAME: the alias and its target in one answer', async (t) => {
    if (missing) return t.skip(missing);
    assert.deepEqual((await dig('autodiscover.contoso.test', 'A')).answer, [
      'autodiscover.contoso.test. 0 IN CNAME mail.contoso.test.',
      'mail.contoso.test. 0 IN A 127.0.10.2',
    ]);
    assert.deepEqual((await dig('autodiscover.contoso.test', 'CNAME')).answer, [
      'autodiscover.contoso.test. 0 IN CNAME mail.contoso.test.',
    ]);
  });

  test('SRV: priority, weight, port, target in that order', async (t) => {
    if (missing) return t.skip(missing);
    assert.deepEqual((await dig('_autodiscover._tcp.contoso.test', 'SRV')).answer, [
      '_autodiscover._tcp.contoso.test. 0 IN SRV 1 5 443 mail.contoso.test.',
    ]);
  });

  test('MX', async (t) => {
    if (missing) return t.skip(missing);
    const { answer } = await dig('contoso.test', 'MX');
    assert.deepEqual(answer.sort(), [
      'contoso.test. 0 IN MX 10 mail.contoso.test.',
      'contoso.test. 0 IN MX 20 backup-mx.contoso.test.',
    ]);
  });

  test('TXT: the character-strings of one record stay separate', async (t) => {
    if (missing) return t.skip(missing);
    assert.deepEqual((await dig('contoso.test', 'TXT')).answer, ['contoso.test. 0 IN TXT "v=spf1 " "-all"']);
  });

  test('NXDOMAIN for a name that does not exist; NOERROR with no answer for a type it lacks', async (t) => {
    if (missing) return t.skip(missing);
    const nx = await dig('nope.contoso.test', 'A');
    assert.match(nx.header, /status: NXDOMAIN/);
    assert.match(nx.header, /flags: qr aa;/);
    assert.deepEqual(nx.answer, []);
    const nodata = await dig('mail.contoso.test', 'MX');
    assert.match(nodata.header, /status: NOERROR/);
    assert.deepEqual(nodata.answer, []);
  });

  test('TCP: the same answers, and a response too large for UDP arrives whole', async (t) => {
    if (missing) return t.skip(missing);
    assert.deepEqual((await dig('_autodiscover._tcp.contoso.test', 'SRV', '+tcp')).answer, [
      '_autodiscover._tcp.contoso.test. 0 IN SRV 1 5 443 mail.contoso.test.',
    ]);
    // Five 250-byte TXT records: over 512 bytes. Without EDNS, UDP must say TC; dig then retries over TCP by itself.
    const udp = await dig('big.contoso.test', 'TXT', '+noedns', '+ignore');
    assert.match(udp.header, /flags: qr aa tc;|flags: qr tc aa;/, 'truncated over UDP without EDNS');
    const tcp = await dig('big.contoso.test', 'TXT', '+tcp');
    assert.equal(tcp.answer.length, 5);
    for (const line of tcp.answer) assert.match(line, /^big\.contoso\.test\. 0 IN TXT "([v-z])\1{249}"$/);
  });
});
