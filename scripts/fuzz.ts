/**
 * The long fuzzing run (`npm run fuzz`): every parser of untrusted input (test/fuzz/targets.ts), its extreme cases,
 * then random 64 KiB cases until FUZZ_RUNS cases per parser (default 1,000) or FUZZ_SECONDS in all (default 300)
 * are done, whichever comes first. A case over its CPU budget or a crash other than the parser's own typed
 * rejection is printed with the seed that reproduces it (FUZZ_SEED=<seed> npm run fuzz), and the exit status is 1.
 */
import fc from 'fast-check';
import { check, TARGETS } from '../test/fuzz/targets.js';
import { MACHINE_FACTOR, scaled } from '../test/helpers/cpu-budget.js';

const runs = Number(process.env['FUZZ_RUNS'] ?? 1000);
const seconds = Number(process.env['FUZZ_SECONDS'] ?? 300);
const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
if (!Number.isFinite(runs) || runs < 0 || !Number.isFinite(seconds) || seconds <= 0) {
  console.error('FUZZ_RUNS must be a number of cases (>= 0) and FUZZ_SECONDS a number of seconds (> 0)');
  process.exit(2);
}

const deadline = Date.now() + seconds * 1000;
const perTarget = (seconds * 1000) / TARGETS.length;
let failures = 0;
console.log(
  `fuzz: seed ${seed}, up to ${runs} random cases per parser, ${seconds} s in all; budgets × ${MACHINE_FACTOR.toFixed(2)} for this machine (test/helpers/cpu-budget.ts)`,
);
for (const [i, target] of TARGETS.entries()) {
  const until = Math.min(deadline, Date.now() + perTarget);
  let done = 0;
  let worst = 0;
  const problems: string[] = [];
  for (const input of target.corpus) {
    const problem = check(target, input);
    if (problem) problems.push(problem);
  }
  // One stream of cases per parser, reproducible from the seed.
  const stream = fc.sample(target.arbitrary, { seed: seed + i, numRuns: runs });
  for (const input of stream) {
    if (Date.now() > until) break;
    const start = process.cpuUsage();
    const problem = check(target, input);
    const used = process.cpuUsage(start);
    worst = Math.max(worst, (used.user + used.system) / 1000);
    if (problem) problems.push(problem);
    done++;
  }
  failures += problems.length;
  console.log(
    `${problems.length === 0 ? 'ok  ' : 'FAIL'} ${target.name}: ${target.corpus.length} extreme + ${done} random cases, ` +
      `slowest random ${worst.toFixed(1)} ms (budget ${scaled(target.budgetMs).toFixed(1)} ms)`,
  );
  for (const p of problems.slice(0, 5)) console.log(`     ${p}`);
}
if (failures > 0) {
  console.log(`${failures} problem(s); reproduce with FUZZ_SEED=${seed}`);
  process.exit(1);
}
