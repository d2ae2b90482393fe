import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseAutoconfig } from '../../src/formats/autoconfig.js';
import { loadSigner } from '../../src/formats/sign-profile.js';
import { child, parseXml } from '../../src/formats/xml.js';
import { createAuthority, issueCertificate } from '../../src/pki/index.js';
import { buildApp } from '../../src/server/app.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { exampleApp, exampleStore, FIXED_NOW, logSink } from '../helpers/app.js';

const run = promisify(execFile);

describe('Thunderbird autoconfig', () => {
  test('GET /mail/config-v1.1.xml?emailaddress= answers with concrete usernames', async () => {
    const { app } = await exampleApp();
    const res = await app.inject({
      method: 'GET',
      url: '/mail/config-v1.1.xml?emailaddress=sam%40example.test',
      headers: { host: 'autoconfig.example.test' },
    });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /xml/);
    const config = parseAutoconfig(res.body);
    assert.equal(config.id, 'example.test');
    assert.deepEqual(config.domains, ['example.test', 'example.org']);
    assert.equal(config.displayName, 'Example Mail');
    const imap = config.incoming.find((s) => s.type === 'imap');
    assert.equal(imap?.hostname, 'imap2.example.test');
    assert.equal(imap?.username, 'slee');
    assert.equal(imap?.security, 'tls');
    const smtp = config.outgoing[0];
    assert.equal(smtp?.hostname, 'smtp.example.test');
    assert.equal(smtp?.port, 587);
    assert.equal(smtp?.security, 'starttls');
    assert.equal(
      config.incoming.some((s) => s.type === 'exchange'),
      false,
      'no Exchange server offered to Thunderbird',
    );
  });

  test('without emailaddress (K-9, Thunderbird for Android) the Host names the domain and placeholders stay', async () => {
    const { app } = await exampleApp();
    for (const [host, url] of [
      ['autoconfig.example.test', '/mail/config-v1.1.xml'],
      ['example.test', '/.well-known/autoconfig/mail/config-v1.1.xml'],
      ['AUTOCONFIG.EXAMPLE.ORG:443', '/mail/config-v1.1.xml'],
    ] as const) {
      const res = await app.inject({ method: 'GET', url, headers: { host } });
      assert.equal(res.statusCode, 200, host);
      const config = parseAutoconfig(res.body);
      assert.equal(config.id, 'example.test');
      assert.equal(config.incoming[0]?.username, '%EMAILADDRESS%', host);
    }
  });

  test('a domain that moved wholesale answers with the new domain', async () => {
    const { app } = await exampleApp();
    const res = await app.inject({
      method: 'GET',
      url: '/mail/config-v1.1.xml',
      headers: { host: 'autoconfig.example.com' },
    });
    assert.equal(parseAutoconfig(res.body).id, 'example.test');
    const byAddress = await app.inject({ method: 'GET', url: '/mail/config-v1.1.xml?emailaddress=pat@example.com' });
    const imap = parseAutoconfig(byAddress.body).incoming[0];
    assert.equal(imap?.username, 'pat@example.test');
  });

  test('unknown domains and users moved to other servers get 404', async () => {
    const { app } = await exampleApp();
    const unknownHost = await app.inject({
      method: 'GET',
      url: '/mail/config-v1.1.xml',
      headers: { host: 'autoconfig.unknown.test' },
    });
    assert.equal(unknownHost.statusCode, 404);
    const unknownAddress = await app.inject({
      method: 'GET',
      url: '/mail/config-v1.1.xml?emailaddress=a@unknown.test',
    });
    assert.equal(unknownAddress.statusCode, 404);
    const elsewhere = await app.inject({ method: 'GET', url: '/mail/config-v1.1.xml?emailaddress=robin@example.test' });
    assert.equal(elsewhere.statusCode, 404);
  });
});

