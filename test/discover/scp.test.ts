import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { createNodeResolver } from '../../src/adapters/node/dns.js';
import {
  lookupScp,
  type ScpLookupOptions,
  type ScpRecord,
  type ScpSearch,
  scpSearchStep,
} from '../../src/discover/scp.js';
import type { DnsResolver } from '../../src/dns/resolver.js';
import { createDnsServer, type DnsServer } from '../../src/dns/server.js';
import { buildScpDirectory, SCP_POINTER_KEYWORD, SCP_URL_KEYWORD, type ScpSpec, scpDn } from '../../src/ldap/scp.js';
import { type BindAccount, createDirectoryServer, type DirectoryServer } from '../../src/ldap/server.js';
import { parseGeneralizedTime } from '../../src/ldap/time.js';
import { parseLdapUrl } from '../../src/ldap/url.js';
import { createAuthority, issueCertificate } from '../../src/pki/index.js';

const BASE = 'DC=contoso,DC=test';
const CONFIG = 'CN=Configuration,DC=contoso,DC=test';
const EMAIL = 'chris@contoso.test';
const SVC = 'CN=svc-autodisco,CN=Users,DC=contoso,DC=test';
const PASSWORD = 'Sup3r-Secret-Pa55!';

/** Loopback addresses of this file (127.0.61.0/24) and the names the test DNS server gives them. */
const IP = {
  dc1: '127.0.61.1',
  dc2: '127.0.61.2',
  dc3: '127.0.61.3',
  tls: '127.0.61.7',
  slow: '127.0.61.8',
  down: '127.0.61.9',
  dns: '127.0.61.53',
} as const;

