/**
 * `serve --workers N` (node:cluster) and the life cycle of a running server, with real processes on loopback:
 * the workers share the listener and all answer; a worker killed with SIGKILL is replaced while the others go on
 * answering; SIGHUP puts a new certificate in every worker without a failed request; SIGTERM lets requests in
 * flight complete (with one process and with several) and exits 0; /metrics sums every worker's counters.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createAuthority, issueCertificate } from '../../src/pki/index.js';
import { EXAMPLE_CONFIG, fixture } from '../helpers/app.js';
import { cli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { fetchRaw } from '../helpers/http.js';

const POX = fixture('requests/outlook.xml');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Served {
  child: ChildProcess;
  out: string;
  /** Every JSON log line written so far. */
  logs: () => Record<string, unknown>[];
}

async function start(args: string[]): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'autodisco-workers-'));
  const child = spawnCli(['serve', '--config', EXAMPLE_CONFIG, '--db', join(dir, 'db.sqlite'), ...args]);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d;
  });
  const out = await waitForOutput(child, /Ctrl-C stops/, 90_000);
  const logs = () =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, out, logs };
}

async function stop(served: Served): Promise<number | null> {
  if (served.child.exitCode !== null) return served.child.exitCode;
  served.child.kill('SIGTERM');
  const [code] = await once(served.child, 'exit');
  return code as number | null;
}

/** The worker processes of a primary (Linux: /proc lists a process's children). */
async function workersOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return text.trim().split(/\s+/).filter(Boolean).map(Number).sort();
}

