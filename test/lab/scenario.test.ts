/** Scenario parsing and validation: defaults, and every problem listed at once with its path. No sockets. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AutodiscoError, type Problem } from '../../src/errors.js';
import { parseScenario, type ScenarioInput, validateScenario } from '../../src/lab/scenario.js';
import { SMOKE_SCENARIO } from './smoke-scenario.js';

function problemsOf(fn: () => unknown): Problem[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AutodiscoError, String(err));
    assert.equal(err.code, 'ADK_ERR_CONFIG_INVALID');
    return [...err.problems];
  }
  assert.fail('expected ADK_ERR_CONFIG_INVALID');
}

function minimal(): ScenarioInput {
  return { name: 'minimal', title: 'Minimal', email: 'chris@contoso.test' };
}

describe('parseScenario', () => {
  test('the smoke scenario, with defaults applied', () => {
    const s = parseScenario(SMOKE_SCENARIO, 'smoke.yaml');
    assert.equal(s.name, 'lab-smoke');
    assert.match(s.description, /public website/);
    assert.deepEqual(s.expect, { outlook: 'prompt' });
    const [web, exchange, legacy] = s.hosts;
    assert.equal(web?.https?.port, 443);
    assert.equal(web?.http?.port, 80);
    assert.deepEqual(web?.https?.certificate, {
      names: ['www.contoso.test'],
      issuer: 'lab',
      via: 'intermediate',
      sendIntermediate: true,
      validity: 'valid',
      keyType: 'ecdsa',
    });
    assert.deepEqual(web?.routes[0], { path: '/', method: 'any', scheme: 'any', answer: { html: '<h1>Contoso</h1>' } });
    assert.deepEqual(web?.routes[1]?.answer, { redirect: 'https://www.contoso.test/new', status: 301 });
    const answer = exchange?.routes[0]?.answer;
    assert.ok(answer !== undefined && 'autodisco' in answer);
    assert.equal(answer.httpMode, 'redirect');
    assert.equal(answer.autodisco.domains[0]?.imap?.security, 'tls');
    assert.equal(legacy?.http, undefined);
    assert.equal(s.directory?.port, 389);
    assert.equal(s.directory?.scps[1]?.whenCreated, '2018-01-02');
  });

  test('an empty scenario needs a name, a title and an address', () => {
    assert.deepEqual(
      problemsOf(() => validateScenario({}, 'empty')).map((p) => p.path),
      ['name', 'title', 'email'],
    );
    const s = validateScenario(minimal());
    assert.deepEqual(s.hosts, []);
    assert.deepEqual(s.dns, { zones: [], faults: [] });
    assert.equal(s.directory, undefined);
  });

  test('text that is not YAML is ADK_ERR_CONFIG_UNREADABLE', () => {
    assert.throws(() => parseScenario('name: [unclosed', 'bad.yaml'), { code: 'ADK_ERR_CONFIG_UNREADABLE' });
    assert.throws(() => parseScenario('name: a\nname: b\n', 'twice.yaml'), { code: 'ADK_ERR_CONFIG_UNREADABLE' });
  });
});

describe('validateScenario lists every problem with its path', () => {
  test('problems in every section at once', () => {
    const doc = {
      name: 'Bad Name',
      title: 'two\nlines',
      email: 'not-an-address',
      colour: 'blue',
      expect: { outlook: 'works' },
      hosts: [
        {
          name: 'web',
          https: { port: 70000, certificate: { names: ['www.contoso.test'], validity: 'old' } },
          routes: [
            { path: 'autodiscover', answer: { status: 'teapot' } },
            { path: '/a', answer: { html: '<p/>', status: 200 } },
            { path: '/b', answer: {} },
            // biome-ignore lint/suspicious/noThenProperty: scenario data, as an admin writes it
            { path: '/c', answer: { delayMs: 10, then: { delayMs: 10, then: { reset: true } } } },
            { path: '/d', answer: { redirect: 'not a url', status: 303 } },
            { path: '/e', method: 'PUT', answer: { hang: false } },
          ],
        },
        { name: 'web', routes: [] },
      ],
      directory: { baseDN: 'DC=contoso,DC=test', scps: [{ server: 'EX1', whenCreated: 'yesterday' }] },
    };
    const problems = problemsOf(() => validateScenario(doc, 'bad.yaml'));
    const byPath = new Map(problems.map((p) => [p.path, p.message]));
    assert.deepEqual(
      [...byPath.keys()],
      [
        'name',
        'title',
        'email',
        'expect.outlook',
        '(colour)',
        'hosts[0].https.port',
        'hosts[0].https.certificate.validity',
        'hosts[0].routes[0].path',
        'hosts[0].routes[0].answer.status',
        'hosts[0].routes[1].answer',
        'hosts[0].routes[2].answer',
        'hosts[0].routes[3].answer.then',
        'hosts[0].routes[4].answer.redirect',
        'hosts[0].routes[4].answer.status',
        'hosts[0].routes[5].method',
        'hosts[0].routes[5].answer.hang',
        'hosts[1].https',
        'hosts[1].name',
        'directory.scps[0].whenCreated',
      ].map((p) => (p === '(colour)' ? '' : p)),
    );
    assert.match(byPath.get('') ?? '', /unknown key\(s\) "colour"/);
    assert.match(byPath.get('title') ?? '', /one line/);
    assert.match(byPath.get('hosts[0].https.certificate.validity') ?? '', /"expiring"/);
    assert.match(byPath.get('hosts[0].routes[1].answer') ?? '', /one kind of answer per route: found "status", "html"/);
    assert.match(byPath.get('hosts[0].routes[2].answer') ?? '', /expected an answer with one of "autodisco"/);
    assert.match(byPath.get('hosts[0].routes[3].answer.then') ?? '', /not to another delay/);
    assert.match(byPath.get('hosts[1].name') ?? '', /already the name of hosts\[0\]/);
    assert.match(byPath.get('hosts[1].https') ?? '', /https, http or both/);
    assert.match(byPath.get('directory.scps[0].whenCreated') ?? '', /ISO 8601/);
  });

  test('rules across sections: host references, zone contents, routes, SCPs, the autodisco configuration', () => {
    const doc: ScenarioInput = {
      ...minimal(),
      dns: {
        zones: [
          {
            origin: 'contoso.test',
            records: [
              { name: 'autodiscover', type: 'A', value: 'host:nothere' },
              { name: 'www.fabrikam.test.', type: 'A', value: '192.0.2.1' },
              { name: 'mail', type: 'CNAME', value: 'web.contoso.test' },
              { name: 'mail', type: 'A', value: 'host:web' },
            ],
          },
        ],
      },
      hosts: [
        {
          name: 'web',
          https: { port: 8443, certificate: { names: [] } },
          http: { port: 8443 },
          routes: [
            { path: '/x', answer: { status: 200 } },
            { path: '/X', answer: { status: 500 } },
          ],
        },
        {
          name: 'exchange',
          https: { certificate: { names: ['mail.contoso.test'] } },
          routes: [
            { path: '/plain', scheme: 'http', answer: { status: 200 } },
            {
              path: '*',
              answer: {
                delayMs: 100,
                // biome-ignore lint/suspicious/noThenProperty: scenario data, as an admin writes it
                then: { autodisco: { domains: [{ name: 'contoso.test' }], users: [{ email: 'x@fabrikam.test' }] } },
              },
            },
          ],
        },
      ],
      directory: {
        baseDN: 'DC=contoso,DC=test',
        scps: [
          { server: 'EX1', url: 'https://a/', pointer: 'LDAP://b', whenCreated: '2020-01-01' },
          { server: 'ex1', url: 'https://c/', whenCreated: '2020-01-01' },
        ],
      },
    };
    const problems = problemsOf(() => validateScenario(doc, 'cross.yaml', { profiles: ['outlook'] }));
    const byPath = new Map(problems.map((p) => [p.path, p.message]));
    assert.deepEqual(
      [...byPath.keys()],
      [
        'hosts[0].https.certificate.names',
        'hosts[1].routes[0].scheme',
        'hosts[1].routes[1].answer.then.autodisco.users[0].email',
        'dns.zones[0].records[0].value',
        'dns.zones[0].records[1].name',
        'dns.zones[0].records[3].type',
        'directory.scps[0]',
        'directory.scps[1].server',
      ],
    );
    assert.match(
      byPath.get('dns.zones[0].records[0].value') ?? '',
      /no host is named "nothere" \(hosts: "web", "exchange"\)/,
    );
    assert.match(byPath.get('dns.zones[0].records[1].name') ?? '', /outside the zone/);
    assert.match(byPath.get('dns.zones[0].records[3].type') ?? '', /CNAME/);
    assert.match(byPath.get('hosts[1].routes[0].scheme') ?? '', /no http listener/);
    assert.match(byPath.get('hosts[1].routes[1].answer.then.autodisco.users[0].email') ?? '', /fabrikam\.test/);
    assert.match(byPath.get('directory.scps[0]') ?? '', /exactly one of url and pointer/);
  });

  test('a port used twice and a route no request can reach', () => {
    const doc: ScenarioInput = {
      ...minimal(),
      hosts: [
        {
          name: 'web',
          https: { port: 8443, certificate: { names: ['www.contoso.test'] } },
          http: { port: 8443 },
          routes: [
            { path: '/x', answer: { status: 200 } },
            { path: '/X', answer: { status: 500 } },
          ],
        },
      ],
    };
    assert.deepEqual(
      problemsOf(() => validateScenario(doc)),
      [
        { path: 'hosts[0].http.port', message: 'port 8443 is also the https port' },
        { path: 'hosts[0].routes[1].path', message: 'never used: routes[0] answers the same requests first' },
      ],
    );
  });

  test('expect keys are checked against the profiles when they are given', () => {
    const doc = { ...minimal(), expect: { outlok: 'settings' } };
    assert.equal(validateScenario(doc).expect?.['outlok'], 'settings');
    assert.deepEqual(
      problemsOf(() => validateScenario(doc, 's', { profiles: ['outlook', 'thunderbird'] })),
      [
        {
          path: 'expect.outlok',
          message: 'unknown client profile "outlok" (expected one of "outlook", "thunderbird")',
        },
      ],
    );
  });

  test('the message names the source and counts the problems', () => {
    try {
      validateScenario({ name: 'x' }, 'lab/x.yaml');
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof AutodiscoError);
      assert.equal(err.message, 'lab/x.yaml: 2 problem(s) in the scenario');
      assert.match(err.describe(), /^ {2}- title: /m);
    }
  });
});
