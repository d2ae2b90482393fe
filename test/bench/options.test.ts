/**
 * The benchmarks are not run by the tests (minutes of load on a shared machine), but their options and their
 * table are: a mistyped option must fail in a second, not after a 10-minute run, and the ratios must be right.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BARE, type BenchDefaults, formatTable, parseBenchOptions, type Row } from '../../bench/options.js';

const SQLITE: BenchDefaults = {
  sizes: [10_000, 1_000_000],
  quickSizes: [10_000, 100_000],
  sizesVariable: 'BENCH_USERS',
};

describe('bench options', () => {
  it('defaults to 10 s runs, a 3 s warm-up and the full sizes', () => {
    assert.deepEqual(parseBenchOptions([], {}, SQLITE), {
      quick: false,
      profileDir: undefined,
      seconds: 10,
      warmup: 3,
      sizes: [10_000, 1_000_000],
      only: undefined,
    });
  });

  it('--quick means 2 s runs and the quick sizes; --profile takes a folder', () => {
    const o = parseBenchOptions(['--quick', '--profile', 'prof'], {}, SQLITE, (p) => `/abs/${p}`);
    assert.equal(o.quick, true);
    assert.equal(o.seconds, 2);
    assert.equal(o.warmup, 1);
    assert.deepEqual(o.sizes, [10_000, 100_000]);
    assert.equal(o.profileDir, '/abs/prof');
  });

  it('reads BENCH_SECONDS, BENCH_ONLY and the sizes variable it is given', () => {
    const o = parseBenchOptions(
      ['--quick'],
      { BENCH_SECONDS: '6', BENCH_ONLY: 'POX, autoconfig', BENCH_PG_USERS: '5000,20000', BENCH_USERS: '1' },
      { sizes: [100_000], quickSizes: [], sizesVariable: 'BENCH_PG_USERS' },
    );
    assert.equal(o.seconds, 6);
    assert.equal(o.warmup, 2);
    assert.deepEqual(o.only, ['POX', 'autoconfig']);
    assert.deepEqual(o.sizes, [5000, 20_000]);
  });

  it('refuses what it does not understand, naming it', () => {
    assert.throws(
      () => parseBenchOptions(['--quik'], {}, SQLITE),
      /unknown argument "--quik": expected --quick or --profile/,
    );
    assert.throws(() => parseBenchOptions(['--profile'], {}, SQLITE), /--profile: expected a folder/);
    assert.throws(
      () => parseBenchOptions([], { BENCH_SECONDS: 'ten' }, SQLITE),
      /BENCH_SECONDS "ten": expected a positive number/,
    );
    assert.throws(
      () => parseBenchOptions([], { BENCH_USERS: '10000,1e6.5' }, SQLITE),
      /BENCH_USERS "1e6.5": expected a positive whole number/,
    );
    assert.throws(() => parseBenchOptions([], { BENCH_USERS: '0' }, SQLITE), /BENCH_USERS "0"/);
  });
});

describe('bench table', () => {
  const row = (server: string, workload: string, rps: number, cpuUs: number): Row => ({
    workload,
    server,
    users: 10_000,
    rps,
    p99: 3.25,
    cpuUs,
    rssMB: 120.4,
  });

  it('gives each row its ratios to the bare server of the same request', () => {
    const table = formatTable([
      row(BARE, 'POX', 20_000, 25),
      row(BARE, 'autoconfig', 22_000, 20),
      row('autodisco, 10,000 users', 'POX', 8_000, 100),
      row('autodisco, 10,000 users', 'autoconfig', 11_000, 40),
    ]);
    const lines = table.trimEnd().split('\n');
    assert.equal(lines.length, 6);
    assert.match(
      lines[0]!,
      /^\| request \| server \| req\/s \| × bare \| p99 ms \| server CPU µs\/req \| × bare by CPU \|/,
    );
    assert.equal(lines[4], '| POX | autodisco, 10,000 users | 8000 | 0.40 | 3.3 | 100 | 0.25 | 120 |');
    assert.equal(lines[5], '| autoconfig | autodisco, 10,000 users | 11000 | 0.50 | 3.3 | 40 | 0.50 | 120 |');
  });

  it('shows a dash, not NaN, when a request has no bare row', () => {
    const table = formatTable([row('PostgreSQL, 10,000 users', 'POX', 5_000, 150)]);
    assert.match(table, /\| POX \| PostgreSQL, 10,000 users \| 5000 \| – \| 3\.3 \| 150 \| – \| 120 \|/);
  });
});

describe('bench workloads', () => {
  it('BENCH_ONLY names requests that exist', async () => {
    const { selectWorkloads } = await import('../../bench/harness.js');
    assert.deepEqual(
      selectWorkloads(['autoconfig', 'POX']).map((w) => w.name),
      ['POX', 'autoconfig'],
    );
    assert.equal(selectWorkloads(undefined).length, 4);
    assert.throws(
      () => selectWorkloads(['pox']),
      /BENCH_ONLY "pox": expected one of POX, autoconfig, v2 JSON, SOAP GetUserSettings/,
    );
  });
});
