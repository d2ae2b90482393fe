/**
 * The CPU one DNS query costs the DNS port (src/adapters/node/dns.ts), a fresh c-ares channel per query against
 * channels kept across queries (src/adapters/node/dns-channels.ts, what `autodisco audit` uses), with 32 lookups
 * in flight as an audit has (bench/profile-issue-10.md, "Third round"). The loopback DNS server runs in a child
 * process, so this process's CPU (user + system, process.cpuUsage) is the resolver's alone. Rounds alternate
 * between the two ways, so a machine whose load changes treats both alike. Listens on loopback: run it isolated.
 *
 *   isolated node --import tsx bench/dns-channels.ts [QUERIES_PER_ROUND] [ROUNDS] [IN_FLIGHT]
 */
import { fork } from 'node:child_process';
import { createNodeResolver } from '../src/adapters/node/dns.js';
import { createDnsServer } from '../src/dns/server.js';

const NAMES = 4000;

if (process.argv[2] === 'serve') {
  const records = Array.from({ length: NAMES }, (_, i) => ({
    name: `d${i}`,
    type: 'A' as const,
    value: `127.0.${(i >> 8) & 255}.${i & 255}`,
  }));
  const server = createDnsServer({ zones: [{ origin: 'bench.test', records }], maxLogEntries: 1 });
  const { server: at } = await server.start();
  process.send?.(at);
  process.on('disconnect', () => void server.close());
} else {
  const perRound = Number(process.argv[2] ?? 6000);
  const rounds = Number(process.argv[3] ?? 4);
  const inFlight = Number(process.argv[4] ?? 32);
  const child = fork(new URL(import.meta.url).pathname, ['serve'], { execArgv: ['--import', 'tsx'] });
  const at = await new Promise<string>((resolve) => child.once('message', (m) => resolve(String(m))));

  /** `count` queries, `inFlight` at a time, as an audit asks them: an address, then a missing SRV record. */
  async function round(
    reuseChannels: boolean,
    count: number,
  ): Promise<{ userUs: number; systemUs: number; wallMs: number }> {
    const resolver = createNodeResolver({ servers: [at], timeoutMs: 5000, ttl: true, reuseChannels });
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const name = `d${i % NAMES}.bench.test`;
        const result = i % 2 === 0 ? await resolver.resolve4(name) : await resolver.resolveSrv(`_x._tcp.${name}`);
        const expected = i % 2 === 0 ? 'ok' : 'nxdomain';
        if (result.status !== expected) failures.push(`${name}: ${JSON.stringify(result)}`);
      }
    };
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(Array.from({ length: inFlight }, worker));
    const used = process.cpuUsage(cpu);
    if (failures.length > 0) throw new Error(`wrong answers: ${failures.slice(0, 3).join('; ')}`);
    return { userUs: used.user, systemUs: used.system, wallMs: performance.now() - started };
  }

  await round(false, 1000);
  await round(true, 1000);
  const totals = { fresh: [] as number[], shared: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    for (const reuse of r % 2 === 0 ? [false, true] : [true, false]) {
      const { userUs, systemUs, wallMs } = await round(reuse, perRound);
      const cpuUs = userUs + systemUs;
      const label = reuse ? 'shared' : 'fresh';
      totals[label].push(cpuUs / perRound);
      console.log(
        `${label.padEnd(6)} ${perRound} queries, ${inFlight} in flight: ${(cpuUs / perRound).toFixed(1)} µs CPU per query ` +
          `(user ${(userUs / perRound).toFixed(1)}, system ${(systemUs / perRound).toFixed(1)}), ` +
          `${Math.round(perRound / (wallMs / 1000))} queries/s`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  console.log(
    `median: fresh ${median(totals.fresh).toFixed(1)} µs, shared ${median(totals.shared).toFixed(1)} µs per query`,
  );
  child.disconnect();
}
