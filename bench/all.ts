/**
 * `npm run bench`: the SQLite rows (bench/run.ts), the PostgreSQL rows (bench/postgres.ts), then discovery
 * (bench/discover.ts), one after the other, each in its own process, stopping at the first that fails. This entry
 * exists because npm appends `npm run bench -- ARGS` to the last command of a script only: here every part gets
 * them (`--quick`, `--profile DIR`; discovery reads only `--quick`).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const parts: [string, string[]][] = [
  ['run.ts', args],
  ['postgres.ts', args],
  ['discover.ts', args.filter((a) => a === '--quick')],
];
for (const [script, argv] of parts) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(`./${script}`, import.meta.url)), ...argv],
    { stdio: 'inherit' },
  );
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) {
    process.stderr.write(`bench/${script} failed (${signal ?? `exit ${code}`}); the parts after it did not run\n`);
    process.exit(code ?? 1);
  }
}
