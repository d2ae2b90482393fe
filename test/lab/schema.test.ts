/**
 * schemas/lab-scenario.schema.json agrees with the validator (that the file is up to date with the zod schema is
 * checked once, for every generated file, in test/generated.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { SCENARIO_SCHEMA_PATH } from '../../src/lab/json-schema.js';
import { SMOKE_SCENARIO } from './smoke-scenario.js';

const published = readFileSync(new URL(`../../${SCENARIO_SCHEMA_PATH}`, import.meta.url), 'utf8');

test('the published schema accepts the smoke scenario and refuses what the validator refuses', () => {
  const schema = JSON.parse(published);
  assert.equal(schema.title, 'autodisco lab scenario');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ['name', 'title', 'email']);
  const ajv = new Ajv2020.default({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile(schema);
  const doc = parseYaml(SMOKE_SCENARIO) as Record<string, unknown>;
  assert.equal(validate(doc), true, JSON.stringify(validate.errors));

  for (const bad of [
    { ...doc, colour: 'blue' },
    { ...doc, hosts: [{ name: 'x', http: {}, routes: [{ path: '/', answer: { status: 200, html: 'x' } }] }] },
    {
      ...doc,
      hosts: [{ name: 'x', http: {}, routes: [{ path: '/', answer: { redirect: 'https://x/', status: 303 } }] }],
    },
    { ...doc, hosts: [{ name: 'x', https: { certificate: { names: ['a'], validity: 'old' } } }] },
    { ...doc, dns: { zones: [{ records: [{ name: 'a', type: 'NS', value: 'x' }] }] } },
  ]) {
    assert.equal(validate(bad), false, JSON.stringify(bad).slice(0, 200));
  }
});
