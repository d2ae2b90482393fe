/** Issue 9: configurations that try to fool the import (items 6, 9 and 10). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AutodiscoError } from '../../src/errors.js';
import { validateConfig } from '../../src/settings/validate.js';

function problemsOf(document: unknown): string[] {
  try {
    validateConfig(document);
  } catch (err) {
    assert.ok(err instanceof AutodiscoError);
    assert.equal(err.code, 'ADK_ERR_CONFIG_INVALID');
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the configuration to be refused');
}

const served = (name: string, extra: object = {}) => ({ name, imap: { host: `imap.${name}` }, ...extra });

describe('redirect cycles are refused, each named once', () => {
  test('A → B → A and A → B → C → A between domains', () => {
    assert.deepEqual(
      problemsOf({
        domains: [
          served('example.org'),
          { name: 'example.com', redirect: { domain: 'example.net' } },
          { name: 'example.net', redirect: { domain: 'example.com' } },
        ],
      }),
      ['domains[1].redirect.domain: example.com → example.net → example.com is a redirect cycle'],
    );
    assert.deepEqual(
      problemsOf({
        domains: [
          { name: 'c.test', redirect: { domain: 'a.test' } },
          { name: 'a.test', redirect: { domain: 'b.test' } },
          { name: 'b.test', redirect: { domain: 'c.test' } },
          { name: 'd.test', redirect: { domain: 'a.test' } }, // leads into the cycle: not a second report
        ],
      }),
      ['domains[0].redirect.domain: c.test → a.test → b.test → c.test is a redirect cycle'],
    );
  });

  test('a domain moved to its own alias', () => {
    assert.deepEqual(
      problemsOf({ domains: [{ name: 'example.com', aliases: ['example.org'], redirect: { domain: 'example.org' } }] }),
      ['domains[0].redirect.domain: example.com → example.org (an alias of example.com) is a redirect cycle'],
    );
  });

  test('users a → b → a by redirectAddr, and a user sent back by a domain move', () => {
    assert.deepEqual(
      problemsOf({
        domains: [served('example.com')],
        users: [
          { email: 'a@example.com', redirectAddr: 'b@example.com' },
          { email: 'b@example.com', redirectAddr: 'a@example.com' },
          { email: 'c@example.com', redirectAddr: 'a@example.com' },
        ],
      }),
      ['users[0].redirectAddr: a@example.com → b@example.com → a@example.com is a redirect cycle'],
    );
    assert.deepEqual(
      problemsOf({
        domains: [served('example.com'), { name: 'old.example', redirect: { domain: 'example.com' } }],
        users: [{ email: 'pat@example.com', redirectAddr: 'pat@old.example' }],
      }),
      ['users[0].redirectAddr: pat@example.com → pat@old.example → pat@example.com is a redirect cycle'],
    );
  });

  test('chains without a cycle stay valid', () => {
    const config = validateConfig({
      domains: [
        served('example.com'),
        { name: 'old.example', redirect: { domain: 'example.com' } },
        { name: 'older.example', redirect: { domain: 'old.example' } },
      ],
      users: [
        { email: 'a@example.com', redirectAddr: 'b@example.com' },
        { email: 'b@example.com', redirectAddr: 'c@example.com' },
        { email: 'x@old.example', redirectAddr: 'x@elsewhere.example' },
      ],
    });
    assert.equal(config.users.length, 3);
  });
});

describe('host names and addresses are never cut short', () => {
  test('each of / ? # \\ @ : % and spaces in a host name is a field error naming path and value', () => {
    for (const bad of [
      'mail.example.test/evil',
      'mail.example.test?x',
      'mail.example.test#x',
      'mail.example.test\\evil',
      'user@mail.example.test',
      'mail.example.test:993',
      'mail%2eexample.test',
      'mail example.test',
    ]) {
      const problems = problemsOf({ domains: [served('example.test', { imap: { host: bad } })] });
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.ok(
        problems[0]?.startsWith(`domains[0].imap.host: ${JSON.stringify(bad)} is not a valid host name: `),
        problems[0],
      );
    }
    assert.deepEqual(problemsOf({ domains: [{ name: 'example.test/evil' }] }), [
      'domains[0].name: "example.test/evil" is not a valid host name: "/" is not allowed in a host name (expected e.g. mail.example.com)',
    ]);
  });

  test('addresses, redirect domains, aliases and URLs are checked the same way', () => {
    const problems = problemsOf({
      domains: [
        served('example.test', {
          aliases: ['alias.test#x'],
          activeSync: { url: 'https://mail.example.test\\evil/Microsoft-Server-ActiveSync' },
          exchange: {
            server: 'mail.example.test',
            ews: { external: 'https://mail.example.test@evil.example/EWS/Exchange.asmx' },
          },
        }),
        { name: 'old.test', redirect: { domain: 'example.test/evil' } },
      ],
      users: [{ email: 'x@example.test/evil' }, { email: 'y@example.test', redirectAddr: 'y@example.test?evil' }],
    });
    const paths = problems.map((p) => p.slice(0, p.indexOf(':')));
    assert.deepEqual(paths.sort(), [
      'domains[0].activeSync.url',
      'domains[0].aliases[0]',
      'domains[0].exchange.ews.external',
      'domains[1].redirect',
      'users[0].email',
      'users[1].redirectAddr',
    ]);
    assert.ok(
      problems.includes(
        'users[0].email: "x@example.test/evil" is not an e-mail address (its domain: "/" is not allowed in a host name)',
      ),
      problems.join('\n'),
    );
  });
});

describe('every problem is listed at once', () => {
  test('a duplicate of an invalid record is reported with the record’s own problem', () => {
    const problems = problemsOf({
      domains: [served('example.test'), { name: 'Example.TEST', imap: { host: 'imap.example.test', port: 99999 } }],
      users: [{ email: 'a@example.test', displayName: '' }, { email: 'A@example.test' }],
    });
    assert.ok(
      problems.includes('domains[1].name: "example.test" is already used at domains[0].name'),
      problems.join('\n'),
    );
    assert.ok(problems.includes('users[1].email: "a@example.test" is already at users[0]'), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('domains[1].imap.port: ')));
    assert.ok(problems.some((p) => p.startsWith('users[0].displayName: ')));
  });

  test('an unknown top-level key does not hide the records’ problems', () => {
    const problems = problemsOf({
      domain: [],
      domains: [served('example.test', { imap: { host: 'a/b' } })],
      users: [{ email: 'nope' }],
    });
    assert.ok(problems.includes(': unknown key(s) "domain"'), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('domains[0].imap.host: ')));
    assert.ok(problems.some((p) => p.startsWith('users[0].email: ')));
  });
});

describe('the Outlook Anywhere principal name', () => {
  test('is a name or a wildcard name, with nothing after it', () => {
    const oa = (certPrincipalName: string) => ({
      domains: [
        {
          name: 'example.test',
          exchange: {
            server: 'mail.example.test',
            outlookAnywhere: { externalHost: 'mail.example.test', certPrincipalName },
          },
        },
      ],
    });
    assert.equal(
      validateConfig(oa('msstd:*.example.test')).domains[0]?.exchange?.outlookAnywhere?.certPrincipalName,
      'msstd:*.example.test',
    );
    assert.equal(validateConfig(oa('none')).domains.length, 1);
    for (const bad of ['msstd:mail.example.test/evil', 'msstd:mail.example.test evil', 'msstd:', 'mail.example.test']) {
      const problems = problemsOf(oa(bad));
      assert.equal(problems.length, 1);
      assert.match(problems[0] ?? '', /^domains\[0\]\.exchange\.outlookAnywhere\.certPrincipalName: expected msstd:/);
    }
  });
});
