import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveQuestion } from '../../src/dns/answer.js';
import { compileZones, type Zone } from '../../src/dns/zone.js';
import { AutodiscoError } from '../../src/errors.js';

/** rcode plus the answer names/data, which is what the semantics are about. */
function ask(zones: readonly Zone[], name: string, type: string) {
  const r = resolveQuestion(compileZones(zones), name, type);
  return {
    rcode: r.rcode,
    answers: r.answers.map((a) => `${a.name} ${a.type} ${'data' in a ? JSON.stringify(a.data) : ''}`),
    authority: r.authorities.map((a) => `${a.name} ${a.type}`),
  };
}

function problemsOf(zones: readonly unknown[]) {
  try {
    compileZones(zones);
  } catch (err) {
    assert.ok(err instanceof AutodiscoError);
    assert.equal(err.code, 'ADK_ERR_CONFIG_INVALID');
    return err.problems;
  }
  assert.fail('compileZones accepted invalid zones');
}

describe('compileZones()', () => {
  it('reads owner names relative to the origin, absolute with a trailing dot, and @ as the origin', () => {
    const zones: Zone[] = [
      {
        origin: 'Contoso.TEST.',
        records: [
          { name: '@', type: 'A', value: '127.0.10.1' },
          { name: 'www', type: 'A', value: '127.0.10.2' },
          { name: 'mail.contoso.test', type: 'A', value: '127.0.10.3' },
          { name: 'ftp.contoso.test.', type: 'CNAME', value: '@' },
        ],
      },
    ];
    assert.deepEqual(ask(zones, 'contoso.test', 'A').answers, ['contoso.test A "127.0.10.1"']);
    assert.deepEqual(ask(zones, 'www.contoso.test', 'A').answers, ['www.contoso.test A "127.0.10.2"']);
    assert.deepEqual(ask(zones, 'mail.contoso.test', 'A').answers, ['mail.contoso.test A "127.0.10.3"']);
    assert.deepEqual(ask(zones, 'ftp.contoso.test', 'A').answers, [
      'ftp.contoso.test CNAME "contoso.test"',
      'contoso.test A "127.0.10.1"',
    ]);
  });

  it('infers the apex from the owner names, cut to two labels', () => {
    const zones: Zone[] = [{ records: [{ name: 'autodiscover.contoso.test', type: 'A', value: '127.0.10.1' }] }];
    assert.deepEqual(ask(zones, 'contoso.test', 'A'), {
      rcode: 'NOERROR',
      answers: [],
      authority: ['contoso.test SOA'],
    });
    assert.deepEqual(ask(zones, 'other.contoso.test', 'A'), {
      rcode: 'NXDOMAIN',
      answers: [],
      authority: ['contoso.test SOA'],
    });
    assert.equal(ask(zones, 'fabrikam.test', 'A').rcode, 'REFUSED');
  });

  it('applies defaults: SRV priority and weight 0, MX preference 10, TTL 0', () => {
    const set = compileZones([
      {
        origin: 'contoso.test',
        records: [
          { name: '_autodiscover._tcp', type: 'SRV', port: 443, target: 'mail.contoso.test' },
          { name: '@', type: 'MX', exchange: 'mail.contoso.test' },
        ],
      },
    ]);
    assert.deepEqual(resolveQuestion(set, '_autodiscover._tcp.contoso.test', 'SRV').answers, [
      {
        name: '_autodiscover._tcp.contoso.test',
        type: 'SRV',
        ttl: 0,
        class: 'IN',
        data: { priority: 0, weight: 0, port: 443, target: 'mail.contoso.test' },
      },
    ]);
    assert.deepEqual(resolveQuestion(set, 'contoso.test', 'MX').answers, [
      {
        name: 'contoso.test',
        type: 'MX',
        ttl: 0,
        class: 'IN',
        data: { preference: 10, exchange: 'mail.contoso.test' },
      },
    ]);
  });

  it('lists every problem with its path and changes nothing', () => {
    assert.deepEqual(
      problemsOf([
        {
          origin: 'contoso.test',
          records: [
            { name: 'www', type: 'A', value: '1.2.3' },
            { name: 'alias', type: 'CNAME', value: 'www.contoso.test' },
            { name: 'alias', type: 'TXT', value: 'x' },
            { name: 'other.example.', type: 'A', value: '127.0.0.1' },
            { name: 'bad name', type: 'A', value: '127.0.0.1' },
            { name: 'txt', type: 'TXT', value: 'x'.repeat(256) },
            { name: 'mx', type: 'MX', exchange: 'bad host' },
            { name: 'ns', type: 'NS', value: 'ns1.contoso.test' },
          ],
        },
        { origin: 'contoso.test', records: [], extra: true },
        { records: [] },
      ]),
      [
        { path: 'zones[0].records[0].value', message: 'Invalid IPv4 address' },
        {
          path: 'zones[0].records[5].value',
          message: 'a TXT string holds at most 255 bytes (split longer text into several strings)',
        },
        {
          path: 'zones[0].records[7].type',
          message: "Invalid discriminator value. Expected 'A' | 'AAAA' | 'CNAME' | 'SRV' | 'MX' | 'TXT'",
        },
        { path: 'zones[1]', message: 'Unrecognized key: "extra"' },
        { path: 'zones[2].origin', message: 'a zone without records needs an origin' },
      ],
    );
    // Schema-valid data is then checked for the rules that span records.
    assert.deepEqual(
      problemsOf([
        {
          origin: 'contoso.test',
          records: [
            { name: 'alias', type: 'CNAME', value: 'www.contoso.test' },
            { name: 'alias', type: 'TXT', value: 'x' },
            { name: 'other.example.', type: 'A', value: '127.0.0.1' },
            { name: 'bad name', type: 'A', value: '127.0.0.1' },
            { name: 'mx', type: 'MX', exchange: 'bad host' },
          ],
        },
        { origin: 'CONTOSO.test', records: [] },
      ]),
      [
        {
          path: 'zones[0].records[1].type',
          message: '"alias.contoso.test" has a CNAME, so it can have no other record',
        },
        { path: 'zones[0].records[2].name', message: '"other.example" is outside the zone "contoso.test"' },
        {
          path: 'zones[0].records[3].name',
          message:
            '"bad name.contoso.test" is not a valid domain name (label "bad name"; expected e.g. autodiscover.contoso.test)',
        },
        {
          path: 'zones[0].records[4].exchange',
          message: '"bad host" is not a valid domain name (label "bad host"; expected e.g. autodiscover.contoso.test)',
        },
        { path: 'zones[1].origin', message: 'zone "contoso.test" is also zones[0]' },
      ],
    );
  });
});

