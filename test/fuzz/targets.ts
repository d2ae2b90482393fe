/**
 * Every parser of untrusted input, with what counts as its own typed rejection, and inputs built the way an
 * attacker builds them: a short hostile pattern (deep nesting, namespaces, prefixes, attributes, long names,
 * entity-like text, unclosed tags, BER length tricks, DNS compression pointers) repeated up to 64 KiB.
 * Shared by the bounded run in `npm test` (test/fuzz/fuzz.test.ts) and the long run (`npm run fuzz`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAutodiscoverResponse } from '../../src/discover/parse-response.js';
import { respond } from '../../src/dns/respond.js';
import { compileZones } from '../../src/dns/zone.js';
import { AutodiscoError } from '../../src/errors.js';
import { AutoconfigRejected, parseAutoconfig } from '../../src/formats/autoconfig.js';
import { parsePoxRequest } from '../../src/formats/pox/request.js';
import { parseSoapRequest } from '../../src/formats/soap/request.js';
import { parseXml, XmlRejected } from '../../src/formats/xml.js';
import { parseScenario } from '../../src/lab/scenario.js';
import { LdapDecodeError } from '../../src/ldap/codes.js';
import { decodeMessage, takeFrame } from '../../src/ldap/decode.js';
import { parseConfigText } from '../../src/settings/validate.js';
import { MACHINE_FACTOR, scaled } from '../helpers/cpu-budget.js';

/** The size every case is built to: the server's body limit. */
export const SIZE = 64 * 1024;
/** CPU a 64 KiB input may cost (issue 9, Done when), on the machine the goal was set on. */
export const BUDGET_MS = 50;

export type Input = string | Buffer;

export interface Target {
  name: string;
  budgetMs: number;
  /** The YAML readers run in their own test file (fuzz-yaml.test.ts), beside the others. */
  yaml?: true;
  /** Runs the parser; returns normally or throws. */
  run(input: Input): void;
  /** Whether a thrown error is the parser's own refusal (anything else is a crash). */
  typed(err: unknown): boolean;
  /** Hand-built extreme cases. */
  corpus: Input[];
  /** Random cases. */
  arbitrary: fc.Arbitrary<Input>;
}

/** `pattern` repeated until `size`, cut there. */
export function fill(pattern: string, size = SIZE, head = '', tail = ''): string {
  const room = size - head.length - tail.length;
  if (pattern === '') return head + tail;
  return head + pattern.repeat(Math.ceil(room / pattern.length)).slice(0, room) + tail;
}

const OUTLOOK_REQUEST =
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>';
/** The head of a GetUserSettings envelope, up to the point a hostile pattern is repeated inside its body. */
const SOAP_REQUEST =
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://schemas.microsoft.com/exchange/2010/Autodiscover" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><a:RequestedServerVersion>Exchange2013</a:RequestedServerVersion><wsa:Action>http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings</wsa:Action></soap:Header><soap:Body><a:GetUserSettingsRequestMessage><a:Request><a:Users><a:User><a:Mailbox>';
const MOBILESYNC_REQUEST =
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema>';
const RESPONSE =
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account>';

/** Patterns that each stress one thing in an XML parser. */
export const XML_PATTERNS: readonly string[] = [
  '<a>', // unclosed, deep: the quadratic namespace walk
  '<a xmlns="urn:x">',
  '<p:a xmlns:p="urn:p">',
  '<a xmlns:p0="u" xmlns:p1="u" xmlns:p2="u" xmlns:p3="u" p0:x="1" p1:x="2">',
  '<a/>', // many siblings
  '<a x="1">t</a>',
  '<p:a/>', // an unbound prefix, again and again
  `<${'n'.repeat(200)}>`, // long names
  ` a${'x'.repeat(40)}="v"`, // attributes
  '&amp;&lt;&#x41;&#65;&quot;', // entity-like text
  '&bogus;',
  '&#x110000;',
  '<![CDATA[x]]>',
  '<!-- c -->',
  '<?pi data?>',
  '</a>',
  '<a b="<',
  '"\'=<>/',
  'x'.repeat(500),
];

