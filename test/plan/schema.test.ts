/**
 * schemas/deployment.schema.json agrees with the validator on the example (that the file is up to date with the
 * zod schema is checked once, for every generated file, in test/generated.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { validateDeployment } from '../../src/plan/deployment.js';

const published = readFileSync(new URL('../../schemas/deployment.schema.json', import.meta.url), 'utf8');
const example = parseYaml(
  readFileSync(new URL('../../examples/deployment.example.yaml', import.meta.url), 'utf8'),
) as Record<string, unknown>;

test('the published schema accepts the example and refuses unknown keys and missing namespaces', () => {
  const schema = JSON.parse(published);
  assert.equal(schema.title, 'autodisco deployment');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ['acceptedDomains', 'namespaces']);
  const ajv = new Ajv2020.default({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile(schema);
  assert.equal(validate(example), true, JSON.stringify(validate.errors));
  assert.equal(validate({ ...example, colour: 'blue' }), false);
  assert.equal(validate({ ...example, namespaces: {} }), false);
  assert.equal(validate({ ...example, acceptedDomains: [] }), false);
});

test('the example is valid for the zod schema too, with the seed names', () => {
  const d = validateDeployment(example, 'example');
  assert.deepEqual(d.acceptedDomains, ['domain.com']);
  assert.equal(d.namespaces.mail, 'webmail.domain.com');
  assert.equal(d.servers[0]?.name, 'CASServer');
  assert.equal(
    d.servers[0]?.autoDiscoverServiceInternalUri,
    'https://webmail.domain.com/Autodiscover/Autodiscover.xml',
  );
});