describe('resolveQuestion()', () => {
  const zones: Zone[] = [
    {
      origin: 'contoso.test',
      records: [
        { name: '@', type: 'A', value: '127.0.10.1' },
        { name: 'a.b.c', type: 'TXT', value: 'deep' },
        { name: '*.wild', type: 'A', value: '127.0.10.9' },
        { name: 'real.wild', type: 'TXT', value: 'real' },
      ],
    },
    { origin: 'sub.contoso.test', records: [{ name: 'www', type: 'A', value: '127.0.11.1' }] },
  ];

  it('tells NXDOMAIN from NODATA and treats empty non-terminals as existing', () => {
    assert.deepEqual(ask(zones, 'nope.contoso.test', 'A'), {
      rcode: 'NXDOMAIN',
      answers: [],
      authority: ['contoso.test SOA'],
    });
    assert.deepEqual(ask(zones, 'a.b.c.contoso.test', 'A'), {
      rcode: 'NOERROR',
      answers: [],
      authority: ['contoso.test SOA'],
    });
    assert.deepEqual(ask(zones, 'b.c.contoso.test', 'TXT'), {
      rcode: 'NOERROR',
      answers: [],
      authority: ['contoso.test SOA'],
    });
    assert.deepEqual(ask(zones, 'c.contoso.test', 'A'), {
      rcode: 'NOERROR',
      answers: [],
      authority: ['contoso.test SOA'],
    });
    assert.deepEqual(ask(zones, 'z.c.contoso.test', 'A').rcode, 'NXDOMAIN');
  });

  it('synthesises wildcard answers only for names that do not exist (RFC 4592)', () => {
    assert.deepEqual(ask(zones, 'any.wild.contoso.test', 'A').answers, ['any.wild.contoso.test A "127.0.10.9"']);
    // Below a non-existent name the closest encloser is still wild.contoso.test.
    assert.deepEqual(ask(zones, 'x.y.wild.contoso.test', 'A').answers, ['x.y.wild.contoso.test A "127.0.10.9"']);
    // An existing name is never covered by the wildcard, not even for other types.
    assert.deepEqual(ask(zones, 'real.wild.contoso.test', 'A'), {
      rcode: 'NOERROR',
      answers: [],
      authority: ['contoso.test SOA'],
    });
    assert.equal(ask(zones, 'q.real.wild.contoso.test', 'A').rcode, 'NXDOMAIN');
    assert.deepEqual(ask(zones, 'any.wild.contoso.test', 'MX'), {
      rcode: 'NOERROR',
      answers: [],
      authority: ['contoso.test SOA'],
    });
  });

  it('answers from the deepest zone, gives an SOA at the apex and refuses names outside', () => {
    assert.deepEqual(ask(zones, 'www.sub.contoso.test', 'A').answers, ['www.sub.contoso.test A "127.0.11.1"']);
    assert.deepEqual(ask(zones, 'sub.contoso.test', 'SOA').answers, [
      'sub.contoso.test SOA {"mname":"ns.sub.contoso.test","rname":"hostmaster.sub.contoso.test","serial":1,"refresh":3600,"retry":600,"expire":86400,"minimum":0}',
    ]);
    assert.deepEqual(ask(zones, 'example.org', 'A'), { rcode: 'REFUSED', answers: [], authority: [] });
  });
});
