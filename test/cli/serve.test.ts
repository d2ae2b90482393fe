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
      const out = await waitForOutput(
        child,
        /Ctrl-C stops; SIGHUP \(kill -HUP <pid>\) reloads the TLS certificate and key\./,
      );
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
    const range = await cli(['serve', '--http', '127.0.0.1:99999']);
    assert.equal(range.code, 2);
    assert.match(range.stderr, /--http "127\.0\.0\.1:99999": port 99999 is out of range: expected 0 to 65535/);
  });

  test('--http and --no-http conflict; --no-http alone needs --https; --cert needs --https', async () => {
    const both = await cli(['serve', '--http', '127.0.0.1:8080', '--no-http']);
    assert.equal(both.code, 2);
    assert.match(
      both.stderr,
      /--http and --no-http conflict: give --http <host:port> for a plain HTTP listener, or --no-http for none/,
    );
    const none = await cli(['serve', '--no-http']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no listener: --no-http needs --https <host:port>/);
    const cert = await cli(['serve', '--cert', 'c.pem']);
    assert.equal(cert.code, 2);
    assert.match(cert.stderr, /--cert is used by the HTTPS listener only: add --https <host:port>/);
    const empty = await cli(['serve', '--allow-empty']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--allow-empty goes with --config <file>/);
  });

  test('missing certificate, key and config files are named with their option, one line each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-serve-'));
    const db = join(dir, 'db.sqlite');
    const https = ['--https', '127.0.0.1:0', '--no-http'];
    const cases: [string[], RegExp][] = [
      [
        ['--config', EXAMPLE_CONFIG, ...https, '--cert', join(dir, 'no.pem'), '--key', join(dir, 'no.key')],
        /^autodisco: --cert \S+no\.pem: cannot read the file: it does not exist \(ENOENT\) \[ADK_ERR_TLS_FILES\]\n$/,
      ],
      [
        ['--config', join(dir, 'missing.yaml')],
        /^autodisco: \S+missing\.yaml: cannot read the file: it does not exist \(ENOENT\) \[ADK_ERR_CONFIG_UNREADABLE\]\n$/,
      ],
      [
        ['--config', EXAMPLE_CONFIG, '--sign-cert', dir, '--sign-key', dir],
        /^autodisco: --sign-cert \S+: cannot read the file: it is a folder \(EISDIR\) \[ADK_ERR_SIGNING\]\n$/,
      ],
    ];
    for (const [args, expected] of cases) {
      const res = await cli(['serve', '--db', db, ...args]);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.stderr, expected);
    }
  });

  test('the curl lines name an address of a served domain; an empty store says how to fill it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-serve-'));
    const config = join(dir, 'other.yaml');
    await writeFile(
      config,
      [
        'domains:',
        '  - name: moved.test',
        '    redirect: { domain: other.test }',
        '  - name: other.test',
        '    imap: { host: imap.other.test }',
        'users:',
        '  - { email: away@other.test, redirectAddr: away@elsewhere.test }',
        '  - { email: kim@other.test, displayName: Kim }',
        '',
      ].join('\n'),
    );
    const db = join(dir, 'db.sqlite');
    const child = spawnCli(['serve', '--config', config, '--db', db, '--http', '127.0.0.1:0']);
    try {
      const out = await waitForOutput(child, /Ctrl-C stops/);
      assert.match(out, /^autodisco serving 2 domain\(s\), 2 user\(s\) from the new database /);
      assert.doesNotMatch(out, /example\.test|SIGHUP/);
      const url = /http +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const autoconfig = /curl -s '([^']+)'/.exec(out)?.[1];
      assert.equal(autoconfig, `${url}/mail/config-v1.1.xml?emailaddress=kim@other.test`);
      const res = await fetchRaw(autoconfig ?? '');
      assert.equal(res.status, 200);
      assert.match(res.body, /imap\.other\.test/);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'close');
    }

    await writeFile(config, 'domains: []\n');
    const emptied = await cli(['import', config, '--db', db, '--allow-empty']);
    assert.equal(emptied.code, 0, emptied.stderr);
    const empty = spawnCli(['serve', '--db', db, '--http', '127.0.0.1:0']);
    try {
      const out = await waitForOutput(empty, /Ctrl-C stops/);
      assert.match(out, /autodisco serving 0 domain\(s\), 0 user\(s\) from /);
      assert.match(
        out,
        new RegExp(
          `No domain is served yet .*\\n  npx autodisco import settings\\.yaml --db ${db.replaceAll('.', '\\.')}\\n`,
        ),
      );
      assert.doesNotMatch(out, /curl/);
    } finally {
      empty.kill('SIGTERM');
      await once(empty, 'close');
    }
  });

  test('plain HTTP on 443 is warned about; /metrics only on its own listener when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-serve-'));
    const child = spawnCli([
      'serve',
      '--config',
      EXAMPLE_CONFIG,
      '--db',
      join(dir, 'db.sqlite'),
      '--http',
      '127.0.0.1:443',
      '--metrics',
      '127.0.0.1:0',
    ]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
    });
    try {
      const out = await waitForOutput(child, /Ctrl-C stops/);
      assert.match(
        stderr,
        /autodisco: warning: --http 127\.0\.0\.1:443: port 443 is the HTTPS port; clients will speak TLS to this plain-HTTP listener and fail/,
      );
      assert.match(out, /Ctrl-C stops\.\n$/);
      assert.doesNotMatch(out, /SIGHUP/, 'no certificate to reload without --https');
      const metrics = /metrics +(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(out)?.[1];
      assert.ok(metrics, out);
      await fetchRaw('http://127.0.0.1:443/healthz');
      const text = await fetchRaw(metrics);
      assert.equal(text.status, 200);
      assert.match(text.body, /autodisco_process_cpu_seconds_total/);
      assert.equal((await fetchRaw('http://127.0.0.1:443/metrics')).status, 404, 'not on the Autodiscover listener');
      assert.equal((await fetchRaw(metrics.replace('/metrics', '/autodiscover/autodiscover.xml'))).status, 404);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'close');
    }
  });
});
