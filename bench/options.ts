/**
 * The pure parts of the serve benchmarks (bench/run.ts, bench/postgres.ts): their options and their table. No
 * process is started here, so test/bench/options.test.ts can check them without a build or a server.
 */

export interface BenchOptions {
  quick: boolean;
  /** Where `--profile DIR` puts the server's CPU profiles (absolute), or undefined. */
  profileDir: string | undefined;
  /** Length of each measured run, in seconds. */
  seconds: number;
  /** Length of the warm-up run before each measured one (discarded). */
  warmup: number;
  /** Store sizes, in users. */
  sizes: number[];
  /** Only these requests (BENCH_ONLY), or undefined for all. */
  only: string[] | undefined;
}

export interface BenchDefaults {
  /** Store sizes without BENCH_USERS (or the script's own variable), full and --quick. */
  sizes: number[];
  quickSizes: number[];
  /** The environment variable that sets the store sizes (BENCH_USERS for SQLite, BENCH_PG_USERS for PostgreSQL). */
  sizesVariable: string;
}

const KNOWN_FLAGS = new Set(['--quick', '--profile']);

function positiveNumber(name: string, text: string, integer: boolean): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} "${text}": expected a positive ${integer ? 'whole number' : 'number'}`);
  }
  return n;
}

/**
 * Reads `--quick`, `--profile DIR`, BENCH_SECONDS, BENCH_ONLY and the sizes variable. Throws a one-line message
 * naming the argument or variable for anything else: a mistyped option must not run a 10-minute benchmark.
 */
export function parseBenchOptions(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  defaults: BenchDefaults,
  resolvePath: (p: string) => string = (p) => p,
): BenchOptions {
  let quick = false;
  let profileDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--quick') quick = true;
    else if (arg === '--profile') {
      const dir = argv[i + 1];
      if (dir === undefined || dir.startsWith('--'))
        throw new Error('--profile: expected a folder, e.g. --profile DIR');
      profileDir = resolvePath(dir);
      i++;
    } else {
      throw new Error(`unknown argument "${arg}": expected ${[...KNOWN_FLAGS].join(' or ')}`);
    }
  }
  const secondsText = env['BENCH_SECONDS'];
  const seconds = secondsText === undefined ? (quick ? 2 : 10) : positiveNumber('BENCH_SECONDS', secondsText, false);
  const sizesText = env[defaults.sizesVariable];
  const sizes =
    sizesText === undefined
      ? quick
        ? defaults.quickSizes
        : defaults.sizes
      : sizesText.split(',').map((s) => positiveNumber(defaults.sizesVariable, s, true));
  const onlyText = env['BENCH_ONLY'];
  return {
    quick,
    profileDir,
    seconds,
    warmup: Math.max(1, Math.round(seconds / 3)),
    sizes,
    only: onlyText === undefined ? undefined : onlyText.split(',').map((s) => s.trim()),
  };
}

/** One measured run: a request kind on one server. */
export interface Row {
  workload: string;
  server: string;
  users: number;
  rps: number;
  p99: number;
  /** Server CPU time (user + system) per request, in microseconds. */
  cpuUs: number;
  rssMB: number;
}

export const BARE = 'bare node:http';

/**
 * The Markdown table: each row with its ratios to the bare server's row of the same request (requests per second,
 * and CPU per request: the steadier figure on a shared machine).
 */
export function formatTable(rows: readonly Row[]): string {
  const bareOf = (workload: string) => rows.find((r) => r.server === BARE && r.workload === workload);
  const ratio = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(2));
  const lines = [
    '| request | server | req/s | × bare | p99 ms | server CPU µs/req | × bare by CPU | peak RSS MB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const bare = bareOf(r.workload);
    lines.push(
      `| ${r.workload} | ${r.server} | ${r.rps.toFixed(0)} | ${ratio(bare && r.rps / bare.rps)} | ${r.p99.toFixed(1)} | ${r.cpuUs.toFixed(0)} | ${ratio(bare && bare.cpuUs / r.cpuUs)} | ${r.rssMB.toFixed(0)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
