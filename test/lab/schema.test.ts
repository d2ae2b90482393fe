/** schemas/lab-scenario.schema.json: generated from the zod schema, and it agrees with the validator. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { SCENARIO_SCHEMA_PATH, scenarioSchemaJson } from '../../src/lab/json-schema.js';
import { SMOKE_SCENARIO } from './smoke-scenario.js';

const published = readFileSync(new URL(`../../${SCENARIO_SCHEMA_PATH}`, import.meta.url), 'utf8');

test(`${SCENARIO_SCHEMA_PATH} is up to date (run npm run generate)`, () => {
  assert.equal(published, scenarioSchemaJson());
});

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
