/**
 * `npm run bench`: requests per second and p99 latency at 64 connections, each figure printed as a ratio to a
 * bare node:http server measured in the same run (the ratio is the figure; absolute numbers vary by machine).
 * Also SOAP GetUserSettings (what ExchangeService.AutodiscoverUrl asks), POX with 10,000 and 1,000,000 stored users, the server's resident memory, and the server process's CPU
 * time per request (what the server itself costs, whatever the load generator could deliver).
 * The servers run the BUILT code (dist/; `npm run bench` builds first) in plain node, the baseline too: no
 * TypeScript loader in a measured process. BENCH_SECONDS sets the length of each run (default 10).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { renderSoapRequest } from '../src/formats/soap/request.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = 64;
const CHILD = fileURLToPath(new URL('./server-child.mjs', import.meta.url));
const POX_BODY = await readFile(new URL('../test/fixtures/requests/outlook.xml', import.meta.url), 'utf8');
/** What the baseline sends: it must be byte for byte what autodisco answers for chris@example.test. */
const BARE_RESPONSE = await readFile(new URL('./fixtures/bare-response.xml', import.meta.url), 'utf8');

interface Figures {
  name: string;
  rps: number;
  p99: number;
  rssMB?: number;
  /** Server process CPU (user + system) per answered request, µs. */
  cpuUs?: number;
}

async function startChild(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

async function rssMB(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Seconds of CPU (user + system) the process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Fails the run when the baseline's body is not what autodisco really answers: the ratio would mean nothing. */
async function checkBareResponse(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/autodiscover/autodiscover.xml`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: POX_BODY,
  });
  const body = await res.text();
  if (body !== BARE_RESPONSE) {
    throw new Error(
      `bench/fixtures/bare-response.xml (${Buffer.byteLength(BARE_RESPONSE)} bytes) is not what the server answers for chris@example.test (${Buffer.byteLength(body)} bytes): update the fixture`,
    );
  }
}

/** What ExchangeService.AutodiscoverUrl sends: the EWS URLs (and here the display name) of one user. */
const SOAP_BODY = renderSoapRequest({
  operation: 'GetUserSettings',
  requestedServerVersion: 'Exchange2013_SP1',
  to: 'https://autodiscover.example.test/autodiscover/autodiscover.svc',
  identities: ['chris@example.test'],
  settings: ['InternalEwsUrl', 'ExternalEwsUrl', 'UserDisplayName'],
});
const SOAP_REQUESTS: autocannon.Request[] = [
  {
    method: 'POST',
    path: '/autodiscover/autodiscover.svc',
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: SOAP_BODY,
  },
];

/** Fails the run when the SOAP endpoint does not answer the benchmark's request with settings. */
async function checkSoapResponse(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/autodiscover/autodiscover.svc`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: SOAP_BODY,
  });
  const body = await res.text();
  if (res.status !== 200 || !body.includes('<Value>https://mail.example.test/EWS/Exchange.asmx</Value>')) {
    throw new Error(`GetUserSettings for chris@example.test did not answer the EWS URL (HTTP ${res.status})`);
  }
}

/** A POX body for a random one of `users` stored users (or the example user when there are none). */
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

async function load(
  port: number,
  requests: autocannon.Request[],
): Promise<{ rps: number; p99: number; errors: number; total: number }> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests,
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { rps: result.requests.average, p99: result.latency.p99, errors, total: result.requests.total };
}

async function measure(
  name: string,
  args: string[],
  requests: autocannon.Request[],
  check?: (port: number) => Promise<void>,
): Promise<Figures> {
  const { child, port } = await startChild(args);
  try {
    await check?.(port);
    await load(port, requests).catch(() => undefined); // warm-up, discarded
    const cpuBefore = await cpuSeconds(child.pid!);
    const r = await load(port, requests);
    const cpu = (await cpuSeconds(child.pid!)) - cpuBefore;
    if (r.errors > 0) throw new Error(`${name}: ${r.errors} failed requests`);
    const mem = await rssMB(child.pid!);
    return { name, rps: r.rps, p99: r.p99, rssMB: mem.peak, cpuUs: (cpu / r.total) * 1e6 };
  } finally {
    child.kill('SIGKILL');
  }
}

const dir = await mkdtemp(join(tmpdir(), 'autodisco-bench-'));
try {
  process.stdout.write(`autodisco benchmark: ${CONNECTIONS} connections, ${SECONDS} s per run (after a warm-up run)\n`);
  const bare = await measure('bare node:http (baseline)', ['bare'], poxRequests(0));
  const rows: Figures[] = [
    bare,
    await measure(
      'POX (example, 4 users)',
      ['autodisco', '0', join(dir, 'a.sqlite')],
      poxRequests(0),
      checkBareResponse,
    ),
    await measure(
      'autoconfig GET',
      ['autodisco', '0', join(dir, 'b.sqlite')],
      [{ method: 'GET', path: '/mail/config-v1.1.xml?emailaddress=chris%40example.test' }],
    ),
    await measure('POX, 10,000 users', ['autodisco', '10000', join(dir, 'c.sqlite')], poxRequests(10_000)),
    await measure('POX, 1,000,000 users', ['autodisco', '1000000', join(dir, 'd.sqlite')], poxRequests(1_000_000)),
    await measure(
      'SOAP GetUserSettings (example, 4 users)',
      ['autodisco', '0', join(dir, 'e.sqlite')],
      SOAP_REQUESTS,
      checkSoapResponse,
    ),
  ];
  process.stdout.write(
    '\n| run | req/s | × baseline | p99 ms | p99 × baseline | peak RSS MB | server CPU µs/req |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${(r.rps / bare.rps).toFixed(2)} | ${r.p99.toFixed(1)} | ${(r.p99 / Math.max(bare.p99, 0.1)).toFixed(2)} | ${r.rssMB?.toFixed(0) ?? '-'} | ${r.cpuUs?.toFixed(0) ?? '-'} |\n`,
    );
  }
  const tenK = rows[3]!;
  const oneM = rows[4]!;
  const drop = 1 - oneM.rps / tenK.rps;
  process.stdout.write(
    `\nTargets: POX ≥ 0.60× bare → ${(rows[1]!.rps / bare.rps).toFixed(2)}×; SOAP GetUserSettings ≥ 0.60× bare → ${(rows[5]!.rps / bare.rps).toFixed(2)}×; drop 10k → 1M users ≤ 10% → ${(drop * 100).toFixed(1)}%; RSS < 200 MB → ${Math.max(...rows.slice(1).map((r) => r.rssMB ?? 0)).toFixed(0)} MB\n`,
  );
  // req/s also moves with whatever else the machine runs; the server's own CPU per request does much less.
  const cpuGrowth = (oneM.cpuUs ?? 0) / (tenK.cpuUs ?? 1) - 1;
  process.stdout.write(
    `Server CPU per request, 10k → 1M users: ${tenK.cpuUs?.toFixed(0)} → ${oneM.cpuUs?.toFixed(0)} µs (${cpuGrowth >= 0 ? '+' : ''}${(cpuGrowth * 100).toFixed(1)}%)\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