/** One random hostile document: a few patterns, repeated to 64 KiB, after an optional envelope. */
export function xmlArbitrary(heads: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...heads), fc.array(fc.constantFrom(...XML_PATTERNS), { minLength: 1, maxLength: 6 }))
    .map(([head, parts]) => fill(parts.join(''), SIZE, head));
}

function xmlCorpus(head: string, tail = ''): string[] {
  const cases = XML_PATTERNS.map((p) => fill(p, SIZE, head));
  cases.push(fill('<a>', SIZE, head, '</a>'.repeat(20)));
  cases.push(`${head}<r ${fill(' v="x"', SIZE - head.length - 10)}/>${tail}`); // one huge attribute list
  cases.push(`${head}<r v="${'x'.repeat(SIZE - head.length - 20)}"/>${tail}`); // one huge attribute value
  cases.push(`${head}<r>${fill('long text, ', SIZE - head.length - 30)}</r>${tail}`);
  cases.push(`${head}<${'n'.repeat(SIZE - head.length - 10)}/>${tail}`); // one huge name
  return cases;
}

const isXmlRejected = (err: unknown) => err instanceof XmlRejected;

/** YAML patterns: nesting of each kind, anchors and aliases, tags, keys, quotes, comments. */
export const YAML_PATTERNS: readonly string[] = [
  '[',
  '{',
  '{a: ',
  '- ',
  '? ',
  '[]',
  '{"a":',
  '&a x\n',
  '*a\n',
  'k: *a\n',
  '!t ',
  '<<: *a\n',
  'key: value\n',
  '  key: value\n',
  '"\\u0041',
  "'",
  '# comment\n',
  '|\n  ',
  ': ',
  ',',
  ']',
  '}',
];

function yamlArbitrary(head: string): fc.Arbitrary<string> {
  return fc
    .array(fc.constantFrom(...YAML_PATTERNS), { minLength: 1, maxLength: 6 })
    .map((parts) => fill(parts.join(''), SIZE, head));
}

