/**
 * `npm run bench:import`: time and peak resident memory of `import` and `export` for large stores, run on the
 * BUILT command (dist/; the script builds first) in plain node, measured by /usr/bin/time -v.
 * BENCH_USERS sets the sizes (default 400000,1000000). For each size the script writes a generated file
 * (block-style YAML, about 80 bytes a user, as people write them), then measures:
 *   import (new)     into a new database;
 *   import (same)    the same file again: compared row by row, nothing written, no snapshot;
 *   import (change)  the file with one user changed: the snapshot of every stored user is written first;
 *   export           the store to a file.
 * The goal (README, "Large stores"): memory flat whatever the size, time linear in it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeConfig } from './generate-config.js';

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const SIZES = (process.env['BENCH_USERS'] ?? '400000,1000000').split(',').map(Number);
const TIME = '/usr/bin/time';

interface Measure {
  seconds: number;
  /** User + system CPU time: the wall time depends on what else the machine runs. */
  cpuSeconds: number;
  maxRssMB: number;
}

async function measure(args: string[]): Promise<Measure> {
  const timed = existsSync(TIME);
  const start = performance.now();
  const child = timed
    ? spawn(TIME, ['-v', process.execPath, MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [code] = (await once(child, 'close')) as [number];
  const seconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`autodisco ${args.join(' ')} failed (${code}):\n${stderr}`);
  const figure = (label: string) => Number(new RegExp(`${label}: ([\\d.]+)`).exec(stderr)?.[1] ?? Number.NaN);
  return {
    seconds,
    cpuSeconds: figure('User time \\(seconds\\)') + figure('System time \\(seconds\\)'),
    maxRssMB: figure('Maximum resident set size \\(kbytes\\)') / 1024,
  };
}

const dir = await mkdtemp(join(tmpdir(), 'autodisco-bench-import-'));
try {
  const rows: string[] = [];
  for (const users of SIZES) {
    const file = join(dir, `users-${users}.yaml`);
    const changed = join(dir, `users-${users}-changed.yaml`);
    await writeConfig(file, users);
    await writeConfig(changed, users, { changed: true });
    const size = (await stat(file)).size / 2 ** 20;
    const db = join(dir, `db-${users}.sqlite`);
    const cases: [string, string[]][] = [
      ['import (new)', ['import', file, '--db', db]],
      ['import (same)', ['import', file, '--db', db]],
      ['import (change)', ['import', changed, '--db', db]],
      ['export', ['export', '--db', db, '-o', join(dir, `export-${users}.yaml`)]],
    ];
    for (const [name, args] of cases) {
      const m = await measure(args);
      const row = `| ${users.toLocaleString('en')} | ${size.toFixed(0)} MiB | ${name} | ${m.seconds.toFixed(1)} s | ${m.cpuSeconds.toFixed(1)} s | ${m.maxRssMB.toFixed(0)} MB |`;
      console.log(row);
      rows.push(row);
    }
  }
  console.log('\n| users | file | step | wall time | CPU time | peak RSS |\n| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
} finally {
  await rm(dir, { recursive: true, force: true });
}