describe('Autodiscover v2 JSON', () => {
  test('both URL forms, protocol names without case', async () => {
    const { app } = await exampleApp();
    const a = await app.inject({
      method: 'GET',
      url: '/autodiscover/autodiscover.json/v1.0/chris@example.test?Protocol=Autodiscoverv1',
    });
    assert.equal(a.statusCode, 200);
    assert.deepEqual(a.json(), {
      Protocol: 'AutodiscoverV1',
      Url: 'https://autodiscover.example.test/autodiscover/autodiscover.xml',
    });
    const b = await app.inject({
      method: 'GET',
      url: '/autodiscover/autodiscover.json?Email=chris%40example.test&Protocol=activesync&RedirectCount=1',
    });
    assert.deepEqual(b.json(), {
      Protocol: 'ActiveSync',
      Url: 'https://mail.example.test/Microsoft-Server-ActiveSync',
    });
    const c = await app.inject({
      method: 'GET',
      url: '/AutoDiscover/AutoDiscover.json/v1.0/chris@example.test?protocol=EWS',
    });
    assert.deepEqual(c.json(), { Protocol: 'EWS', Url: 'https://mail.example.test/EWS/Exchange.asmx' });
  });

  test('errors are JSON: invalid protocol, missing address, unknown domain', async () => {
    const { app } = await exampleApp();
    const bad = await app.inject({
      method: 'GET',
      url: '/autodiscover/autodiscover.json/v1.0/chris@example.test?Protocol=<script>',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().ErrorCode, 'InvalidProtocol');
    assert.match(String(bad.headers['content-type']), /application\/json/);
    const missing = await app.inject({ method: 'GET', url: '/autodiscover/autodiscover.json?Protocol=EWS' });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().ErrorCode, 'InvalidUser');
    const unknown = await app.inject({
      method: 'GET',
      url: '/autodiscover/autodiscover.json/v1.0/x@unknown.test?Protocol=EWS',
    });
    assert.equal(unknown.statusCode, 404);
  });

  test('a moved user is redirected with one redirect fewer', async () => {
    const { app } = await exampleApp();
    const res = await app.inject({
      method: 'GET',
      url: '/autodiscover/autodiscover.json?Email=alex@example.test&Protocol=EWS&RedirectCount=3',
    });
    assert.equal(res.statusCode, 302);
    const location = new URL(String(res.headers.location));
    assert.equal(location.hostname, 'autodiscover.partner.example');
    assert.equal(location.searchParams.get('RedirectCount') ?? location.search.match(/RedirectCount=(\d+)/)?.[1], '2');
  });
});

describe('Apple configuration profile', () => {
  test('an unsigned profile with stable identifiers', async () => {
    const { app } = await exampleApp();
    const res = await app.inject({ method: 'GET', url: '/email.mobileconfig?email=chris@example.test' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/x-apple-aspen-config');
    assert.match(String(res.headers['content-disposition']), /example\.test\.mobileconfig/);
    const plist = parseXmlPlist(res.body);
    assert.equal(plist.get('PayloadType'), 'Configuration');
    const again = await app.inject({ method: 'GET', url: '/email.mobileconfig?email=CHRIS@example.test' });
    assert.equal(again.body, res.body, 're-downloading gives the same profile, so installing it replaces the old one');
  });

  test('missing or invalid address is 400, unknown domain 404', async () => {
    const { app } = await exampleApp();
    assert.equal((await app.inject({ method: 'GET', url: '/email.mobileconfig' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'GET', url: '/email.mobileconfig?email=nope' })).statusCode, 400);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/email.mobileconfig?email=a@unknown.test' })).statusCode,
      404,
    );
  });

  test('a signed profile verifies with openssl against the signing CA', async () => {
    const ca = await createAuthority({ name: 'Profile Signing Test CA', keyType: 'rsa' });
    const leaf = await issueCertificate({ issuer: ca, dnsNames: ['mail.example.test'], keyType: 'rsa' });
    const signer = await loadSigner({ certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem });
    const { lines, logger } = logSink();
    const app = buildApp(
      { store: await exampleStore(), logger, metrics: new ServerMetrics(), signer, now: () => FIXED_NOW },
      { transport: 'https' },
    );
    const res = await app.inject({ method: 'GET', url: '/email.mobileconfig?email=chris@example.test' });
    assert.equal(res.statusCode, 200);
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-sign-'));
    await writeFile(join(dir, 'p.der'), res.rawPayload);
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
    // A TLS (serverAuth) certificate is what admins sign with (their ACME certificate), hence -purpose any.
    await run('openssl', [
      'cms',
      '-verify',
      '-purpose',
      'any',
      '-inform',
      'DER',
      '-in',
      join(dir, 'p.der'),
      '-CAfile',
      join(dir, 'ca.pem'),
      '-out',
      join(dir, 'out.xml'),
    ]);
    const content = await readFile(join(dir, 'out.xml'), 'utf8');
    assert.equal(parseXmlPlist(content).get('PayloadType'), 'Configuration');
    assert.match(content, /chris@example\.test/);
    assert.ok(lines.some((l) => l.includes('"outcome":"signed"')));
  });
});

/** Top-level keys of a plist dict (enough to check the profile kind). */
function parseXmlPlist(xml: string): Map<string, string> {
  const dict = child(parseXml(xml.replace(/<!DOCTYPE[^>]*>/, '')), 'dict');
  const out = new Map<string, string>();
  const nodes = dict?.children ?? [];
  for (let i = 0; i < nodes.length - 1; i++) {
    const node = nodes[i];
    if (node?.name === 'key') out.set(node.text, nodes[i + 1]?.text ?? '');
  }
  return out;
}
