/**
 * The lab brought up for real on 127.21.0.0/24 and checked from outside with plain clients (node:dns, node:tls,
 * node:http(s), ldapts), independent of any discovery code.
 */
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { Client } from 'ldapts';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { parseScenario } from '../../src/lab/scenario.js';
import { fixture } from '../helpers/app.js';
import { SMOKE_SCENARIO } from './smoke-scenario.js';

const RANGE = '127.21.0.0/24';
const WEB = '127.21.0.100';
const EXCHANGE = '127.21.0.101';
const LEGACY = '127.21.0.102';

let lab: RunningLab;

before(async () => {
  lab = await startLab(parseScenario(SMOKE_SCENARIO, 'smoke.yaml'), { range: RANGE });
});
after(async () => {
  await lab?.close();
});

interface Handshake {
  authorized: boolean;
  authorizationError: string | null;
  cert: PeerCertificate;
}

/** A TLS handshake that accepts anything, so what Node would have said about the certificate can be read. */
function handshake(address: string, servername: string | undefined, port = 443): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: address,
      port,
      ca: lab.caPem,
      rejectUnauthorized: false,
      ...(servername === undefined ? {} : { servername }),
    });
    socket.once('secureConnect', () => {
      const result = {
        authorized: socket.authorized,
        authorizationError: socket.authorizationError === null ? null : String(socket.authorizationError),
        cert: socket.getPeerCertificate(),
      };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', reject);
  });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function fetch(
  url: string,
  options: { method?: string; host?: string; body?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  const send = tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        method: options.method ?? 'GET',
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        headers: { ...(options.host ? { host: options.host } : {}), ...options.headers },
        agent: false,
        ...(tls ? { ca: lab.caPem, ...(options.host ? { servername: options.host } : {}) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () =>
        req.destroy(Object.assign(new Error('client timeout'), { code: 'TIMEOUT' })),
      );
    }
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('layout', () => {
  test('DNS at .53:53, LDAP at .10:389, hosts from .100 in scenario order, the CA file holds the lab root', () => {
    assert.equal(lab.range, RANGE);
    assert.equal(lab.dns, '127.21.0.53:53');
    assert.equal(lab.ldap, 'ldap://127.21.0.10:389');
    assert.deepEqual(
      lab.hosts.map((h) => [h.name, h.address, h.httpsPort, h.httpPort]),
      [
        ['web', WEB, 443, 80],
        ['exchange', EXCHANGE, 443, 80],
        ['legacy', LEGACY, 443, undefined],
      ],
    );
    assert.deepEqual(
      [...lab.addresses],
      [
        ['web', WEB],
        ['exchange', EXCHANGE],
        ['legacy', LEGACY],
      ],
    );
    assert.equal(readFileSync(lab.caFile, 'utf8'), lab.caPem);
    assert.match(lab.caPem, /^-----BEGIN CERTIFICATE-----/);
  });
});

describe('DNS', () => {
  const resolver = () => {
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([lab.dns]);
    return r;
  };

  test('A records with host: references answer the addresses the lab gave', async () => {
    assert.deepEqual(await resolver().resolve4('www.contoso.test'), [WEB]);
    assert.deepEqual(await resolver().resolve4('contoso.test'), [WEB]);
    assert.deepEqual(await resolver().resolve4('external.contoso.test'), ['192.0.2.10']);
  });

  test('CNAME, and A through the CNAME', async () => {
    assert.deepEqual(await resolver().resolveCname('autodiscover.contoso.test'), ['mail.contoso.test']);
    assert.deepEqual(await resolver().resolve4('autodiscover.contoso.test'), [EXCHANGE]);
  });

  test('SRV, MX, TXT and a wildcard', async () => {
    assert.deepEqual(await resolver().resolveSrv('_autodiscover._tcp.contoso.test'), [
      { name: 'mail.contoso.test', port: 443, priority: 0, weight: 0 },
    ]);
    assert.deepEqual(await resolver().resolveMx('contoso.test'), [{ exchange: 'mail.contoso.test', priority: 10 }]);
    assert.deepEqual(await resolver().resolveTxt('contoso.test'), [['v=spf1 -all']]);
    assert.deepEqual(await resolver().resolve4('anything.legacy.contoso.test'), [LEGACY]);
  });

  test('names that do not exist are NXDOMAIN, inside the zones and outside them', async () => {
    for (const name of ['nothere.contoso.test', '_autodiscover._tcp.fabrikam.test', 'www.example.org']) {
      await assert.rejects(resolver().resolve4(name), { code: 'ENOTFOUND' }, name);
    }
  });

  test('a servfail fault', async () => {
    await assert.rejects(resolver().resolve4('broken.contoso.test'), { code: 'ESERVFAIL' });
  });

  test('the query log records what was asked', () => {
    assert.ok(lab.dnsServer.queries.some((q) => q.name === 'www.contoso.test' && q.type === 'A'));
  });
});

describe('certificates', () => {
  test('the default certificate of a host answers names it does not carry (the website on the root domain)', async () => {
    const h = await handshake(WEB, 'contoso.test');
    assert.equal(h.cert.subject.CN, 'www.contoso.test');
    assert.equal(h.cert.subjectaltname, 'DNS:www.contoso.test');
    assert.equal(h.authorized, false);
    assert.equal(h.authorizationError, 'ERR_TLS_CERT_ALTNAME_INVALID');
    const ok = await handshake(WEB, 'www.contoso.test');
    assert.equal(ok.authorized, true, String(ok.authorizationError));
    assert.equal(ok.cert.issuer.CN, 'autodisco lab intermediate');
  });

  test('no SNI at all gets the default certificate', async () => {
    const h = await handshake(WEB, undefined);
    assert.equal(h.cert.subject.CN, 'www.contoso.test');
  });

  test('SNI picks a wildcard RSA certificate', async () => {
    const h = await handshake(WEB, 'a.shop.test');
    assert.equal(h.cert.subjectaltname, 'DNS:*.shop.test');
    assert.equal(h.authorized, true, String(h.authorizationError));
    assert.equal(h.cert.bits, 2048);
    assert.equal(checkServerIdentity('a.shop.test', h.cert), undefined);
    assert.ok(checkServerIdentity('b.a.shop.test', h.cert) instanceof Error);
  });

  test('the ECDSA default and an RSA certificate on the Exchange host', async () => {
    const web = await handshake(WEB, 'www.contoso.test');
    assert.equal(web.cert.asn1Curve, 'prime256v1');
    const h = await handshake(EXCHANGE, 'autodiscover.contoso.test');
    assert.equal(h.authorized, true, String(h.authorizationError));
    assert.equal(h.cert.subjectaltname, 'DNS:mail.contoso.test, DNS:autodiscover.contoso.test');
    assert.equal(h.cert.bits, 2048);
  });

  const cases: [servername: string, error: string | null][] = [
    ['old.legacy.contoso.test', 'CERT_HAS_EXPIRED'],
    ['self.legacy.contoso.test', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['nochain.legacy.contoso.test', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['foreign.legacy.contoso.test', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
    ['future.legacy.contoso.test', 'CERT_NOT_YET_VALID'],
    ['soon.legacy.contoso.test', null],
  ];
  for (const [servername, error] of cases) {
    test(`${servername}: ${error ?? 'trusted'}`, async () => {
      const h = await handshake(LEGACY, servername);
      assert.equal(h.cert.subjectaltname, `DNS:${servername}`);
      assert.equal(h.authorizationError, error);
      assert.equal(h.authorized, error === null);
    });
  }

  test('an expiring certificate expires within 10 days, issued by the root itself', async () => {
    const h = await handshake(LEGACY, 'soon.legacy.contoso.test');
    const left = new Date(h.cert.valid_to).getTime() - Date.now();
    assert.ok(left > 0 && left < 10 * 86_400_000, h.cert.valid_to);
    assert.equal(h.cert.issuer.CN, 'autodisco lab root');
  });

  test('the lab reports the certificates it serves', async () => {
    const legacy = lab.hosts.find((h) => h.name === 'legacy');
    assert.deepEqual(
      legacy?.certificates.map((c) => [c.sni, c.chainSent]),
      [
        [null, true],
        [['self.legacy.contoso.test'], false],
        [['nochain.legacy.contoso.test'], false],
        [['foreign.legacy.contoso.test'], true],
        [['future.legacy.contoso.test'], true],
        [['soon.legacy.contoso.test'], false],
      ],
    );
    const h = await handshake(LEGACY, 'nochain.legacy.contoso.test');
    assert.equal(legacy?.certificates[2]?.fingerprint256, h.cert.fingerprint256);
  });

  test('a self-signed certificate names itself as issuer', async () => {
    const h = await handshake(LEGACY, 'self.legacy.contoso.test');
    assert.deepEqual(h.cert.issuer, h.cert.subject);
  });
});

describe('HTTP answers', () => {
  test('an HTML page', async () => {
    const r = await fetch(`https://${WEB}/`, { host: 'www.contoso.test' });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.equal(r.body, '<h1>Contoso</h1>');
  });

  test('a fixed status, body, content type and header; paths match case-insensitively, without the query', async () => {
    const r = await fetch(`https://${WEB}/autodiscover/autodiscover.xml?x=1`, {
      method: 'POST',
      host: 'www.contoso.test',
      body: '<x/>',
    });
    assert.equal(r.status, 403);
    assert.equal(r.body, 'forbidden');
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(r.headers['x-lab'], 'web');
  });

  test('a method the route does not take, and a path no route takes: 404', async () => {
    assert.equal(
      (await fetch(`https://${WEB}/autodiscover/autodiscover.xml`, { host: 'www.contoso.test' })).status,
      404,
    );
    assert.equal((await fetch(`http://${WEB}/nothing`)).status, 404);
  });

  test('a redirect with its Location, on both listeners', async () => {
    for (const base of [`https://${WEB}`, `http://${WEB}`]) {
      const r = await fetch(`${base}/old`, { host: 'www.contoso.test' });
      assert.equal(r.status, 301);
      assert.equal(r.headers['location'], 'https://www.contoso.test/new');
    }
  });

  test('a route limited to https is not on the http listener', async () => {
    assert.equal((await fetch(`https://${WEB}/secure-only`, { host: 'www.contoso.test' })).body, 'tls');
    assert.equal((await fetch(`http://${WEB}/secure-only`)).status, 404);
  });

  test('a delay, then the answer', async () => {
    const started = Date.now();
    const r = await fetch(`http://${WEB}/slow`);
    assert.equal(r.body, 'late');
    assert.ok(Date.now() - started >= 190, `answered after ${Date.now() - started} ms`);
  });

  test('a reset: ECONNRESET, over HTTPS and HTTP', async () => {
    await assert.rejects(fetch(`https://${WEB}/reset`, { host: 'www.contoso.test' }), { code: 'ECONNRESET' });
    await assert.rejects(fetch(`http://${WEB}/reset`), { code: 'ECONNRESET' });
  });

  test('a hang: the client times out', async () => {
    await assert.rejects(fetch(`https://${WEB}/hang`, { host: 'www.contoso.test', timeoutMs: 300 }), {
      code: 'TIMEOUT',
    });
  });

  test('the autodisco server answers a real Outlook POX request over HTTPS', async () => {
    const body = fixture('requests/outlook.xml').replace('chris@example.test', 'chris@contoso.test');
    const r = await fetch(`https://${EXCHANGE}/autodiscover/autodiscover.xml`, {
      method: 'POST',
      host: 'autodiscover.contoso.test',
      body,
      headers: { 'content-type': 'text/xml; charset=utf-8' },
    });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/xml/);
    assert.match(r.body, /<AutoDiscoverSMTPAddress>chris@contoso\.test<\/AutoDiscoverSMTPAddress>/);
    assert.match(r.body, /<Action>settings<\/Action>/);
    assert.match(r.body, /<Server>imap\.contoso\.test<\/Server>/);
  });

  test('on the HTTP port the autodisco server only redirects (httpMode redirect)', async () => {
    const get = await fetch(`http://${EXCHANGE}/autodiscover/autodiscover.xml`, { host: 'autodiscover.contoso.test' });
    assert.equal(get.status, 302);
    assert.equal(get.headers['location'], 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml');
    const post = await fetch(`http://${EXCHANGE}/autodiscover/autodiscover.xml`, {
      method: 'POST',
      host: 'autodiscover.contoso.test',
      body: fixture('requests/outlook.xml'),
    });
    assert.equal(post.status, 404);
  });

  test('the request log', () => {
    const hang = lab.requests.find((r) => r.url === '/hang');
    assert.equal(hang?.host, 'web');
    assert.equal(hang?.answer, 'hang');
    assert.equal(hang?.servername, 'www.contoso.test');
    assert.ok(lab.requests.some((r) => r.host === 'exchange' && r.answer === 'autodisco' && r.scheme === 'http'));
    assert.ok(lab.requests.some((r) => r.url === '/nothing' && r.answer === 'not-found'));
  });
});

describe('LDAP directory', () => {
  // Copied from MS-OXDISCO §2.2.1.2, not from src.
  const SCP_FILTER =
    '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';

  test('the root DSE gives configurationNamingContext, and the SCPs are below it', async () => {
    const client = new Client({ url: lab.ldap ?? '', timeout: 2000, connectTimeout: 2000 });
    try {
      await client.bind('', '');
      const dse = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['*'] });
      const config = dse.searchEntries[0]?.['configurationNamingContext'];
      assert.equal(config, 'CN=Configuration,DC=contoso,DC=test');
      const { searchEntries } = await client.search(String(config), {
        scope: 'sub',
        filter: SCP_FILTER,
        attributes: ['cn', 'serviceBindingInformation', 'keywords', 'whenCreated'],
      });
      const byCn = new Map(searchEntries.map((e) => [String(e['cn']), e]));
      assert.deepEqual([...byCn.keys()].sort(), ['EX1', 'EX2']);
      assert.equal(
        byCn.get('EX1')?.['serviceBindingInformation'],
        'https://mail.contoso.test/Autodiscover/Autodiscover.xml',
      );
      assert.deepEqual(byCn.get('EX1')?.['keywords'], [
        '77378F46-2C66-4aa9-A6A6-3E7A48B19596',
        'Site=Default-First-Site-Name',
      ]);
      assert.equal(byCn.get('EX1')?.['whenCreated'], '20190304050607.0Z');
      assert.equal(byCn.get('EX2')?.['serviceBindingInformation'], 'LDAP://dc2.fabrikam.test:389');
      assert.deepEqual(byCn.get('EX2')?.['keywords'], ['67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68', 'Domain=fabrikam.test']);
      assert.equal(byCn.get('EX2')?.['whenCreated'], '20180102000000.0Z');
    } finally {
      await client.unbind();
    }
  });
});
