import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAuthority, issueCertificate } from '../../src/pki/index.js';
import { type RunningServer, startServer } from '../../src/server/listen.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { exampleStore, fixture, logSink } from '../helpers/app.js';
import { fetchRaw } from '../helpers/http.js';

async function tlsFiles(names: string[]) {
  const ca = await createAuthority({ name: 'Listen Test Root' });
  const dir = await mkdtemp(join(tmpdir(), 'autodisco-listen-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const write = async (dnsNames: string[]) => {
    const leaf = await issueCertificate({ issuer: ca, dnsNames });
    await writeFile(certFile, leaf.fullChainPem);
    await writeFile(keyFile, leaf.keyPem);
    return leaf.x509.fingerprint256;
  };
  const fingerprint = await write(names);
  return { ca: ca.certPem, certFile, keyFile, fingerprint, write, dir };
}

describe('startServer: HTTPS and the HTTP redirect method', () => {
  let server: RunningServer;
  let tls: Awaited<ReturnType<typeof tlsFiles>>;
  const sink = logSink();
  const metrics = new ServerMetrics();

  before(async () => {
    tls = await tlsFiles(['autodiscover.example.test', 'autoconfig.example.test']);
    server = await startServer(
      { store: await exampleStore(), logger: sink.logger, metrics },
      {
        http: { host: '127.0.0.1', port: 0, mode: 'redirect' },
        https: { host: '127.0.0.1', port: 0, certFile: tls.certFile, keyFile: tls.keyFile },
        metrics: { host: '127.0.0.1', port: 0 },
        timeouts: { headersMs: 300, requestMs: 600 },
      },
    );
  });
  after(() => server.close());

  test('the HTTPS listener is logged as https', () => {
    const lines = sink.lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(lines.includes(`https listening at ${server.urls.https}`), lines.join('\n'));
    assert.ok(lines.includes(`http listening at ${server.urls.http}`), lines.join('\n'));
    assert.ok(
      lines.includes(`metrics listening at ${server.urls.metrics?.replace(/\/metrics$/, '')}`),
      lines.join('\n'),
    );
  });

  test('POX over HTTPS with a certificate the client verifies', async () => {
    const res = await fetchRaw(`${server.urls.https}/autodiscover/autodiscover.xml`, {
      method: 'POST',
      host: 'autodiscover.example.test',
      body: fixture('requests/outlook.xml'),
      headers: { 'content-type': 'text/xml' },
      ca: tls.ca,
    });
    assert.equal(res.status, 200);
    assert.match(res.body, /<Action>settings<\/Action>/);
    assert.equal(res.peerFingerprint, tls.fingerprint);
  });

  test('GET http://autodiscover.<domain>/autodiscover/autodiscover.xml is a 302 to the HTTPS URL', async () => {
    const res = await fetchRaw(`${server.urls.http}/Autodiscover/Autodiscover.xml`, {
      host: 'autodiscover.example.test',
    });
    assert.equal(res.status, 302);
    const httpsPort = new URL(server.urls.https ?? '').port;
    assert.equal(
      res.headers['location'],
      `https://autodiscover.example.test:${httpsPort}/autodiscover/autodiscover.xml`,
    );
  });

  test('the redirect is only for served names, and plain HTTP takes no POST', async () => {
    const foreign = await fetchRaw(`${server.urls.http}/autodiscover/autodiscover.xml`, {
      host: 'autodiscover.evil.test',
    });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.headers['location'], undefined);
    const posted = await fetchRaw(`${server.urls.http}/autodiscover/autodiscover.xml`, {
      method: 'POST',
      host: 'autodiscover.example.test',
      body: fixture('requests/outlook.xml'),
    });
    assert.equal(posted.status, 404);
    const autoconfig = await fetchRaw(`${server.urls.http}/mail/config-v1.1.xml`, { host: 'autoconfig.example.test' });
    assert.equal(autoconfig.status, 404, 'redirect-only HTTP serves nothing else');
  });

  test('/healthz; /metrics on its own listener only', async () => {
    const health = await fetchRaw(`${server.urls.http}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
    assert.equal((await fetchRaw(`${server.urls.http}/metrics`)).status, 404);
    assert.equal(
      (await fetchRaw(`${server.urls.https}/metrics`, { host: 'autodiscover.example.test', ca: tls.ca })).status,
      404,
    );
    assert.match(server.urls.metrics ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metricsText = (await fetchRaw(server.urls.metrics ?? '')).body;
    assert.match(metricsText, /autodisco_requests_total\{endpoint="pox",outcome="settings"\} 1/);
    assert.match(metricsText, /autodisco_requests_total\{endpoint="http-redirect",outcome="redirect"\} 1/);
    assert.match(metricsText, /autodisco_request_duration_seconds_bucket\{le="0\.001",endpoint="pox"\}/);
  });

  test('logs are structured and mask addresses', async () => {
    await fetchRaw(`${server.urls.https}/mail/config-v1.1.xml?emailaddress=chris@example.test`, {
      host: 'autoconfig.example.test',
      ca: tls.ca,
      headers: { authorization: 'Basic c2VjcmV0OnBhc3N3b3Jk' },
    });
    const line = sink.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['endpoint'] === 'autoconfig');
    assert.ok(line, 'an access log line for the autoconfig request');
    assert.equal(line['address'], 'c***@example.test');
    assert.equal(line['url'], '/mail/config-v1.1.xml?emailaddress=c***@example.test');
    const all = sink.lines.join('\n');
    assert.doesNotMatch(all, /chris@example\.test/);
    assert.doesNotMatch(all, /c2VjcmV0OnBhc3N3b3Jk/);
  });

  test('a slow client that never finishes its headers is disconnected', async () => {
    const { port } = new URL(server.urls.http ?? '');
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /healthz HTTP/1.1\r\nHost: autodiscover.example.test\r\n');
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString();
    });
    const closed = once(socket, 'close');
    const guard = setTimeout(() => socket.destroy(new Error('still open after 5 s')), 5000);
    await closed;
    clearTimeout(guard);
    assert.match(received, /^HTTP\/1\.1 408/);
  });

  test('the certificate is reloaded without dropping an open connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = `${server.urls.https}/healthz`;
    const first = await fetchRaw(url, { host: 'autodiscover.example.test', ca: tls.ca, agent });
    assert.equal(first.peerFingerprint, tls.fingerprint);
    const renewed = await tls.write(['autodiscover.example.test', 'autoconfig.example.test', 'mail.example.test']);
    await server.reloadCertificate();
    const sameConnection = await fetchRaw(url, { host: 'autodiscover.example.test', ca: tls.ca, agent });
    assert.equal(sameConnection.status, 200);
    assert.equal(sameConnection.peerFingerprint, tls.fingerprint, 'the open connection keeps its session');
    agent.destroy();
    const fresh = await fetchRaw(url, { host: 'autodiscover.example.test', ca: tls.ca });
    assert.equal(fresh.peerFingerprint, renewed);
    tls.fingerprint = renewed;
  });

  test('a broken certificate file on reload keeps the old certificate', async () => {
    await writeFile(tls.certFile, 'not a certificate');
    await assert.rejects(server.reloadCertificate(), { code: 'ADK_ERR_TLS_FILES' });
    const res = await fetchRaw(`${server.urls.https}/healthz`, { host: 'autodiscover.example.test', ca: tls.ca });
    assert.equal(res.peerFingerprint, tls.fingerprint);
  });
});

describe('startServer: errors', () => {
  test('an address in use is named', async () => {
    const deps = { store: await exampleStore(), logger: logSink().logger, metrics: new ServerMetrics() };
    const first = await startServer(deps, { http: { host: '127.0.0.1', port: 0, mode: 'full' } });
    const port = Number(new URL(first.urls.http ?? '').port);
    await assert.rejects(
      startServer(deps, { http: { host: '127.0.0.1', port, mode: 'full' } }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ADK_ERR_LISTEN');
        assert.equal(err.message, `http://127.0.0.1:${port} is already in use`);
        return true;
      },
    );
    await first.close();
  });

  test('a key that does not belong to the certificate is refused at start', async () => {
    const a = await tlsFiles(['a.example.test']);
    const b = await tlsFiles(['b.example.test']);
    const deps = { store: await exampleStore(), logger: logSink().logger, metrics: new ServerMetrics() };
    await assert.rejects(
      startServer(deps, { https: { host: '127.0.0.1', port: 0, certFile: a.certFile, keyFile: b.keyFile } }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ADK_ERR_TLS_FILES');
        assert.equal(
          err.message,
          `--key ${b.keyFile} is not the private key of the certificate in ${a.certFile}: give the key the certificate was issued for`,
        );
        return true;
      },
    );
  });

  test('a key of another type (EC beside an RSA certificate) is refused at start too, not at every handshake', async () => {
    const a = await tlsFiles(['a.example.test']);
    const own = createPrivateKey(await readFile(a.keyFile, 'utf8')).asymmetricKeyType;
    const { privateKey } =
      own === 'ec'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = join(a.dir, 'other-type.key');
    await writeFile(other, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const deps = { store: await exampleStore(), logger: logSink().logger, metrics: new ServerMetrics() };
    const outcome = await startServer(deps, {
      https: { host: '127.0.0.1', port: 0, certFile: a.certFile, keyFile: other },
    }).catch((err: Error & { code?: string }) => err);
    if (!(outcome instanceof Error)) {
      await outcome.close();
      assert.fail('the server started with a key of another type');
    }
    assert.equal((outcome as Error & { code?: string }).code, 'ADK_ERR_TLS_FILES');
    assert.match(outcome.message, /is not the private key of the certificate/);
  });

  test('--cert and --key swapped: the message says so, not OpenSSL’s "no start line"', async () => {
    const a = await tlsFiles(['a.example.test']);
    const deps = { store: await exampleStore(), logger: logSink().logger, metrics: new ServerMetrics() };
    await assert.rejects(
      startServer(deps, { https: { host: '127.0.0.1', port: 0, certFile: a.keyFile, keyFile: a.certFile } }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ADK_ERR_TLS_FILES');
        assert.equal(
          err.message,
          `--cert ${a.keyFile}: no PEM certificate in it (it holds a private key: are --cert and --key swapped?)`,
        );
        return true;
      },
    );
  });
});
