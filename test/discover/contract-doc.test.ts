/**
 * docs/discover-contract.md is the public contract of `discover`: it must name every value and field the report
 * and the command really have (the report schema and `discover --help` are the code's own lists).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FINDINGS } from '../../src/diagnose/catalogue.js';
import { discoveryReport, finding, step, stepMethod, stepResult } from '../../src/discover/report-schema.js';
import { cli, ROOT } from '../helpers/cli.js';

const doc = readFileSync(join(ROOT, 'docs', 'discover-contract.md'), 'utf8');

/** Written as code (`name` or "name":) somewhere in the document. */
function documented(name: string): boolean {
  return doc.includes(`\`${name}\``) || doc.includes(`"${name}":`);
}

function missing(names: readonly string[]): string[] {
  return names.filter((n) => !documented(n));
}

test('every step method and step result is in the contract', () => {
  assert.deepEqual(missing(stepMethod.options), []);
  assert.deepEqual(missing(stepResult.options), []);
});

test('every field of the report, a step and a finding is in the contract', () => {
  assert.deepEqual(missing(Object.keys(discoveryReport.shape)), []);
  assert.deepEqual(missing(Object.keys(step.shape)), []);
  assert.deepEqual(missing(Object.keys(finding.shape)), []);
});

test('every finding code the contract names exists in the catalogue', () => {
  const table = doc.slice(doc.indexOf('### Findings'), doc.indexOf('### Fields the report carries'));
  const named = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1] ?? '');
  assert.ok(named.length >= 10, named.join(', '));
  assert.deepEqual(
    named.filter((code) => !(code in FINDINGS)),
    [],
  );
  for (const code of ['DNS_UNAVAILABLE', 'CANDIDATE_TIMEOUT', 'ROOT_DOMAIN_PROMPT_BESIDE_SCP'])
    assert.ok(named.includes(code), `${code} is not in the contract's table`);
});

test('every option of `discover --help` is in the contract', async () => {
  const r = await cli(['discover', '--help']);
  assert.equal(r.code, 0, r.stderr);
  const options = [...r.stdout.matchAll(/^\s+(--[a-z][a-z-]*)/gm)].map((m) => m[1] ?? '');
  assert.ok(options.includes('--prefetch-requests'), options.join(' '));
  assert.deepEqual(
    options.filter((o) => !doc.includes(`\`${o}`)),
    [],
  );
});

test('the contract gives the exit status of a bad address', () => {
  assert.match(doc, /An\s+address that is not `local@domain`[\s\S]*status `2`/);
});
