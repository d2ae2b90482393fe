/**
 * The bounded fuzzing run of `npm test` (issue 9, Done when): every parser of untrusted input, its hand-built
 * extreme cases and FUZZ_RUNS random ones (default 10), each 64 KiB, within its CPU budget and never crashing
 * other than by its own typed rejection; and the server answering every such POX body with error 600.
 * The long run is `npm run fuzz` (scripts/fuzz.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAutodiscoverResponse } from '../../src/discover/parse-response.js';
import { child, childText, parseXml } from '../../src/formats/xml.js';
import { exampleApp } from '../helpers/app.js';
import { scaled } from '../helpers/cpu-budget.js';
import { BUDGET_MS, fuzzTarget, SIZE, TARGETS } from './targets.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10);

describe('fuzz: every parser of untrusted input stays within its budget', () => {
  // The YAML readers run in fuzz-yaml.test.ts, side by side with this file.
  for (const target of TARGETS.filter((t) => !t.yaml)) fuzzTarget(target, RUNS);

  test('a 256 KiB nested answer (82 s of CPU before) is refused within 4 × the 64 KiB budget', () => {
    const start = process.cpuUsage();
    const result = parseAutodiscoverResponse('<a>'.repeat((256 * 1024) / 3), 'outlook');
    const used = process.cpuUsage(start);
    assert.deepEqual(result, { kind: 'invalid', reason: 'not an Autodiscover response: elements nest deeper than 32' });
    assert.ok((used.user + used.system) / 1000 < scaled(4 * BUDGET_MS));
  });
});

describe('fuzz: the server answers every hostile POX body with error 600', () => {
  const pox = TARGETS.find((t) => t.name.startsWith('POX and mobilesync'));
  assert.ok(pox);

  test(`${pox.corpus.length} extreme bodies and ${RUNS} random ones, under any Content-Type`, async () => {
    const { app, metrics } = await exampleApp();
    const bodies = [...pox.corpus, ...fc.sample(pox.arbitrary, RUNS)];
    const types = ['text/xml; charset=utf-8', 'application/xml', '', 'garbage'];
    for (const [i, body] of bodies.entries()) {
      assert.ok(body.length <= SIZE);
      const res = await app.inject({
        method: 'POST',
        url: '/autodiscover/autodiscover.xml',
        payload: body,
        headers: { 'content-type': types[i % types.length] as string },
      });
      assert.equal(res.statusCode, 200, `HTTP ${res.statusCode} for ${String(body).slice(0, 60)}`);
      const code = childText(child(child(parseXml(res.body), 'Response'), 'Error'), 'ErrorCode');
      assert.equal(code, '600', String(body).slice(0, 60));
    }
    const text = await metrics.registry.metrics();
    assert.match(text, new RegExp(`endpoint="pox",outcome="invalid-request"\\} ${bodies.length}\\b`));
  });

  test('hostile query strings and paths get a 4xx that quotes nothing, never a 5xx', async () => {
    const { app } = await exampleApp();
    const values = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('<img src=x onerror=alert(1)>', 'x@example.test/evil', '%00', '../../etc/passwd', '{"a":1}'),
      ),
      RUNS * 4,
    );
    for (const value of values) {
      const q = encodeURIComponent(value);
      for (const url of [
        `/autodiscover/autodiscover.json/v1.0/${q}?Protocol=${q}`,
        `/autodiscover/autodiscover.json?Email=${q}&Protocol=EWS&RedirectCount=${q}`,
        `/mail/config-v1.1.xml?emailaddress=${q}`,
        `/email.mobileconfig?email=${q}`,
      ]) {
        const res = await app.inject({ method: 'GET', url });
        assert.ok(res.statusCode < 500, `${res.statusCode} for ${url}`);
        if (res.statusCode >= 400 && value.length > 3) assert.ok(!res.body.includes(value), `${url} echoed`);
      }
    }
  });
});
