import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { PROFILES } from '../../src/discover/profiles.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { validateScenario } from '../../src/lab/scenario.js';

let lab: RunningLab;
before(async () => {
  lab = await startLab(
    validateScenario({
      name: 'oversized-answer',
      title: 'A 300 KiB answer',
      description: 'autodiscover.contoso.test answers with a body far larger than any Autodiscover answer.',
      email: 'chris@contoso.test',
      dns: { zones: [{ origin: 'contoso.test', records: [{ name: 'autodiscover', type: 'A', value: 'host:big' }] }] },
      hosts: [
        {
          name: 'big',
          https: { certificate: { names: ['autodiscover.contoso.test'] } },
          routes: [
            {
              path: '*',
              answer: { status: 200, body: `<Autodiscover>${'x'.repeat(300 * 1024)}`, contentType: 'text/xml' },
            },
          ],
        },
      ],
    }),
    { range: '127.55.0.0/24' },
  );
});
after(() => lab.close());

test('an answer larger than 256 KiB is refused with its reason, not read as malformed XML', async () => {
  const report = await runDiscovery(
    {
      email: 'chris@contoso.test',
      profile: PROFILES.outlook,
      exclude: new Set(['scp', 'root-domain', 'http-redirect', 'srv']),
      accept: { redirect: false, certificate: false },
      timeoutMs: 3000,
      ca: [lab.caPem],
    },
    createNodePorts({ dnsServers: [lab.dns], timeoutMs: 3000 }),
  );
  const step = report.steps.find((s) => s.method === 'autodiscover-domain');
  assert.equal(step?.result, 'invalid-response');
  assert.equal(step?.status, 200);
  assert.match(step?.detail ?? '', /larger than 256 KiB/);
});