function yamlCorpus(head: string): string[] {
  const cases = YAML_PATTERNS.map((p) => fill(p, SIZE, head));
  // Thousands of distinct keys in one map (the library's own duplicate check compared every pair).
  let n = 0;
  cases.push(fill('k0000000: v\n', SIZE, head).replace(/k0000000/g, () => `k${(n++).toString(36).padStart(7, '0')}`));
  cases.push(`${head}a: &a [x]\n${fill('b: *a\n', SIZE - head.length - 10)}`);
  cases.push(Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'));
  return cases;
}

const isAutodiscoError = (err: unknown) => err instanceof AutodiscoError;

/** BER patterns: nesting, long-form lengths that overrun, multi-byte tags, zero lengths. */
const BER_PATTERNS: readonly number[][] = [
  [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff],
  [0x30, 0x80],
  [0x30, 0x00],
  [0x04, 0x82, 0xff, 0xff],
  [0x04, 0x01, 0x41],
  [0x02, 0x01, 0x01],
  [0x63, 0x84, 0x00, 0x00, 0xff, 0xf0],
  [0xa0, 0x82, 0x10, 0x00],
  [0x1f, 0xff, 0xff],
  [0x87, 0x00],
];

function berFrame(parts: number[][]): Buffer {
  const pattern = Buffer.from(parts.flat());
  const body = Buffer.alloc(SIZE - 6);
  for (let i = 0; i < body.length; i++) body[i] = pattern[i % pattern.length] as number;
  const head = Buffer.from([0x30, 0x84, 0, 0, 0, 0]);
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

const ldapCorpus = BER_PATTERNS.map((p) => berFrame([p]));
ldapCorpus.push(berFrame([[0x02, 0x01, 0x01], ...Array.from({ length: 1 }, () => [0x30, 0x84, 0, 0, 0xff, 0xf0])]));

/** DNS: one long first name, then compression pointers to it, labels, and random section counts. */
function dnsMessage(questions: number, pattern: number[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x1234, 0);
  header.writeUInt16BE(Math.min(questions, 0xffff), 4);
  header.writeUInt16BE(0xffff, 6);
  const label = (n: number) => [n, ...Array.from({ length: n }, () => 0x61)];
  const first = [...label(63), ...label(63), ...label(63), ...label(61), 0, 0, 1, 0, 1];
  const rest = Buffer.alloc(SIZE - 12 - first.length);
  for (let i = 0; i < rest.length; i++) rest[i] = pattern[i % pattern.length] as number;
  return Buffer.concat([header, Buffer.from(first), rest]);
}
const DNS_PATTERNS: readonly number[][] = [
  [0xc0, 0x0c, 0, 1, 0, 1],
  [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 1],
  [1, 0x61, 0xc0, 0x0c, 0, 16, 0, 1],
  [0xc0, 0x0e],
  [63, ...Array.from({ length: 63 }, () => 0x62)],
  [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0],
];
const zones = compileZones([{ origin: 'lab.test', records: [{ name: '@', type: 'A', value: '127.0.0.1' }] }]);

export const TARGETS: Target[] = [
  {
    name: 'XML parser (formats/xml)',
    budgetMs: BUDGET_MS,
    run: (input) => void parseXml(String(input)),
    typed: isXmlRejected,
    corpus: xmlCorpus(''),
    arbitrary: xmlArbitrary(['', '<r>', '<a:r xmlns:a="urn:a">']),
  },
  {
    name: 'POX and mobilesync requests (server)',
    budgetMs: BUDGET_MS,
    run: (input) => {
      const r = parsePoxRequest(String(input));
      if (r.ok) throw new Error('a hostile body was read as a valid request');
    },
    typed: () => false,
    corpus: [...xmlCorpus(OUTLOOK_REQUEST), ...xmlCorpus(MOBILESYNC_REQUEST).slice(0, 8)],
    arbitrary: xmlArbitrary([OUTLOOK_REQUEST, MOBILESYNC_REQUEST, '<Autodiscover>', '']),
  },
  {
    name: 'SOAP Autodiscover requests (server)',
    budgetMs: BUDGET_MS,
    run: (input) => {
      const r = parseSoapRequest(String(input));
      if (r.ok) throw new Error('a hostile body was read as a valid request');
    },
    typed: () => false,
    corpus: xmlCorpus(SOAP_REQUEST),
    arbitrary: xmlArbitrary([
      SOAP_REQUEST,
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">',
      '',
    ]),
  },
  {
    name: 'POX answers read by discover',
    budgetMs: BUDGET_MS,
    run: (input) => {
      for (const schema of ['outlook', 'mobilesync'] as const) parseAutodiscoverResponse(String(input), schema);
    },
    typed: () => false,
    corpus: xmlCorpus(RESPONSE),
    arbitrary: xmlArbitrary([RESPONSE, '<Autodiscover>', '']),
  },
  {
    name: 'autoconfig answers read by discover',
    budgetMs: BUDGET_MS,
    run: (input) => void parseAutoconfig(String(input)),
    typed: (err) => err instanceof XmlRejected || err instanceof AutoconfigRejected,
    corpus: xmlCorpus('<clientConfig version="1.1"><emailProvider id="x">'),
    arbitrary: xmlArbitrary(['<clientConfig version="1.1"><emailProvider id="x">', '']),
  },
  {
    name: 'configuration files (YAML/JSON)',
    budgetMs: BUDGET_MS,
    yaml: true,
    run: (input) => void parseConfigText(String(input), 'fuzz.yaml'),
    typed: isAutodiscoError,
    corpus: yamlCorpus('domains:\n  - '),
    arbitrary: yamlArbitrary('domains:\n  - '),
  },
  {
    name: 'lab scenario files',
    budgetMs: BUDGET_MS,
    yaml: true,
    run: (input) => void parseScenario(String(input), 'fuzz.yaml'),
    typed: isAutodiscoError,
    corpus: yamlCorpus('name: x\nhosts:\n  '),
    arbitrary: yamlArbitrary('name: x\nhosts:\n  '),
  },
  {
    name: 'LDAP BER messages (lab directory)',
    budgetMs: BUDGET_MS,
    run: (input) => {
      const cut = takeFrame(Buffer.from(input), 1024 * 1024);
      if ('frame' in cut) decodeMessage(cut.frame);
    },
    typed: (err) => err instanceof LdapDecodeError,
    corpus: ldapCorpus,
    arbitrary: fc
      .array(fc.constantFrom(...BER_PATTERNS), { minLength: 1, maxLength: 5 })
      .map((parts) => berFrame(parts)),
  },
  {
    name: 'DNS messages (lab DNS server)',
    budgetMs: BUDGET_MS,
    run: (input) => {
      for (const transport of ['udp', 'tcp'] as const)
        respond(Buffer.from(input), { zones, transport, fault: () => null });
    },
    typed: () => false,
    corpus: DNS_PATTERNS.flatMap((p) => [dnsMessage(1, p), dnsMessage(0xffff, p), dnsMessage(0, p)]),
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(...DNS_PATTERNS), fc.uint8Array({ maxLength: 32 }))
      .map(([n, p, extra]) => dnsMessage(n, [...p, ...extra])),
  },
];

/** CPU time of one call, in ms, and what it threw. */
export function measure(target: Target, input: Input): { ms: number; error?: unknown } {
  const start = process.cpuUsage();
  let error: unknown;
  try {
    target.run(input);
  } catch (err) {
    error = err;
  }
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, ...(error === undefined ? {} : { error }) };
}

