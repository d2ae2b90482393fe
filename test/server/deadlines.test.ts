/**
 * The README's promise, as a slow client sees it on loopback with the default timeouts: headers within 10 s, the
 * whole request within 15 s, the TLS handshake within 10 s, 5 s of keep-alive silence, each enforced within the checking interval (250 ms)
 * plus a small margin for a loaded machine. The three clients run side by side (about 15 s in all).
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAuthority, issueCertificate } from '../../src/pki/index.js';
import { checkingIntervalMs, DEFAULT_TIMEOUTS, type RunningServer, startServer } from '../../src/server/listen.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { exampleStore, logSink } from '../helpers/app.js';

const MARGIN_MS = 750;

/** Connects, then calls `drip` every `everyMs` until the server closes; resolves with when it closed and what it sent. */
function slowClient(port: number, first: string, drip: string, everyMs: number) {
  return new Promise<{ ms: number; received: string }>((resolve, reject) => {
    const started = performance.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      if (first) socket.write(first);
      if (drip) timer = setInterval(() => socket.writable && socket.write(drip), everyMs);
    });
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    socket.on('error', () => {}); // a reset after the server's 408 is the same verdict as a close
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ ms: performance.now() - started, received });
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error('still open after 30 s'));
    }, 30_000).unref();
  });
}

describe('slow clients meet the promised deadlines (README "What the server refuses")', () => {
  let server: RunningServer;
  before(async () => {
    const ca = await createAuthority({ name: 'Deadline Test Root' });
    const leaf = await issueCertificate({ issuer: ca, dnsNames: ['autodiscover.example.test'] });
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-deadlines-'));
    await writeFile(join(dir, 'cert.pem'), leaf.fullChainPem);
    await writeFile(join(dir, 'key.pem'), leaf.keyPem);
    server = await startServer(
      { store: await exampleStore(), logger: logSink().logger, metrics: new ServerMetrics() },
      {
        http: { host: '127.0.0.1', port: 0, mode: 'full' },
        https: { host: '127.0.0.1', port: 0, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
      },
    );
  });
  after(() => server.close());

  test('the promise is 10 s / 15 s / 10 s / 5 s, checked every 250 ms', () => {
    assert.equal(DEFAULT_TIMEOUTS.headersMs, 10_000);
    assert.equal(DEFAULT_TIMEOUTS.requestMs, 15_000);
    assert.equal(DEFAULT_TIMEOUTS.handshakeMs, 10_000);
    assert.equal(DEFAULT_TIMEOUTS.keepAliveMs, 5_000);
    assert.equal(checkingIntervalMs(DEFAULT_TIMEOUTS), 250);
  });

  test('dripped headers, a dripped body, a stalled TLS handshake and an idle connection are each cut at their deadline', async () => {
    const http = Number(new URL(server.urls.http ?? '').port);
    const https = Number(new URL(server.urls.https ?? '').port);
    const post = 'POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: autodiscover.example.test\r\n';
    const [headers, body, handshake, idle] = await Promise.all([
      // A header line every 400 ms: never idle, never done.
      slowClient(http, post, 'X-Drip: 1\r\n', 400),
      // Complete headers, then one byte of a 1,000-byte body every 400 ms.
      slowClient(http, `${post}Content-Type: text/xml\r\nContent-Length: 1000\r\n\r\n`, '<', 400),
      // A TCP connection to the HTTPS port that never sends its ClientHello.
      slowClient(https, '', '', 0),
      // One complete request, then silence on the kept-alive connection.
      slowClient(http, 'GET /healthz HTTP/1.1\r\nHost: autodiscover.example.test\r\n\r\n', '', 0),
    ]);
    const within = (what: string, ms: number, deadline: number) =>
      assert.ok(
        ms >= deadline - 50 && ms <= deadline + checkingIntervalMs(DEFAULT_TIMEOUTS) + MARGIN_MS,
        `${what}: cut after ${Math.round(ms)} ms, promised ${deadline}`,
      );
    within('headers', headers.ms, DEFAULT_TIMEOUTS.headersMs);
    assert.match(headers.received, /^HTTP\/1\.1 408/);
    within('body', body.ms, DEFAULT_TIMEOUTS.requestMs);
    assert.match(body.received, /^HTTP\/1\.1 408/);
    within('TLS handshake', handshake.ms, DEFAULT_TIMEOUTS.handshakeMs);
    within('idle keep-alive', idle.ms, DEFAULT_TIMEOUTS.keepAliveMs);
    assert.match(idle.received, /^HTTP\/1\.1 200/);
  });
});
