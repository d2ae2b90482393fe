import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GENERATED } from '../scripts/generated.js';
import { FINDINGS } from '../src/diagnose/catalogue.js';
import { ERROR_CATALOGUE } from '../src/errors.js';

for (const [path, make] of Object.entries(GENERATED)) {
  test(`${path} is up to date (run npm run generate)`, () => {
    assert.equal(readFileSync(new URL(`../${path}`, import.meta.url), 'utf8'), make());
  });
}

test('every error code is documented, and no retired code is in use', () => {
  const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...page.matchAll(/^\| `(ADK_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(documented, Object.keys(ERROR_CATALOGUE));
});

test('the configuration schema describes the example configuration', () => {
  const schema = JSON.parse(readFileSync(new URL('../schemas/config.schema.json', import.meta.url), 'utf8'));
  assert.equal(schema.type, 'object');
  assert.equal(schema.additionalProperties, false);
  assert.ok(schema.properties.domains.items.properties.exchange);
  assert.deepEqual(schema.properties.domains.items.properties.unknownUsers.enum, ['domain', 'not-found']);
});

test('every finding code is documented, including every code the contract requires', () => {
  const page = readFileSync(new URL('../docs/findings.md', import.meta.url), 'utf8');
  const documented = [...page.matchAll(/^## `([A-Z_]+)`$/gm)].map((m) => m[1]);
  assert.deepEqual(documented, Object.keys(FINDINGS));
  const contract = [
    'CERT_NAME_MISMATCH',
    'CERT_UNTRUSTED',
    'CERT_CHAIN_INCOMPLETE',
    'CERT_EXPIRED',
    'CERT_NOT_YET_VALID',
    'ROOT_DOMAIN_BLOCKS_FALLBACK',
    'REDIRECT_NEEDS_CONSENT',
    'INSECURE_REDIRECT',
    'REDIRECT_LIMIT',
    'CERT_PRINCIPAL_NAME_MISMATCH',
    'NO_AUTODISCOVER_ENDPOINT',
  ];
  for (const code of contract) assert.ok(code in FINDINGS, `${code} is required by discover-contract.md`);
});
