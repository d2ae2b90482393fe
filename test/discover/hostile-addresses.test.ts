/**
 * Hostile DNS answers: 0.0.0.0 and :: (which on Linux reach this machine's own listeners) are never targets, a
 * public name answering 127.0.0.1 gets no credentials, .test names (the lab's) are not public and behave as
 * before, and 1,000 SRV targets are capped at 10. A canary with a valid certificate for the name listens on
 * 127.0.0.1:443 and [::1]:443 and records every connection and request.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { addressScope, isPublicName } from '../../src/discover/address-scope.js';
import { runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
import type { DiscoveryReport } from '../../src/discover/report.js';
import { SRV_TARGET_CAP } from '../../src/discover/steps/srv.js';
import type { DnsServer } from '../../src/dns/server.js';
import { closeAll, dnsFor, type Pki, plainPeer, testPki } from '../helpers/hostile-peer.js';

const NAMES = ['autodiscover.contoso.com', 'autodiscover.fabrikam.com', 'autodiscover.contoso.test'];

let pki: Pki;
let dns: DnsServer;
let dnsServer: string;
const servers: Server[] = [];
let connections = 0;
const requests: IncomingHttpHeaders[] = [];

before(async () => {
  pki = await testPki(NAMES);
  for (const host of ['127.0.0.1', '::1']) {
    const canary = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
      requests.push(req.headers);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="canary"' }).end();
    });
    canary.on('connection', () => connections++);
    await new Promise<void>((resolve, reject) => {
      canary.once('error', reject);
      canary.listen({ host, port: 443 }, resolve);
    });
    servers.push(canary);
  }
  servers.push(await plainPeer('127.91.2.9', 443, 'hang'));
  const hanging = Array.from({ length: 1000 }, (_, i) => i);
  ({ dns, server: dnsServer } = await dnsFor([
    {
      origin: 'contoso.com',
      records: [
        { name: 'autodiscover', type: 'A', value: '0.0.0.0' },
        { name: 'autodiscover', type: 'AAAA', value: '::' },
      ],
    },
    { origin: 'fabrikam.com', records: [{ name: 'autodiscover', type: 'A', value: '127.0.0.1' }] },
    { origin: 'contoso.test', records: [{ name: 'autodiscover', type: 'A', value: '127.0.0.1' }] },
    {
      // Short names: 1,000 uncompressed SRV records must fit in one 64 KiB DNS message (over TCP).
      origin: 'c.test',
      records: [
        ...hanging.map((i) => ({
          name: '_autodiscover._tcp',
          type: 'SRV' as const,
          priority: 0,
          weight: 0,
          port: 443,
          target: `h${i}.c.test`,
        })),
        { name: '*', type: 'A' as const, value: '127.91.2.9' },
      ],
    },
  ]));
});
after(async () => {
  await closeAll(servers);
  await dns.close();
});

async function discover(
  email: string,
  only: 'autodiscover-domain' | 'srv',
  timeoutMs = 2000,
  budgetMs?: number,
): Promise<DiscoveryReport> {
  const skip = ['scp', 'root-domain', 'autodiscover-domain', 'http-redirect', 'srv'] as const;
  const report = await runDiscovery(
    {
      email,
      profile: PROFILES.outlook,
      exclude: new Set(skip.filter((m) => m !== only)),
      accept: { redirect: true, certificate: false },
      credentials: { user: 'chris', password: 'canary-secret' },
      timeoutMs,
      ...(budgetMs !== undefined ? { budgetMs } : {}),
      ca: [pki.ca.certPem],
    },
    // The resolver gets its own, longer deadline: the 1,000-record SRV answer comes over TCP after a truncated UDP
    // one, which a loaded machine cannot always do within a 150 ms step deadline (that is not what is tested here).
    createNodePorts({ dnsServers: [dnsServer], timeoutMs: Math.max(timeoutMs, 5000) }),
  );
  report.findings = diagnose(report);
  return report;
}

describe('unspecified answers', () => {
  test('0.0.0.0 and :: are refused: the canary on 127.0.0.1:443 and [::1]:443 sees nothing', async () => {
    const before = { connections, requests: requests.length };
    const report = await discover('chris@contoso.com', 'autodiscover-domain');
    const step = report.steps.find((s) => s.method === 'autodiscover-domain');
    assert.equal(step?.result, 'refused');
    assert.equal(step?.refusal, 'unspecified-address');
    assert.deepEqual(step?.addresses, ['0.0.0.0', '::']);
    assert.equal(step?.credentialsSent, undefined);
    assert.match(step?.detail ?? '', /resolves only to 0\.0\.0\.0, ::, an unspecified address/);
    assert.equal(connections, before.connections, 'the canary was connected to');
    assert.equal(requests.length, before.requests);
    const finding = report.findings.find((f) => f.code === 'UNSPECIFIED_ADDRESS_ANSWER');
    assert.ok(finding, report.findings.map((f) => f.code).join(', '));
    assert.equal(finding.severity, 'error');
    assert.match(finding.title, /autodiscover\.contoso\.com resolves to 0\.0\.0\.0, ::/);
  });
});

describe('local answers for public names', () => {
  test('a public name answering 127.0.0.1: the request goes (valid certificate), credentials do not', async () => {
    const before = requests.length;
    const report = await discover('chris@fabrikam.com', 'autodiscover-domain');
    const step = report.steps.find((s) => s.method === 'autodiscover-domain');
    assert.equal(requests.length, before + 1);
    assert.equal(requests.at(-1)?.authorization, undefined, 'the canary received the Authorization header');
    assert.equal(step?.credentialsSent, false);
    assert.equal(step?.status, 401);
    assert.match(
      step?.detail ?? '',
      /Credentials withheld: autodiscover\.fabrikam\.com is a public name, but it resolved to 127\.0\.0\.1, a loopback address\./,
    );
    const finding = report.findings.find((f) => f.code === 'LOCAL_ADDRESS_FOR_PUBLIC_NAME');
    assert.ok(finding, report.findings.map((f) => f.code).join(', '));
    assert.equal(finding.severity, 'warning');
    assert.match(
      finding.title,
      /The public name autodiscover\.fabrikam\.com resolves to a loopback address \(127\.0\.0\.1\)/,
    );
  });

  test('a .test name (the lab) answering 127.0.0.1 is not public: credentials go, nothing is raised', async () => {
    const before = requests.length;
    const report = await discover('chris@contoso.test', 'autodiscover-domain');
    const step = report.steps.find((s) => s.method === 'autodiscover-domain');
    assert.equal(requests.length, before + 1);
    assert.match(String(requests.at(-1)?.authorization), /^Basic /);
    assert.equal(step?.credentialsSent, true);
    assert.doesNotMatch(step?.detail ?? '', /withheld/);
    assert.equal(
      report.findings.some((f) => f.code === 'LOCAL_ADDRESS_FOR_PUBLIC_NAME'),
      false,
    );
  });

  test('which names are public, which addresses are local', () => {
    for (const name of ['autodiscover.contoso.com', 'mail.example.co.uk']) assert.equal(isPublicName(name), true, name);
    for (const name of [
      'contoso.test',
      'a.example',
      'x.localhost',
      'dc.corp.local',
      'nas.home.arpa',
      'ad.internal',
      '10.1.2.3',
    ])
      assert.equal(isPublicName(name), false, name);
    const scopes: Record<string, string> = {
      '0.0.0.0': 'unspecified',
      '0.1.2.3': 'unspecified',
      '::': 'unspecified',
      '::ffff:0.0.0.0': 'unspecified',
      '127.0.0.1': 'loopback',
      '::1': 'loopback',
      '::ffff:127.0.0.2': 'loopback',
      '169.254.169.254': 'link-local',
      'fe80::1': 'link-local',
      '10.0.0.1': 'private',
      '172.16.5.4': 'private',
      '192.168.1.1': 'private',
      '100.64.0.1': 'private',
      'fd00::1': 'private',
      '172.32.0.1': 'public',
      '8.8.8.8': 'public',
      '2001:db8::1': 'public',
    };
    for (const [address, scope] of Object.entries(scopes)) assert.equal(addressScope(address), scope, address);
  });
});

describe('1,000 SRV targets', () => {
  test(`only the first ${SRV_TARGET_CAP} are tried, and the report says so`, async () => {
    const timeoutMs = 150;
    const started = performance.now();
    const report = await discover('chris@c.test', 'srv', timeoutMs, 60_000);
    const wall = performance.now() - started;
    const [lookup, ...targets] = report.steps.filter((s) => s.method === 'srv');
    assert.equal(lookup?.result, 'redirect-url');
    assert.deepEqual(lookup?.capped, { limit: SRV_TARGET_CAP, found: 1000 });
    assert.equal(lookup?.records?.length, 1000);
    assert.match(lookup?.detail ?? '', /^1000 SRV target\(s\): .*, and 990 more\. Only the first 10 are tried/);
    assert.equal(targets.length, SRV_TARGET_CAP);
    for (const t of targets) assert.equal(t.result, 'timeout', t.detail);
    assert.ok(wall < SRV_TARGET_CAP * timeoutMs + 3000, `the lookup took ${wall} ms`);
  });

  test('the default budget ends a lookup whose SRV targets all hang, in the step that hit it', async () => {
    const timeoutMs = 150;
    const report = await discover('chris@c.test', 'srv', timeoutMs);
    const targets = report.steps.filter((s) => s.method === 'srv' && s.url !== undefined);
    const last = targets.at(-1);
    // The plan's steps + 2, times --timeout: fewer than 10 targets of 150 ms fit.
    assert.ok(targets.length < SRV_TARGET_CAP, `${targets.length} targets tried`);
    assert.equal(last?.result, 'timeout');
    assert.match(last?.detail ?? '', /--budget of \d+ ms/);
  });
});
