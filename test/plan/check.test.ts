/**
 * `plan --check` against real loopback servers: a DNS server from src/dns and TLS listeners on 127.58.0.x:443
 * serving certificates from src/pki, one of them missing a required name.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createServer, type Server } from 'node:tls';
import { createNodeResolver } from '../../src/adapters/node/dns.js';
import { createDnsServer, type DnsServer } from '../../src/dns/server.js';
import { loadBuiltinScenario } from '../../src/lab/builtin.js';
import { startLab } from '../../src/lab/lab.js';
import { type Authority, createAuthority, issueCertificate } from '../../src/pki/index.js';
import { checkPlan } from '../../src/plan/check.js';
import { parseDeploymentText } from '../../src/plan/deployment.js';
import { fromDeployment } from '../../src/plan/input.js';
import { buildPlan, type Plan } from '../../src/plan/plan.js';
import { renderCheck } from '../../src/plan/render.js';

const CONTOSO = '127.58.0.1';
const FABRIKAM = '127.58.0.2';

const closers: Array<() => Promise<void>> = [];
after(async () => {
  await Promise.all(closers.map((close) => close()));
});

async function tlsServer(address: string, pem: { cert: string; key: string }): Promise<void> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: pem.cert, key: pem.key }, (socket) => {
    socket.on('error', () => {});
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(443, address, resolve));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

function planOf(yaml: string): Plan {
  return buildPlan(fromDeployment(parseDeploymentText(yaml, 'test')));
}

describe('plan --check', () => {
  let dns: DnsServer;
  let root: Authority;
  let resolver: ReturnType<typeof createNodeResolver>;

  before(async () => {
    root = await createAuthority({ name: 'Plan Check Test Root' });
    // contoso's server forgot autodiscover.contoso.test; fabrikam's has both names.
    const contoso = await issueCertificate({ issuer: root, dnsNames: ['webmail.contoso.test'] });
    const fabrikam = await issueCertificate({
      issuer: root,
      dnsNames: ['mail.fabrikam.test', 'autodiscover.fabrikam.test'],
    });
    await tlsServer(CONTOSO, { cert: contoso.fullChainPem, key: contoso.keyPem });
    await tlsServer(FABRIKAM, { cert: fabrikam.fullChainPem, key: fabrikam.keyPem });
    dns = createDnsServer({
      address: '127.58.0.53',
      zones: [
        {
          origin: 'contoso.test',
          records: [
            { name: 'webmail', type: 'A', value: CONTOSO },
            { name: 'autodiscover', type: 'CNAME', value: 'webmail.contoso.test' },
          ],
        },
        {
          origin: 'fabrikam.test',
          records: [
            { name: 'mail', type: 'A', value: FABRIKAM },
            { name: 'autodiscover', type: 'CNAME', value: 'mail.fabrikam.test' },
          ],
        },
      ],
    });
    const { server } = await dns.start();
    closers.push(() => dns.close());
    resolver = createNodeResolver({ servers: [server], timeoutMs: 3000 });
  });

  test('a certificate missing autodiscover.<domain>, and a name that does not resolve', async () => {
    const plan = planOf(`
acceptedDomains: [contoso.test, sub.contoso.test]
namespaces: { mail: webmail.contoso.test }
`);
    const report = await checkPlan(plan, { resolver, ca: [root.certPem], timeoutMs: 3000 });
    const required = ['webmail.contoso.test', 'autodiscover.contoso.test', 'autodiscover.sub.contoso.test'];
    assert.deepEqual(
      report.hosts.map((h) => [h.name, h.port, h.addresses, h.reachable, h.required, h.lacks, h.errors, h.ok]),
      [
        [
          'webmail.contoso.test',
          443,
          [CONTOSO],
          true,
          required,
          ['autodiscover.contoso.test', 'autodiscover.sub.contoso.test'],
          [],
          false,
        ],
        [
          'autodiscover.contoso.test',
          443,
          [CONTOSO],
          true,
          required,
          ['autodiscover.contoso.test', 'autodiscover.sub.contoso.test'],
          [],
          false,
        ],
        [
          'autodiscover.sub.contoso.test',
          443,
          [],
          false,
          required,
          [],
          ['DNS: the name does not exist in DNS (NXDOMAIN)'],
          false,
        ],
      ],
    );
    assert.equal(report.ok, false);
    assert.deepEqual(report.hosts[0]?.certificate?.dnsNames, ['webmail.contoso.test']);
    assert.equal(report.hosts[0]?.certificate?.subject, 'CN=webmail.contoso.test');
    const text = renderCheck(report);
    assert.ok(text.includes('  webmail.contoso.test:443  PROBLEM\n'), text);
    assert.ok(text.includes('    lacks: autodiscover.contoso.test, autodiscover.sub.contoso.test\n'), text);
    assert.ok(text.includes('    error: DNS: the name does not exist in DNS (NXDOMAIN)\n'), text);
    assert.ok(text.endsWith('3 of 3 host(s) have problems.\n'), text);
  });

  test('a certificate with every required name passes; without --ca its root is not trusted', async () => {
    const plan = planOf(`
acceptedDomains: [fabrikam.test]
namespaces: { mail: mail.fabrikam.test }
`);
    const good = await checkPlan(plan, { resolver, ca: [root.certPem], timeoutMs: 3000 });
    assert.equal(good.ok, true);
    assert.deepEqual(
      good.hosts.map((h) => [h.name, h.lacks, h.errors, h.ok]),
      [
        ['mail.fabrikam.test', [], [], true],
        ['autodiscover.fabrikam.test', [], [], true],
      ],
    );
    assert.deepEqual(
      good.rootDomains.map((r) => [r.domain, r.verdict, r.ok]),
      [['fabrikam.test', 'no-address', true]],
    );
    const text = renderCheck(good);
    assert.ok(
      text.includes(
        '  fabrikam.test:443  ok\n    fabrikam.test has no address: Outlook skips https://fabrikam.test/autodiscover/autodiscover.xml at once\n',
      ),
      text,
    );
    assert.ok(
      text.endsWith(
        'Every host answered with a certificate carrying its required names, and no root domain stops Outlook.\n',
      ),
    );

    const untrusted = await checkPlan(plan, { resolver, timeoutMs: 3000 });
    assert.equal(untrusted.ok, false);
    assert.deepEqual(untrusted.hosts[0]?.lacks, []);
    assert.deepEqual(untrusted.hosts[0]?.errors, [
      'certificate not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE (add its root with --ca if it is yours)',
    ]);
  });
});

describe("plan --check: the root domain (the seed's case, on the lab scenarios)", () => {
  const deployment = `
acceptedDomains: [contoso.test]
namespaces: { mail: mail.contoso.test }
`;
  /** Brings the scenario up, runs the check for contoso.test against it, tears it down. */
  async function checkAgainst(scenario: string, range: string, timeoutMs = 3000) {
    const lab = await startLab(loadBuiltinScenario(scenario), { range });
    try {
      const resolver = createNodeResolver({ servers: [lab.dns], timeoutMs });
      return await checkPlan(planOf(deployment), {
        resolver,
        ca: [await readFile(lab.caFile, 'utf8')],
        timeoutMs,
      });
    } finally {
      await lab.close();
    }
  }

  test('root-domain-trap: the Exchange names are fine, https://contoso.test stops Outlook 2007-2013', async () => {
    const report = await checkAgainst('root-domain-trap', '127.61.0.0/24');
    assert.deepEqual(
      report.hosts.map((h) => [h.name, h.ok]),
      [
        ['mail.contoso.test', true],
        ['autodiscover.contoso.test', true],
      ],
    );
    assert.equal(report.ok, false);
    const root = report.rootDomains[0];
    assert.equal(report.rootDomains.length, 1);
    assert.equal(root?.verdict, 'lacks-domain');
    assert.deepEqual(root?.certificate?.dnsNames, ['www.contoso.test']);
    const text = renderCheck(report);
    assert.ok(text.includes('  contoso.test:443  PROBLEM\n'), text);
    assert.match(
      text,
      /serves a certificate for www\.contoso\.test that does not name contoso\.test: Outlook 2007 to 2013 show a certificate warning there and never try autodiscover\.contoso\.test\n/,
    );
    assert.match(
      text,
      /Fix: add contoso\.test to the website's certificate \(reissue it for www\.contoso\.test, contoso\.test\)/,
    );
    assert.match(text, /Or: {2}stop answering HTTPS on contoso\.test \(close port 443 there\)/);
    assert.ok(text.endsWith('1 of 1 root domain(s) stop Outlook 2007-2013.\n'), text);
  });

  test('root-domain-fixed-san: the website certificate names contoso.test', async () => {
    const report = await checkAgainst('root-domain-fixed-san', '127.61.1.0/24');
    assert.equal(report.ok, true, renderCheck(report));
    assert.equal(report.rootDomains[0]?.verdict, 'names-domain');
    assert.match(renderCheck(report), /serves a trusted certificate that names contoso\.test and answers HTTP \d{3}:/);
    assert.ok(renderCheck(report).endsWith('and no root domain stops Outlook.\n'));
  });

  test('root-domain-timeout: the certificate is right, but https://contoso.test never answers', async () => {
    const started = performance.now();
    const report = await checkAgainst('root-domain-timeout', '127.61.3.0/24', 1500);
    assert.ok(performance.now() - started < 1500 * 3, 'the probes share the deadline; nothing waits twice');
    assert.equal(report.ok, false);
    const root = report.rootDomains[0];
    assert.equal(root?.verdict, 'hangs');
    const text = renderCheck(report);
    assert.match(
      text,
      /completes the TLS handshake but gives no HTTP answer within 1500 ms \(no response headers\): every Outlook waits there/,
    );
    assert.match(
      text,
      /Fix: make the web server on contoso\.test answer https:\/\/contoso\.test\/autodiscover\/autodiscover\.xml at once/,
    );
    assert.ok(text.endsWith('1 of 1 root domain(s) never answer, so every Outlook waits there.\n'), text);
  });

  test('root-domain-fixed-no-tls: port 443 is closed on contoso.test', async () => {
    const report = await checkAgainst('root-domain-fixed-no-tls', '127.61.2.0/24');
    assert.equal(report.ok, true, renderCheck(report));
    assert.equal(report.rootDomains[0]?.verdict, 'closed');
    assert.match(
      renderCheck(report),
      /port 443 is closed on contoso\.test \(127\.61\.2\.\d+\): Outlook moves on to autodiscover\.contoso\.test at once/,
    );
  });

  test('a planned root domain (--root-domain) is a certificate name, not a separate check', () => {
    const plan = buildPlan({ ...fromDeployment(parseDeploymentText(deployment, 'test')), rootDomain: true });
    assert.deepEqual(plan.rootDomains, []);
    assert.deepEqual(planOf(deployment).rootDomains, ['contoso.test']);
  });
});
