/**
 * The bounded fuzzing run for the YAML readers (configuration files, lab scenarios): their extreme cases and
 * FUZZ_YAML_RUNS random ones (default 3; the library takes about 0.1 s per 64 KiB file here, so `npm test`
 * keeps this short; `npm run fuzz` runs many more).
 */
import { describe } from 'node:test';
import { fuzzTarget, TARGETS, YAML_BUDGET_MS } from './targets.js';

const RUNS = Number(process.env['FUZZ_YAML_RUNS'] ?? 3);

describe('fuzz: YAML files stay within their budget', () => {
  for (const target of TARGETS.filter((t) => t.budgetMs === YAML_BUDGET_MS)) fuzzTarget(target, RUNS);
});