/** A POX request on a connection of its own (Connection: close), so each may land on another worker. */
async function pox(url: string, extra: { ca?: string } = {}) {
  const reply = fetchRaw(`${url}/autodiscover/autodiscover.xml`, {
    method: 'POST',
    host: 'autodiscover.example.test',
    body: POX,
    headers: { connection: 'close', 'content-type': 'text/xml' },
    ...extra,
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within 10 s from ${url}`)), 10_000);
  });
  return Promise.race([reply, late]).finally(() => clearTimeout(timer));
}

/** The worker pids named by the access lines of the last `n` requests (lines are written within 100 ms). */
async function servingWorkers(served: Served, n: number): Promise<Set<number>> {
  await sleep(400);
  const lines = served.logs().filter((l) => l['msg'] === 'request');
  return new Set(lines.slice(-n).map((l) => Number(l['worker'])));
}

describe('serve --workers', () => {
  test('N workers share the listener and all answer; /metrics sums their counters', async () => {
    const served = await start(['--http', '127.0.0.1:0', '--workers', '2', '--metrics', '127.0.0.1:0']);
    try {
      assert.match(served.out, /workers 2 processes/);
      const url = /http +(http:\/\/127\.0\.0\.1:\d+)/.exec(served.out)?.[1] ?? '';
      const metricsUrl = /metrics +(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(served.out)?.[1] ?? '';
      const workers = await workersOf(served.child.pid ?? 0);
      assert.equal(workers.length, 2, `two worker processes: ${workers}`);
      for (let i = 0; i < 10; i++) {
        const reply = await pox(url);
        assert.equal(reply.status, 200);
        assert.match(reply.body, /<AutoDiscoverSMTPAddress>chris@example\.test</);
      }
      assert.deepEqual([...(await servingWorkers(served, 10))].sort(), workers, 'every worker answered');
      const metrics = (await fetchRaw(metricsUrl)).body;
      assert.match(metrics, /autodisco_requests_total\{endpoint="pox",outcome="settings"\} 10\b/, metrics);
    } finally {
      assert.equal(await stop(served), 0);
    }
  });

  test('a worker killed with SIGKILL is replaced, and the service goes on meanwhile', async () => {
    const served = await start(['--http', '127.0.0.1:0', '--workers', '2']);
    try {
      const url = /http +(http:\/\/127\.0\.0\.1:\d+)/.exec(served.out)?.[1] ?? '';
      const [victim, survivor] = await workersOf(served.child.pid ?? 0);
      process.kill(victim ?? 0, 'SIGKILL');
      // Once the primary has seen the death (a connection it was handing to the dying worker at that instant is
      // lost with it), the survivor answers every request while the replacement starts.
      let exited: Record<string, unknown> | undefined;
      for (let i = 0; i < 300 && !exited; i++) {
        await sleep(50);
        exited = served.logs().find((l) => l['pid'] === victim && l['signal'] === 'SIGKILL');
      }
      assert.match(
        String(exited?.['msg']),
        new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting a replacement`),
      );
      for (let i = 0; i < 6; i++) assert.equal((await pox(url)).status, 200);
      let workers: number[] = [];
      for (let i = 0; i < 300 && !(workers.length === 2 && !workers.includes(victim ?? 0)); i++) {
        await sleep(100);
        workers = await workersOf(served.child.pid ?? 0);
      }
      assert.equal(workers.length, 2, `replaced: ${workers}`);
      assert.ok(workers.includes(survivor ?? 0) && !workers.includes(victim ?? 0), `${victim} → ${workers}`);
      // Wait for the replacement to listen, then both answer again.
      for (let i = 0; i < 300 && !served.logs().some((l) => l['msg'] === 'replacement worker listening'); i++) {
        await sleep(100);
      }
      for (let i = 0; i < 10; i++) assert.equal((await pox(url)).status, 200);
      assert.deepEqual([...(await servingWorkers(served, 10))].sort(), workers);
    } finally {
      assert.equal(await stop(served), 0);
    }
  });

  test('SIGHUP puts the new certificate in every worker, with no request failing meanwhile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autodisco-workers-tls-'));
    const ca = await createAuthority({ name: 'Workers Test Root' });
    const write = async (names: string[]) => {
      const leaf = await issueCertificate({ issuer: ca, dnsNames: names });
      await writeFile(join(dir, 'cert.pem'), leaf.fullChainPem);
      await writeFile(join(dir, 'key.pem'), leaf.keyPem);
      return leaf.x509.fingerprint256;
    };
    const first = await write(['autodiscover.example.test']);
    const tls = ['--https', '127.0.0.1:0', '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem')];
    const served = await start(['--no-http', ...tls, '--workers', '2']);
    try {
      const url = /https +(https:\/\/127\.0\.0\.1:\d+)/.exec(served.out)?.[1] ?? '';
      const workers = await workersOf(served.child.pid ?? 0);
      assert.equal((await pox(url, { ca: ca.certPem })).peerFingerprint, first);
      // Requests keep coming, one connection each, while the certificate is replaced.
      let failures = 0;
      const problems: string[] = [];
      let sent = 0;
      let loading = true;
      const traffic = (async () => {
        while (loading) {
          sent++;
          const reply = await pox(url, { ca: ca.certPem }).catch((err: Error) => err);
          if (reply instanceof Error || reply.status !== 200) {
            failures++;
            problems.push(reply instanceof Error ? reply.message : `HTTP ${reply.status}`);
          }
        }
      })();
      const second = await write(['autodiscover.example.test', 'mail.example.test']);
      served.child.kill('SIGHUP');
      // Every worker logs its reload.
      for (let i = 0; i < 300; i++) {
        if (served.logs().filter((l) => l['msg'] === 'TLS certificate reloaded').length >= 2) break;
        await sleep(100);
      }
      const reloaded = served.logs().filter((l) => l['msg'] === 'TLS certificate reloaded');
      assert.deepEqual(reloaded.map((l) => Number(l['worker'])).sort(), workers, 'each worker reloaded');
      // New connections get the new certificate, whichever worker takes them.
      const fingerprints = new Set<string | undefined>();
      for (let i = 0; i < 10; i++) fingerprints.add((await pox(url, { ca: ca.certPem })).peerFingerprint);
      assert.deepEqual([...fingerprints], [second], 'only the new certificate');
      assert.deepEqual([...(await servingWorkers(served, 10))].sort(), workers, 'both workers served the new one');
      loading = false;
      await traffic;
      assert.ok(sent > 0);
      assert.equal(failures, 0, `${failures} of ${sent} requests failed during the reload: ${problems.join('; ')}`);
    } finally {
      assert.equal(await stop(served), 0);
    }
  });

  for (const workers of ['1', '2']) {
    test(`SIGTERM with --workers ${workers}: requests in flight complete, then the process exits 0`, async () => {
      const served = await start(['--http', '127.0.0.1:0', '--workers', workers]);
      const url = new URL(/http +(http:\/\/127\.0\.0\.1:\d+)/.exec(served.out)?.[1] ?? '');
      // A request whose body is only half sent when SIGTERM arrives.
      const socket = connect(Number(url.port), url.hostname);
      await once(socket, 'connect');
      const closed = once(socket, 'close');
      let answer = '';
      socket.on('data', (d: Buffer) => {
        answer += d;
      });
      const half = Math.floor(POX.length / 2);
      socket.write(
        `POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: autodiscover.example.test\r\nContent-Type: text/xml\r\nContent-Length: ${Buffer.byteLength(POX)}\r\n\r\n${POX.slice(0, half)}`,
      );
      await sleep(500); // the worker has read the headers
      const exit = once(served.child, 'exit');
      served.child.kill('SIGTERM');
      await sleep(500);
      assert.equal(served.child.exitCode, null, 'still draining: a request is in flight');
      socket.write(POX.slice(half));
      const [code] = await exit;
      await closed;
      assert.match(answer, /^HTTP\/1\.1 200 OK/);
      assert.match(answer, /<AutoDiscoverSMTPAddress>chris@example\.test</);
      assert.equal(code, 0);
    });
  }

  test('--workers takes a whole number from 1 to 256', async () => {
    for (const bad of ['0', 'two', '257', '1.5']) {
      const result = await cli(['serve', '--db', '/nonexistent/db.sqlite', '--workers', bad]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`--workers "${bad.replace('.', '\\.')}": expected a whole number from 1 to 256`),
      );
    }
  });
});
