import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { renderSoapRequest } from '../../src/formats/soap/request.js';
import { createAuthority, issueCertificate } from '../../src/pki/index.js';
import { EXAMPLE_CONFIG, fixture } from '../helpers/app.js';
import { cli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { fetchRaw } from '../helpers/http.js';

const SOAP_REQUEST = renderSoapRequest({
  operation: 'GetUserSettings',
  requestedServerVersion: 'Exchange2013',
  identities: ['chris@example.test'],
  settings: ['UserDisplayName'],
});

describe('autodisco serve', () => {
  test('imports the example, prints where it listens and a curl line that gets a real answer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-serve-'));
    const child = spawnCli([
      'serve',
      '--config',
      EXAMPLE_CONFIG,
      '--db',
      join(dir, 'db.sqlite'),
      '--http',
      '127.0.0.1:0',
    ]);
    try {
      const out = await waitForOutput(child, /Ctrl-C stops/);
      assert.match(out, /autodisco serving 2 domain\(s\), 4 user\(s\)/);
      const url = /http +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      assert.ok(url, out);
      const curl = /curl -s -H 'Content-Type: text\/xml' --data '([^']+)' (\S+)/.exec(out);
      assert.ok(curl, out);
      assert.equal(curl[2], `${url}/autodiscover/autodiscover.xml`);
      const res = await fetchRaw(curl[2], { method: 'POST', body: curl[1], headers: { 'content-type': 'text/xml' } });
      assert.equal(res.status, 200);
      assert.match(res.body, /<AutoDiscoverSMTPAddress>chris@example\.test<\/AutoDiscoverSMTPAddress>/);
      const soap = await fetchRaw(`${url}/autodiscover/autodiscover.svc`, { method: 'POST', body: SOAP_REQUEST });
      assert.equal(soap.status, 200);
      assert.match(soap.body, /<Value>Chris Gray<\/Value>/);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'close');
    }
  });

  test('--no-soap: no SOAP endpoint, POX unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-serve-'));
    const child = spawnCli([
      'serve',
      '--config',
      EXAMPLE_CONFIG,
      '--db',
      join(dir, 'db.sqlite'),
      '--http',
      '127.0.0.1:0',
      '--no-soap',
    ]);
    try {
      const out = await waitForOutput(child, /Ctrl-C stops/);
      const url = /http +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      assert.ok(url, out);
      const soap = await fetchRaw(`${url}/autodiscover/autodiscover.svc`, { method: 'POST', body: SOAP_REQUEST });
      assert.equal(soap.status, 404);
      // POX still answers (the advertisement on the HTTPS GET is covered in test/server/soap.test.ts).
      const pox = await fetchRaw(`${url}/autodiscover/autodiscover.xml`, {
        method: 'POST',
        body: fixture('requests/outlook.xml'),
      });
      assert.match(pox.body, /<Action>settings<\/Action>/);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'close');
    }
  });

  test('HTTPS with SIGHUP reloading the certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-serve-'));
    const ca = await createAuthority({ name: 'Serve Test Root' });
    const write = async (names: string[]) => {
      const leaf = await issueCertificate({ issuer: ca, dnsNames: names });
      await writeFile(join(dir, 'cert.pem'), leaf.fullChainPem);
      await writeFile(join(dir, 'key.pem'), leaf.keyPem);
      return leaf.x509.fingerprint256;
    };
    const first = await write(['autodiscover.example.test']);
    const child = spawnCli([
      'serve',
      '--config',
      EXAMPLE_CONFIG,
      '--db',
      join(dir, 'db.sqlite'),
      '--no-http',
      '--https',
      '127.0.0.1:0',
      '--cert',
      join(dir, 'cert.pem'),
      '--key',
      join(dir, 'key.pem'),
    ]);
    try {
      const out = await waitForOutput(child, /Ctrl-C stops/);
      const url = /https +(https:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      assert.ok(url, out);
      const opts = {
        method: 'POST',
        host: 'autodiscover.example.test',
        body: fixture('requests/outlook.xml'),
        ca: ca.certPem,
      };
      assert.equal((await fetchRaw(`${url}/autodiscover/autodiscover.xml`, opts)).peerFingerprint, first);
      const second = await write(['autodiscover.example.test', 'mail.example.test']);
      child.kill('SIGHUP');
      let seen = first;
      for (let i = 0; i < 50 && seen !== second; i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen =
          (await fetchRaw(`${url}/healthz`, { host: 'autodiscover.example.test', ca: ca.certPem })).peerFingerprint ??
          '';
      }
      assert.equal(seen, second, 'the new certificate is served after SIGHUP');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'close');
    }
  });

  test('bad options say what is expected', async () => {
    const https = await cli(['serve', '--https', '127.0.0.1:8443']);
    assert.equal(https.code, 2);
    assert.match(https.stderr, /--https needs --cert <file> and --key <file>/);
    const port = await cli(['serve', '--http', 'localhost:http']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--http "localhost:http": expected host:port, e\.g\. 127\.0\.0\.1:8080/);
  });
});
