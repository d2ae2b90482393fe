/**
 * `npm run bench`, PostgreSQL rows: the same server (built code, bench/server-child.mjs) on a PostgreSQL store in
 * a throw-away cluster on this machine (test/helpers/postgres.ts; fsync off, loopback), next to the bare
 * node:http baseline measured in the same run. Every user lookup is a round trip to the database, so these rows
 * show what a shared database costs; the goals of bench/run.ts are not required here.
 * BENCH_SECONDS sets the length of each run (default 10); BENCH_PG_USERS the larger store (default 1,000,000).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startPostgres } from '../test/helpers/postgres.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const LARGE = Number(process.env['BENCH_PG_USERS'] ?? 1_000_000);
const CONNECTIONS = 64;
const CHILD = fileURLToPath(new URL('./server-child.mjs', import.meta.url));
const POX_BODY = await readFile(new URL('../test/fixtures/requests/outlook.xml', import.meta.url), 'utf8');

async function startChild(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

function poxRequests(users: number): autocannon.Request[] {
  return [
    {
      method: 'POST',
      path: '/autodiscover/autodiscover.xml',
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      setupRequest: (req) => {
        const address = users > 0 ? `user${Math.floor(Math.random() * users)}@example.test` : 'chris@example.test';
        return { ...req, body: POX_BODY.replace('chris@example.test', address) };
      },
    },
  ];
}

async function measure(name: string, args: string[], requests: autocannon.Request[]) {
  const { child, port } = await startChild(args);
  try {
    const run = () =>
      autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: SECONDS, requests });
    await run(); // warm-up, discarded
    const r = await run();
    const errors = r.errors + r.timeouts + r.non2xx;
    if (errors > 0) throw new Error(`${name}: ${errors} failed requests`);
    return { name, rps: r.requests.average, p99: r.latency.p99 };
  } finally {
    child.kill('SIGKILL');
  }
}

const cluster = await startPostgres();
try {
  process.stdout.write(
    `\nPostgreSQL store (throw-away cluster on this machine, loopback): ${CONNECTIONS} connections, ${SECONDS} s per run\n`,
  );
  const bare = await measure('bare node:http (baseline)', ['bare'], poxRequests(0));
  const rows = [
    bare,
    await measure(
      'PostgreSQL: POX (example, 4 users)',
      ['autodisco', '0', await cluster.createDatabase()],
      poxRequests(0),
    ),
    await measure(
      'PostgreSQL: autoconfig GET',
      ['autodisco', '0', await cluster.createDatabase()],
      [{ method: 'GET', path: '/mail/config-v1.1.xml?emailaddress=chris%40example.test' }],
    ),
    await measure(
      'PostgreSQL: POX, 10,000 users',
      ['autodisco', '10000', await cluster.createDatabase()],
      poxRequests(10_000),
    ),
    await measure(
      `PostgreSQL: POX, ${LARGE.toLocaleString('en')} users`,
      ['autodisco', String(LARGE), await cluster.createDatabase()],
      poxRequests(LARGE),
    ),
  ];
  process.stdout.write('\n| run | req/s | × baseline | p99 ms |\n| --- | ---: | ---: | ---: |\n');
  for (const r of rows) {
    process.stdout.write(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${(r.rps / bare.rps).toFixed(2)} | ${r.p99.toFixed(1)} |\n`,
    );
  }
} finally {
  await cluster.stop();
}
