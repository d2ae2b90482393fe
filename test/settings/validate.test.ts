import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AutodiscoError } from '../../src/errors.js';
import { parseConfigText, validateConfig } from '../../src/settings/validate.js';
import { exampleDocument } from '../helpers/app.js';

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AutodiscoError);
    assert.equal(err.code, 'ADK_ERR_CONFIG_INVALID');
    return err.problems;
  }
  assert.fail('expected the configuration to be refused');
}

describe('validateConfig', () => {
  test('the example configuration is valid and defaults are applied', () => {
    const config = validateConfig(exampleDocument());
    const d = config.domains[0];
    assert.equal(d?.name, 'example.test');
    assert.equal(d?.pop3?.authentication, 'password-cleartext');
    assert.equal(d?.pop3?.username, '%EMAILADDRESS%');
    assert.equal(d?.unknownUsers, 'domain');
    assert.equal(config.users.length, 4);
  });

  test('host names and addresses are normalised to lower-case ASCII', () => {
    const config = validateConfig({
      domains: [{ name: 'Bücher.Example.', imap: { host: 'IMAP.Bücher.example' } }],
      users: [{ email: 'Chris@BÜCHER.example' }],
    });
    assert.equal(config.domains[0]?.name, 'xn--bcher-kva.example');
    assert.equal(config.domains[0]?.imap?.host, 'imap.xn--bcher-kva.example');
    assert.equal(config.users[0]?.email, 'chris@xn--bcher-kva.example');
  });

  test('every problem is listed at once, each with its path and the value found', () => {
    const problems = problemsOf(() =>
      validateConfig({
        domains: [
          { name: 'ok.test', imap: { host: 'imap.ok.test', port: 'nine-nine-three', security: 'ssl' }, colour: 'blue' },
          { name: 'bad host!', activeSync: { url: 'http://mail.ok.test/eas' } },
        ],
        users: [{ email: 'not-an-address', redirectUrl: 'ftp://x' }],
      }),
    );
    const byPath = new Map(problems.map((p) => [p.path, p.message]));
    assert.match(byPath.get('domains[0].imap.port') ?? '', /expected number.*"nine-nine-three"/);
    assert.match(byPath.get('domains[0].imap.security') ?? '', /tls.*starttls.*none/);
    assert.match(byPath.get('domains[0]') ?? '', /unknown key\(s\) "colour"/);
    assert.match(byPath.get('domains[1].name') ?? '', /"bad host!" is not a valid host name/);
    assert.match(byPath.get('domains[1].activeSync.url') ?? '', /https:\/\//);
    assert.match(byPath.get('users[0].email') ?? '', /"not-an-address" is not an e-mail address/);
    assert.match(byPath.get('users[0].redirectUrl') ?? '', /URL/);
    assert.equal(problems.length, 7);
  });

  test('cross-record problems: duplicates, alias collisions, users of unserved domains, loops', () => {
    const problems = problemsOf(() =>
      validateConfig({
        domains: [
          { name: 'a.test', aliases: ['b.test'] },
          { name: 'b.test' },
          { name: 'c.test', redirect: { domain: 'c.test' } },
        ],
        users: [
          { email: 'x@a.test' },
          { email: 'X@A.test' },
          { email: 'y@nowhere.test' },
          { email: 'z@a.test', redirectAddr: 'z@a.test' },
        ],
      }),
    );
    const messages = problems.map((p) => `${p.path}: ${p.message}`);
    assert.ok(
      messages.includes('domains[1].name: "b.test" is already used at domains[0].aliases[0]'),
      messages.join('\n'),
    );
    assert.ok(
      messages.includes('domains[2].redirect.domain: c.test → c.test is a redirect cycle'),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.startsWith('users[3]') && m.includes('loop')),
      messages.join('\n'),
    );
  });

  test('users are checked against domains only when the records themselves are valid', () => {
    const problems = problemsOf(() =>
      validateConfig({
        domains: [{ name: 'a.test' }],
        users: [{ email: 'x@a.test' }, { email: 'x@a.test' }, { email: 'y@nowhere.test' }],
      }),
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      ['users[1].email', 'users[2].email'],
    );
    assert.match(problems[1]?.message ?? '', /domain "nowhere.test" is not in domains/);
  });

  test('YAML syntax errors and duplicate keys are reported as unreadable', () => {
    assert.throws(() => parseConfigText('domains: [\n', 'f.yaml'), { code: 'ADK_ERR_CONFIG_UNREADABLE' });
    assert.throws(() => parseConfigText('domains: []\ndomains: []\n', 'f.yaml'), { code: 'ADK_ERR_CONFIG_UNREADABLE' });
  });

  test('describe() prints one line per problem for the CLI', () => {
    try {
      validateConfig({ domains: [{ name: 'a.test', ttl: -1 }] });
      assert.fail('expected a problem');
    } catch (err) {
      assert.ok(err instanceof AutodiscoError);
      assert.match(
        err.describe(),
        /^configuration: 1 problem\(s\); nothing was changed \[ADK_ERR_CONFIG_INVALID\]\n {2}- domains\[0\]\.ttl: /,
      );
    }
  });
});
