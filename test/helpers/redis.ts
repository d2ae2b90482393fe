/**
 * A throw-away Redis for tests: `redis-server` on 127.0.0.1 at a free port, no persistence (--save '' and
 * --appendonly no), its working folder a temporary one that `stop()` deletes. Redis refuses nothing as root, so
 * no user switch is needed. A missing binary is an error, never a skip, in CI and on developers' machines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops the server and deletes its folder. */
  stop(): Promise<void>;
}

/** $AUTODISCO_REDIS_SERVER, else /usr/bin/redis-server (Debian's redis-server package). */
export function findRedisServer(env = process.env): string {
  const candidates = [env['AUTODISCO_REDIS_SERVER'], '/usr/bin/redis-server', '/usr/local/bin/redis-server'];
  for (const path of candidates) if (path && existsSync(path)) return path;
  throw new Error(
    'redis-server not found (looked at $AUTODISCO_REDIS_SERVER, /usr/bin/redis-server, /usr/local/bin/redis-server): install the Debian package redis-server (apt-get install redis-server)',
  );
}

/** Resolves once a TCP connection to the port succeeds; rejects after `ms` or when the server exits. */
async function waitForPort(port: number, child: ChildProcess, log: () => string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${log().trim()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on 127.0.0.1:${port} within ${ms} ms: ${log().trim()}`);
}

export async function startRedis(): Promise<RedisServer> {
  const binary = findRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'autodisco-redis-'));
  const port = await freePort();
  const child = spawn(
    binary,
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  // A test that crashes must not leave a server behind.
  const onExit = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  try {
    await waitForPort(port, child, () => output);
  } catch (error) {
    onExit();
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      process.off('exit', onExit);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