/**
 * Checks one case: a crash other than the typed rejection fails at once; over the (machine-scaled) budget fails
 * only if a second measurement is over too, so a garbage collection or JIT pause on a shared machine is not taken for a
 * quadratic parser (which is over every time).
 */
export function check(target: Target, input: Input): string | undefined {
  let result = measure(target, input);
  if (result.error !== undefined && !target.typed(result.error)) {
    return `${target.name}: crashed with ${String(result.error).slice(0, 200)} on ${show(input)}`;
  }
  const budget = scaled(target.budgetMs);
  if (result.ms > budget) result = measure(target, input);
  if (result.ms > budget) {
    const factor = MACHINE_FACTOR > 1 ? ` = ${target.budgetMs} × ${MACHINE_FACTOR.toFixed(2)} for this machine` : '';
    return `${target.name}: ${result.ms.toFixed(1)} ms of CPU (budget ${budget.toFixed(1)}${factor}) on ${show(input)}`;
  }
  return undefined;
}

export function show(input: Input): string {
  const text = typeof input === 'string' ? input : input.toString('hex');
  return `${input.length} ${typeof input === 'string' ? 'chars' : 'bytes'} starting ${JSON.stringify(text.slice(0, 80))}`;
}

/** One test: the target's extreme cases, then `runs` random ones (fast-check prints the seed of a failure). */
export function fuzzTarget(target: Target, runs: number, extremeCases = target.corpus): void {
  test(`${target.name}: ${extremeCases.length} extreme cases and ${runs} random ones`, () => {
    // One unmeasured pass first: the budget is for a warm parser, as in a server that has read a file before,
    // not for the JIT compiling each code path the first time it meets it (60 ms on a cold YAML block scalar).
    for (const input of extremeCases) measure(target, input);
    const problems = extremeCases.map((input) => check(target, input)).filter((p) => p !== undefined);
    assert.deepEqual(problems, []);
    fc.assert(
      fc.property(target.arbitrary, (input) => {
        const problem = check(target, input);
        if (problem) throw new Error(problem);
      }),
      { numRuns: runs },
    );
  });
}