const date = (iso: string) => new Date(iso);
const adUrl = (host: string) => `https://${host}/Autodiscover/Autodiscover.xml`;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function startDc(
  address: string,
  scps: ScpSpec[],
  options: { bind?: BindAccount[]; port?: number } = {},
): Promise<{ server: DirectoryServer; port: number }> {
  const server = createDirectoryServer({
    address,
    entries: buildScpDirectory({ baseDN: BASE, scps }),
    ...(options.bind !== undefined ? { bind: options.bind } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  const { port } = await server.start();
  closers.push(() => server.close());
  return { server, port };
}

/** A port on `address` with nothing behind it (listen, note the port, close). */
async function freePort(address: string): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, address, resolve));
  const address_ = srv.address();
  const port = typeof address_ === 'object' && address_ !== null ? address_.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

let dnsServer: DnsServer;
let resolver: DnsResolver;

before(async () => {
  dnsServer = createDnsServer({
    address: IP.dns,
    zones: [
      {
        origin: 'contoso.test',
        records: [
          { name: 'dc1', type: 'A', value: IP.dc1 },
          { name: 'dc2', type: 'A', value: IP.dc2 },
          { name: 'dc3', type: 'A', value: IP.dc3 },
          { name: 'dc-tls', type: 'A', value: IP.tls },
          { name: 'slow', type: 'A', value: IP.slow },
          { name: 'down', type: 'A', value: IP.down },
          { name: 'multi', type: 'A', value: IP.down },
          { name: 'multi', type: 'A', value: IP.dc1 },
        ],
      },
    ],
  });
  const { server } = await dnsServer.start();
  resolver = createNodeResolver({ servers: [server], timeoutMs: 2000, tries: 1 });
});
after(() => dnsServer.close());

function lookup(ldapUrl: string, extra: Partial<ScpLookupOptions> = {}) {
  return lookupScp({
    ldapUrl,
    site: 'Paris',
    domain: 'contoso.test',
    email: EMAIL,
    dns: resolver,
    timeoutMs: 2000,
    now: () => 0,
    ...extra,
  });
}

/** The evidence record of an SCP built by startDc. */
function urlRecord(server: string, url: string, keywords: string[], created: string, priority: 1 | 2 | 3): ScpRecord {
  return {
    dn: scpDn(BASE, server),
    keywords: [SCP_URL_KEYWORD, ...keywords],
    whenCreated: date(created).toISOString(),
    url,
    priority,
    role: 'url',
  };
}

function pointerRecord(
  server: string,
  pointer: string,
  keywords: string[],
  created: string,
  role: ScpRecord['role'],
): ScpRecord {
  return {
    dn: scpDn(BASE, server),
    keywords: [SCP_POINTER_KEYWORD, ...keywords],
    whenCreated: date(created).toISOString(),
    pointer,
    priority: null,
    role,
  };
}

/** A search record with the fields every test shares filled in. */
function search(fields: Partial<ScpSearch> & Pick<ScpSearch, 'host' | 'port' | 'result' | 'detail'>): ScpSearch {
  return {
    method: 'scp',
    email: EMAIL,
    addresses: [],
    status: null,
    redirectTo: null,
    records: [],
    ms: 0,
    ldapUrl: `ldap://${fields.host}:${fields.port}`,
    address: null,
    boundAs: null,
    baseDN: null,
    ...fields,
  };
}

describe('lookupScp', () => {
  test('site affinity: own site, then no site, then other sites; oldest first in each; duplicates dropped', async () => {
    const { server, port } = await startDc(IP.dc1, [
      {
        server: 'EX-LON',
        url: adUrl('ex-lon.contoso.test'),
        sites: ['London'],
        whenCreated: date('2012-05-01T00:00:00Z'),
      },
      { server: 'EX-NEW', url: adUrl('mail.contoso.test'), whenCreated: date('2021-01-01T00:00:00Z') },
      {
        server: 'EX-PAR2',
        url: adUrl('ex-par2.contoso.test'),
        sites: ['paris'],
        whenCreated: date('2020-01-01T00:00:00Z'),
      },
      { server: 'EX-OLD', url: adUrl('EX-OLD'), whenCreated: date('2014-01-01T00:00:00Z') },
      {
        server: 'EX-PAR1',
        url: adUrl('ex-par1.contoso.test'),
        sites: ['London', 'Paris'],
        whenCreated: date('2016-01-01T00:00:00Z'),
      },
      {
        server: 'EX-DUP',
        url: 'https://MAIL.contoso.test/autodiscover/autodiscover.xml',
        whenCreated: date('2022-01-01T00:00:00Z'),
      },
    ]);
    const result = await lookup(`ldap://dc1.contoso.test:${port}`);

    assert.deepEqual(
      result.urls.map((u) => [u.url, u.priority, u.site, u.whenCreated?.toISOString(), u.dn]),
      [
        [adUrl('ex-par1.contoso.test'), 1, ['London', 'Paris'], '2016-01-01T00:00:00.000Z', scpDn(BASE, 'EX-PAR1')],
        [adUrl('ex-par2.contoso.test'), 1, ['paris'], '2020-01-01T00:00:00.000Z', scpDn(BASE, 'EX-PAR2')],
        [adUrl('EX-OLD'), 2, [], '2014-01-01T00:00:00.000Z', scpDn(BASE, 'EX-OLD')],
        [adUrl('mail.contoso.test'), 2, [], '2021-01-01T00:00:00.000Z', scpDn(BASE, 'EX-NEW')],
        [adUrl('ex-lon.contoso.test'), 3, ['London'], '2012-05-01T00:00:00.000Z', scpDn(BASE, 'EX-LON')],
      ],
    );
    assert.deepEqual(result.searches, [
      search({
        host: 'dc1.contoso.test',
        port,
        addresses: [IP.dc1],
        address: IP.dc1,
        baseDN: CONFIG,
        result: 'redirect-url',
        redirectTo: adUrl('ex-par1.contoso.test'),
        detail:
          `5 SCP URLs in ${CONFIG} on dc1.contoso.test: 2 in site Paris, 2 without a site, ` +
          '1 for other sites only (London) (oldest first in each group); 1 duplicate URL dropped; ' +
          `first: ${adUrl('ex-par1.contoso.test')}`,
        records: [
          urlRecord('EX-PAR1', adUrl('ex-par1.contoso.test'), ['Site=London', 'Site=Paris'], '2016-01-01T00:00:00Z', 1),
          urlRecord('EX-PAR2', adUrl('ex-par2.contoso.test'), ['Site=paris'], '2020-01-01T00:00:00Z', 1),
          urlRecord('EX-OLD', adUrl('EX-OLD'), [], '2014-01-01T00:00:00Z', 2),
          urlRecord('EX-NEW', adUrl('mail.contoso.test'), [], '2021-01-01T00:00:00Z', 2),
          urlRecord('EX-LON', adUrl('ex-lon.contoso.test'), ['Site=London'], '2012-05-01T00:00:00Z', 3),
          {
            ...urlRecord(
              'EX-DUP',
              'https://MAIL.contoso.test/autodiscover/autodiscover.xml',
              [],
              '2022-01-01T00:00:00Z',
              2,
            ),
            role: 'duplicate-url',
          },
        ],
      }),
    ]);
    // The step shape of the report, and what went over the wire: anonymous bind, root DSE, the spec's filter.
    assert.equal(scpSearchStep(result.searches[0] as ScpSearch).method, 'scp');
    const ops = server.log.filter((o) => o.op === 'bind' || o.op === 'search');
    assert.deepEqual(
      ops.map((o) =>
        o.op === 'bind'
          ? ['bind', o.dn, o.resultCode]
          : o.op === 'search'
            ? ['search', o.base, o.scope, o.filter, o.attributes, o.boundAs, o.resultCode]
            : [],
      ),
      [
        ['bind', '', 0],
        ['search', '', 'base', '(objectclass=*)', ['configurationNamingContext'], '', 0],
        [
          'search',
          CONFIG,
          'sub',
          '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))',
          ['serviceBindingInformation', 'keywords', 'whenCreated'],
          '',
          0,
        ],
      ],
    );
  });

  test('without a site, site-scoped URLs come last instead of no URL at all', async () => {
    const { port } = await startDc(IP.dc1, [
      {
        server: 'EX-PAR',
        url: adUrl('ex-par.contoso.test'),
        sites: ['Paris'],
        whenCreated: date('2010-01-01T00:00:00Z'),
      },
      { server: 'EX-ANY', url: adUrl('mail.contoso.test'), whenCreated: date('2020-01-01T00:00:00Z') },
    ]);
    const result = await lookup(`ldap://dc1.contoso.test:${port}`, { site: undefined });
    assert.deepEqual(
      result.urls.map((u) => [u.url, u.priority]),
      [
        [adUrl('mail.contoso.test'), 2],
        [adUrl('ex-par.contoso.test'), 3],
      ],
    );
    assert.equal(
      result.searches[0]?.detail,
      `2 SCP URLs in ${CONFIG} on dc1.contoso.test: 1 without a site, 1 for other sites only (Paris) ` +
        '(oldest first in each group; no client site given, so site-scoped URLs come last); ' +
        `first: ${adUrl('mail.contoso.test')}`,
    );
  });

  test('a pointer with Domain=<domain> restarts at the second server and discards the first server’s URLs', async () => {
    const dc2 = await startDc(IP.dc2, [
      { server: 'EX-FAB', url: adUrl('ex.fabrikam.test'), whenCreated: date('2019-01-01T00:00:00Z') },
    ]);
    const pointer = `LDAP://dc2.contoso.test:${dc2.port}`;
    const dc1 = await startDc(IP.dc1, [
      { server: 'EX1', url: adUrl('ex1.contoso.test'), sites: ['Paris'], whenCreated: date('2015-01-01T00:00:00Z') },
      {
        server: 'PTR-OTHER',
        pointer: 'LDAP://dc.other.test',
        domains: ['other.test'],
        whenCreated: date('2016-01-01T00:00:00Z'),
      },
      { server: 'PTR', pointer, domains: ['CONTOSO.test'], whenCreated: date('2017-01-01T00:00:00Z') },
    ]);
    const result = await lookup(`ldap://dc1.contoso.test:${dc1.port}`);
    assert.deepEqual(result.searches, [
      search({
        host: 'dc1.contoso.test',
        port: dc1.port,
        addresses: [IP.dc1],
        address: IP.dc1,
        baseDN: CONFIG,
        result: 'redirect-url',
        redirectTo: `ldap://dc2.contoso.test:${dc2.port}`,
        detail:
          `pointer SCP for Domain=contoso.test in ${CONFIG} on dc1.contoso.test: ${pointer}; ` +
          `the SCP URL found here is discarded; the search restarts at ldap://dc2.contoso.test:${dc2.port}`,
        records: [
          urlRecord('EX1', adUrl('ex1.contoso.test'), ['Site=Paris'], '2015-01-01T00:00:00Z', 1),
          pointerRecord(
            'PTR-OTHER',
            'LDAP://dc.other.test',
            ['Domain=other.test'],
            '2016-01-01T00:00:00Z',
            'other-pointer',
          ),
          pointerRecord('PTR', pointer, ['Domain=CONTOSO.test'], '2017-01-01T00:00:00Z', 'domain-pointer'),
        ],
      }),
      search({
        host: 'dc2.contoso.test',
        port: dc2.port,
        addresses: [IP.dc2],
        address: IP.dc2,
        baseDN: CONFIG,
        result: 'redirect-url',
        redirectTo: adUrl('ex.fabrikam.test'),
        detail:
          `1 SCP URL in ${CONFIG} on dc2.contoso.test: 1 without a site (oldest first in each group); ` +
          `first: ${adUrl('ex.fabrikam.test')}`,
        records: [urlRecord('EX-FAB', adUrl('ex.fabrikam.test'), [], '2019-01-01T00:00:00Z', 2)],
      }),
    ]);
    assert.deepEqual(
      result.urls.map((u) => u.url),
      [adUrl('ex.fabrikam.test')],
    );
  });

  test('the unscoped fallback pointer is used only when no URL is found', async () => {
    const dc2 = await startDc(IP.dc2, [
      { server: 'EX2', url: adUrl('ex2.contoso.test'), whenCreated: date('2019-01-01T00:00:00Z') },
    ]);
    const fallback = `LDAP://dc2.contoso.test:${dc2.port}`;

    // With a URL present the fallback is ignored.
    const withUrl = await startDc(IP.dc1, [
      { server: 'PTR', pointer: fallback, whenCreated: date('2010-01-01T00:00:00Z') },
      { server: 'EX1', url: adUrl('ex1.contoso.test'), whenCreated: date('2019-01-01T00:00:00Z') },
    ]);
    const first = await lookup(`ldap://dc1.contoso.test:${withUrl.port}`);
    assert.deepEqual(
      first.searches.map((s) => [s.host, s.result, s.redirectTo]),
      [['dc1.contoso.test', 'redirect-url', adUrl('ex1.contoso.test')]],
    );
    assert.deepEqual(first.searches[0]?.records, [
      urlRecord('EX1', adUrl('ex1.contoso.test'), [], '2019-01-01T00:00:00Z', 2),
      pointerRecord('PTR', fallback, [], '2010-01-01T00:00:00Z', 'fallback-pointer'),
    ]);

    // Without URLs the first unscoped pointer is followed (the second one is not).
    const noUrl = await startDc(IP.dc3, [
      { server: 'PTR-A', pointer: fallback, whenCreated: date('2010-01-01T00:00:00Z') },
      { server: 'PTR-B', pointer: 'LDAP://down.contoso.test', whenCreated: date('2009-01-01T00:00:00Z') },
    ]);
    const second = await lookup(`ldap://dc3.contoso.test:${noUrl.port}`);
    assert.deepEqual(second.searches[0], {
      ...search({
        host: 'dc3.contoso.test',
        port: noUrl.port,
        addresses: [IP.dc3],
        address: IP.dc3,
        baseDN: CONFIG,
        result: 'redirect-url',
        redirectTo: `ldap://dc2.contoso.test:${dc2.port}`,
        detail:
          `no SCP URL in ${CONFIG} on dc3.contoso.test; unscoped pointer SCP: ${fallback}; ` +
          `the search restarts at ldap://dc2.contoso.test:${dc2.port}`,
        records: [
          pointerRecord('PTR-A', fallback, [], '2010-01-01T00:00:00Z', 'fallback-pointer'),
          pointerRecord('PTR-B', 'LDAP://down.contoso.test', [], '2009-01-01T00:00:00Z', 'other-pointer'),
        ],
      }),
    });
    assert.deepEqual(
      second.searches.map((s) => [s.host, s.result, s.redirectTo]),
      [
        ['dc3.contoso.test', 'redirect-url', `ldap://dc2.contoso.test:${dc2.port}`],
        ['dc2.contoso.test', 'redirect-url', adUrl('ex2.contoso.test')],
      ],
    );
    assert.deepEqual(
      second.urls.map((u) => u.url),
      [adUrl('ex2.contoso.test')],
    );
  });

  test('a pointer loop stops with refused', async () => {
    const port1 = await freePort(IP.dc1);
    const dc2 = await startDc(IP.dc2, [
      {
        server: 'PTR-BACK',
        pointer: `LDAP://DC1.contoso.test:${port1}`,
        domains: ['contoso.test'],
        whenCreated: date('2018-01-01T00:00:00Z'),
      },
    ]);
    await startDc(
      IP.dc1,
      [
        { server: 'EX1', url: adUrl('ex1.contoso.test'), whenCreated: date('2015-01-01T00:00:00Z') },
        {
          server: 'PTR',
          pointer: `LDAP://dc2.contoso.test:${dc2.port}`,
          domains: ['contoso.test'],
          whenCreated: date('2017-01-01T00:00:00Z'),
        },
      ],
      { port: port1 },
    );
    const result = await lookup(`ldap://dc1.contoso.test:${port1}`);
    assert.deepEqual(
      result.searches.map((s) => [s.host, s.result, s.redirectTo]),
      [
        ['dc1.contoso.test', 'redirect-url', `ldap://dc2.contoso.test:${dc2.port}`],
        ['dc2.contoso.test', 'refused', `ldap://dc1.contoso.test:${port1}`],
      ],
    );
    assert.equal(
      result.searches[1]?.detail,
      `pointer SCP for Domain=contoso.test in ${CONFIG} on dc2.contoso.test: LDAP://DC1.contoso.test:${port1}; ` +
        `not followed: ldap://dc1.contoso.test:${port1} was already searched (a pointer loop)`,
    );
    assert.deepEqual(result.urls, []);
  });

  test('the hop limit stops a chain of pointers with refused', async () => {
    const dc2 = await startDc(IP.dc2, [
      { server: 'EX2', url: adUrl('ex2.contoso.test'), whenCreated: date('2019-01-01T00:00:00Z') },
    ]);
    const dc1 = await startDc(IP.dc1, [
      {
        server: 'PTR',
        pointer: `LDAP://dc2.contoso.test:${dc2.port}`,
        domains: ['contoso.test'],
        whenCreated: date('2017-01-01T00:00:00Z'),
      },
    ]);
    const result = await lookup(`ldap://dc1.contoso.test:${dc1.port}`, { maxHops: 1 });
    assert.deepEqual(
      result.searches.map((s) => [s.host, s.result, s.redirectTo, s.detail]),
      [
        [
          'dc1.contoso.test',
          'refused',
          `ldap://dc2.contoso.test:${dc2.port}`,
          `pointer SCP for Domain=contoso.test in ${CONFIG} on dc1.contoso.test: LDAP://dc2.contoso.test:${dc2.port}; ` +
            'not followed: the limit of 1 directory search is reached',
        ],
      ],
    );
    assert.deepEqual(result.urls, []);
    assert.equal(dc2.server.log.length, 0);
  });

  test('no SCP entry: not-found', async () => {
    const { port } = await startDc(IP.dc1, []);
    const result = await lookup(`ldap://dc1.contoso.test:${port}`);
    assert.deepEqual(result, {
      searches: [
        search({
          host: 'dc1.contoso.test',
          port,
          addresses: [IP.dc1],
          address: IP.dc1,
          baseDN: CONFIG,
          result: 'not-found',
          detail: `no SCP entry in ${CONFIG} on dc1.contoso.test`,
        }),
      ],
      urls: [],
    });
  });

  test('only pointers for other domains: not-found, saying so', async () => {
    const { port } = await startDc(IP.dc1, [
      {
        server: 'PTR',
        pointer: 'LDAP://dc.fabrikam.test',
        domains: ['fabrikam.test'],
        whenCreated: date('2017-01-01T00:00:00Z'),
      },
    ]);
    const result = await lookup(`ldap://dc1.contoso.test:${port}`);
    assert.deepEqual(
      result.searches.map((s) => [s.result, s.detail]),
      [['not-found', `no SCP URL in ${CONFIG} on dc1.contoso.test (only 1 pointer SCP for other domains)`]],
    );
  });

  test('the LDAP server is down: connect-failed', async () => {
    const port = await freePort(IP.down);
    const result = await lookup(`ldap://down.contoso.test:${port}`);
    assert.deepEqual(result, {
      searches: [
        search({
          host: 'down.contoso.test',
          port,
          addresses: [IP.down],
          result: 'connect-failed',
          detail: `could not connect to down.contoso.test (${IP.down}:${port}): ECONNREFUSED, the connection was refused (nothing listens there)`,
        }),
      ],
      urls: [],
    });
  });

  test('a name with several addresses: each is tried until one accepts the connection', async () => {
    const { port } = await startDc(IP.dc1, [
      { server: 'EX1', url: adUrl('ex1.contoso.test'), whenCreated: date('2019-01-01T00:00:00Z') },
    ]);
    const result = await lookup(`ldap://multi.contoso.test:${port}`);
    assert.deepEqual(
      result.searches.map((s) => [s.addresses, s.address, s.result, s.redirectTo]),
      [[[IP.down, IP.dc1], IP.dc1, 'redirect-url', adUrl('ex1.contoso.test')]],
    );
  });

  test('a server that accepts but never answers: timeout', async () => {
    const silent = net.createServer(() => {});
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, IP.slow, resolve));
    closers.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const result = await lookup(`ldap://slow.contoso.test:${port}`, { timeoutMs: 300 });
    assert.deepEqual(
      result.searches.map((s) => [s.result, s.address, s.detail]),
      [
        [
          'timeout',
          IP.slow,
          `the anonymous bind on slow.contoso.test (${IP.slow}:${port}): no answer within --timeout 300 ms (one deadline for connect, TLS, bind and searches together)`,
        ],
      ],
    );
  });

  test('the LDAP host name is resolved through the DNS port (and a missing name is not-found)', async () => {
    const { port } = await startDc(IP.dc2, [
      { server: 'EX2', url: adUrl('ex2.contoso.test'), whenCreated: date('2019-01-01T00:00:00Z') },
    ]);
    dnsServer.clearQueries();
    const found = await lookup(`ldap://DC2.contoso.test:${port}`);
    assert.deepEqual(
      found.searches.map((s) => [s.host, s.addresses, s.address, s.result]),
      [['dc2.contoso.test', [IP.dc2], IP.dc2, 'redirect-url']],
    );
    assert.ok(dnsServer.queries.some((q) => q.name === 'dc2.contoso.test' && q.type === 'A'));

    const missing = await lookup(`ldap://nosuch.contoso.test:${port}`);
    assert.deepEqual(missing, {
      searches: [
        search({
          host: 'nosuch.contoso.test',
          port,
          result: 'not-found',
          detail: 'nosuch.contoso.test does not exist in DNS (NXDOMAIN)',
        }),
      ],
      urls: [],
    });
  });

  describe('bind', () => {
    const accounts = [{ dn: SVC, password: PASSWORD }];
    const scps: ScpSpec[] = [
      { server: 'EX1', url: adUrl('ex1.contoso.test'), whenCreated: date('2019-01-01T00:00:00Z') },
    ];

    test('with the right DN and password the search runs as that account', async () => {
      const { server, port } = await startDc(IP.dc1, scps, { bind: accounts });
      const result = await lookup(`ldap://dc1.contoso.test:${port}`, { bindDN: SVC, password: PASSWORD });
      assert.deepEqual(
        result.searches.map((s) => [s.result, s.boundAs, s.redirectTo]),
        [['redirect-url', SVC, adUrl('ex1.contoso.test')]],
      );
      assert.deepEqual(
        server.log.flatMap((o) => (o.op === 'search' ? [[o.base, o.boundAs, o.resultCode]] : [])),
        [
          ['', SVC, 0],
          [CONFIG, SVC, 0],
        ],
      );
      assert.equal(JSON.stringify(result).includes(PASSWORD), false);
    });

    test('a wrong password is refused, with the reason', async () => {
      const { port } = await startDc(IP.dc1, scps, { bind: accounts });
      const result = await lookup(`ldap://dc1.contoso.test:${port}`, { bindDN: SVC, password: 'not-the-password' });
      assert.deepEqual(result, {
        searches: [
          search({
            host: 'dc1.contoso.test',
            port,
            addresses: [IP.dc1],
            address: IP.dc1,
            boundAs: SVC,
            result: 'refused',
            detail:
              `the bind as ${SVC} on dc1.contoso.test (${IP.dc1}:${port}) was refused: invalidCredentials (49): ` +
              'the user name or password is wrong [80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext ' +
              'error, data 52e, v4563 Code: 0x31]',
          }),
        ],
        urls: [],
      });
      assert.equal(JSON.stringify(result).includes('not-the-password'), false);
    });

    test('an anonymous search of a directory that needs a bind is refused, with what to do', async () => {
      const { port } = await startDc(IP.dc1, scps, { bind: accounts });
      const result = await lookup(`ldap://dc1.contoso.test:${port}`);
      assert.deepEqual(
        result.searches.map((s) => [s.result, s.baseDN, s.detail]),
        [
          [
            'refused',
            CONFIG,
            `the SCP search of ${CONFIG} on dc1.contoso.test (${IP.dc1}:${port}) was refused: operationsError (1) ` +
              '[000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must ' +
              'be completed on the connection., data 0, v4563 Code: 0x1] (the directory does not allow anonymous ' +
              'searches: bind with --ldap-bind-dn and --ldap-password-env)',
          ],
        ],
      );
    });

    test('the password appears in no returned value, across pointers and failures', async () => {
      const dc2 = await startDc(IP.dc2, scps, { bind: accounts });
      const dc1 = await startDc(
        IP.dc1,
        [
          {
            server: 'PTR',
            pointer: `LDAP://dc2.contoso.test:${dc2.port}`,
            domains: ['contoso.test'],
            whenCreated: date('2017-01-01T00:00:00Z'),
          },
        ],
        { bind: accounts },
      );
      const good = await lookup(`ldap://dc1.contoso.test:${dc1.port}`, { bindDN: SVC, password: PASSWORD });
      assert.deepEqual(
        good.searches.map((s) => s.result),
        ['redirect-url', 'redirect-url'],
      );
      const down = await lookup(`ldap://down.contoso.test:${await freePort(IP.down)}`, {
        bindDN: SVC,
        password: PASSWORD,
      });
      assert.equal(down.searches[0]?.result, 'connect-failed');
      for (const value of [good, down]) {
        assert.equal(JSON.stringify(value).includes(PASSWORD), false);
        assert.equal(JSON.stringify(value).includes('Pa55'), false);
      }
    });
  });

  describe('ldaps', () => {
    test('connects to the resolved address, checks the certificate against the host name, records the evidence', async () => {
      const ca = await createAuthority({ name: 'Contoso LDAP Test Root' });
      const leaf = await issueCertificate({ issuer: ca, dnsNames: ['dc-tls.contoso.test'] });
      const dc = await startDc(IP.dc1, [
        { server: 'EX1', url: adUrl('ex1.contoso.test'), whenCreated: date('2019-01-01T00:00:00Z') },
      ]);
      // TLS in front of the plain-TCP test directory.
      const names: Array<string | false | null> = [];
      const proxy = tls.createServer({ cert: leaf.fullChainPem, key: leaf.keyPem }, (client) => {
        names.push(client.servername);
        const upstream = net.connect(dc.port, IP.dc1);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => proxy.listen(0, IP.tls, resolve));
      closers.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
      const address = proxy.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;

      const trusted = await lookup(`ldaps://dc-tls.contoso.test:${port}`, { ca: [ca.certPem] });
      const step = trusted.searches[0];
      assert.deepEqual(
        [step?.ldapUrl, step?.result, step?.address, step?.redirectTo],
        [`ldaps://dc-tls.contoso.test:${port}`, 'redirect-url', IP.tls, adUrl('ex1.contoso.test')],
      );
      assert.deepEqual(
        [step?.tls?.error, step?.tls?.servername, step?.tls?.certificate?.dnsNames, step?.tls?.certificate?.issuer],
        [null, 'dc-tls.contoso.test', ['dc-tls.contoso.test'], 'CN=Contoso LDAP Test Root'],
      );
      assert.equal(step?.tls?.certificate?.sha256, leaf.x509.fingerprint256);
      assert.deepEqual(names, ['dc-tls.contoso.test']);

      const untrusted = await lookup(`ldaps://dc-tls.contoso.test:${port}`);
      const refused = untrusted.searches[0];
      assert.deepEqual(
        [refused?.result, refused?.tls?.error, refused?.tls?.certificate?.sha256, refused?.detail],
        [
          'tls-error',
          'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
          leaf.x509.fingerprint256,
          `dc-tls.contoso.test (${IP.tls}:${port}) presented a certificate the client rejects: ` +
            'the certificate chain is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
        ],
      );
      assert.deepEqual(untrusted.urls, []);
    });
  });
});

