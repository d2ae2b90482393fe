/**
 * Issue 9, item 2: a deeply nested answer must cost discover milliseconds. The XML parser stops the moment an
 * answer nests deeper than its limit (src/formats/xml.ts), for POX answers and autoconfig files alike; a real
 * loopback server sends the hostile answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runDiscovery } from '../../src/discover/engine.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import { parseAutodiscoverResponse } from '../../src/discover/parse-response.js';
import { PROFILES } from '../../src/discover/profiles.js';
import { parseXml, XML_LIMITS, XmlRejected } from '../../src/formats/xml.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { validateScenario } from '../../src/lab/scenario.js';

const MAX_ANSWER_DEPTH = XML_LIMITS.maxDepth;
/** The depth at which the parser refused `text` for nesting, or undefined when it did not. */
function tooDeep(text: string, limit = MAX_ANSWER_DEPTH): number | undefined {
  try {
    parseXml(text, limit);
    return undefined;
  } catch (err) {
    if (err instanceof XmlRejected && err.reason === 'too-deep') return limit + 1;
    return undefined;
  }
}

const OPEN =
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">';
/** 256 KiB of unclosed elements inside a real-looking answer. */
const NESTED = `${OPEN}${'<a>'.repeat(((256 * 1024 - OPEN.length) / 3) | 0)}`.slice(0, 256 * 1024 - 1);
const NESTED_AUTOCONFIG = `<clientConfig version="1.1"><emailProvider id="x">${'<b>'.repeat(80_000)}`;

test('the parser counts opening tags, not closed, self-closing, comments, CDATA or declarations', () => {
  const nest = (n: number) => `${'<a>'.repeat(n)}${'</a>'.repeat(n)}`;
  assert.equal(tooDeep(nest(MAX_ANSWER_DEPTH)), undefined);
  assert.equal(tooDeep(nest(MAX_ANSWER_DEPTH + 1)), MAX_ANSWER_DEPTH + 1);
  assert.equal(
    tooDeep(
      `<?xml version="1.0"?><r>${'<e/>'.repeat(1000)}<!-- <a><a><a> -->${'<![CDATA[<a><a>]]>'.repeat(50)}</r>`,
      2,
    ),
    undefined,
  );
  assert.equal(tooDeep(`<r>${'<a x="1">'.repeat(3)}`, 3), 4);
  assert.equal(tooDeep('<r><!-- never closed <a><a><a>', 2), undefined);
});

test(`a 256 KiB nested answer is refused in well under 50 ms`, () => {
  const started = process.cpuUsage();
  const parsed = parseAutodiscoverResponse(NESTED, 'outlook');
  const cpu = process.cpuUsage(started);
  assert.equal(parsed.kind, 'invalid');
  assert.match(parsed.kind === 'invalid' ? parsed.reason : '', new RegExp(`nest deeper than ${MAX_ANSWER_DEPTH}`));
  assert.ok((cpu.user + cpu.system) / 1000 < 50, `${(cpu.user + cpu.system) / 1000} ms of CPU`);
});

let lab: RunningLab;
before(async () => {
  lab = await startLab(
    validateScenario({
      name: 'nested-answer',
      title: 'A 256 KiB nested answer',
      description: 'autodiscover.contoso.test and autoconfig.contoso.test answer with elements nested 80,000 deep.',
      email: 'chris@contoso.test',
      dns: {
        zones: [
          {
            origin: 'contoso.test',
            records: [
              { name: 'autodiscover', type: 'A', value: 'host:deep' },
              { name: 'autoconfig', type: 'A', value: 'host:deep' },
            ],
          },
        ],
      },
      hosts: [
        {
          name: 'deep',
          https: { certificate: { names: ['autodiscover.contoso.test', 'autoconfig.contoso.test'] } },
          routes: [
            {
              path: '/mail/config-v1.1.xml',
              answer: { status: 200, body: NESTED_AUTOCONFIG, contentType: 'text/xml' },
            },
            { path: '*', answer: { status: 200, body: NESTED, contentType: 'text/xml' } },
          ],
        },
      ],
    }),
    { range: '127.91.3.0/24' },
  );
});
after(() => lab.close());

for (const [profile, method] of [
  ['outlook', 'autodiscover-domain'],
  ['thunderbird', 'autoconfig'],
] as const) {
  test(`${profile}: the nested answer from the server is an invalid-response step, quickly`, async () => {
    const report = await runDiscovery(
      {
        email: 'chris@contoso.test',
        profile: PROFILES[profile],
        exclude: new Set(['scp', 'root-domain', 'http-redirect', 'srv']),
        accept: { redirect: false, certificate: false },
        timeoutMs: 3000,
        ca: [lab.caPem],
      },
      createNodePorts({ dnsServers: [lab.dns], timeoutMs: 3000 }),
    );
    const step = report.steps.find((s) => s.method === method && s.status === 200);
    assert.ok(step, JSON.stringify(report.steps.map((s) => [s.method, s.url, s.result])));
    assert.equal(step.result, 'invalid-response');
    assert.match(step.detail, /nest deeper than 32/);
    assert.ok(step.ms < 1000, `the step took ${step.ms} ms`);
  });
}