describe('parseLdapUrl', () => {
  test('accepts ldap and ldaps URLs with optional ports, in any case', () => {
    assert.deepEqual(parseLdapUrl('LDAP://DC2.Fabrikam.test'), {
      secure: false,
      host: 'dc2.fabrikam.test',
      port: 389,
      url: 'ldap://dc2.fabrikam.test:389',
    });
    assert.deepEqual(parseLdapUrl('ldaps://dc1.contoso.test:3269/'), {
      secure: true,
      host: 'dc1.contoso.test',
      port: 3269,
      url: 'ldaps://dc1.contoso.test:3269',
    });
    assert.deepEqual(parseLdapUrl('ldaps://[::1]'), { secure: true, host: '::1', port: 636, url: 'ldaps://[::1]:636' });
  });

  test('rejects what is not ldap[s]://host[:port]', () => {
    for (const bad of [
      'https://dc1.contoso.test',
      'ldap://',
      'ldap://dc1.contoso.test:0',
      'ldap://dc1.contoso.test:70000',
      'ldap://dc1.contoso.test/CN=Configuration,DC=contoso,DC=test',
      'ldap://user@dc1.contoso.test',
      'dc1.contoso.test',
    ]) {
      assert.equal(parseLdapUrl(bad), undefined, bad);
    }
  });

  test('lookupScp reports an unusable --ldap value instead of throwing', async () => {
    const result = await lookupScp({
      ldapUrl: 'https://dc1.contoso.test',
      domain: 'contoso.test',
      email: EMAIL,
      dns: createNodeResolver({ servers: ['127.0.61.53'], timeoutMs: 100, tries: 1 }),
      timeoutMs: 100,
    });
    assert.deepEqual(
      result.searches.map((s) => [s.result, s.detail]),
      [
        [
          'refused',
          '"https://dc1.contoso.test" is not an LDAP URL of the form ldap://host[:port] or ldaps://host[:port]',
        ],
      ],
    );
    assert.deepEqual(result.urls, []);
  });
});

describe('parseGeneralizedTime', () => {
  test('reads AD whenCreated and RFC 4517 variants', () => {
    assert.equal(parseGeneralizedTime('20190304050607.0Z')?.toISOString(), '2019-03-04T05:06:07.000Z');
    assert.equal(parseGeneralizedTime('20190304050607.25Z')?.toISOString(), '2019-03-04T05:06:07.250Z');
    assert.equal(parseGeneralizedTime('201903040506Z')?.toISOString(), '2019-03-04T05:06:00.000Z');
    assert.equal(parseGeneralizedTime('20190304050607+0130')?.toISOString(), '2019-03-04T03:36:07.000Z');
    assert.equal(parseGeneralizedTime('20190304050607-05')?.toISOString(), '2019-03-04T10:06:07.000Z');
  });

  test('unreadable values give undefined', () => {
    for (const bad of ['', 'yesterday', '20191304050607.0Z', '20190230050607.0Z', '2019030405', '20190304256000Z']) {
      assert.equal(parseGeneralizedTime(bad), undefined, bad);
    }
  });
});
