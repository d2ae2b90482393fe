/**
 * Compiled answers (src/formats/template.ts, src/server/templates.ts) are the renderers' answers byte for byte:
 * random users (any text, XML's special characters, empty values, addresses at an alias) and every client
 * capability, compiled and filled, against the renderer run on the resolved answer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { renderAutoconfig } from '../../src/formats/autoconfig.js';
import { renderOutlookSettings } from '../../src/formats/pox/outlook-response.js';
import { compileAnswer } from '../../src/formats/template.js';
import type { Lookup } from '../../src/server/lookup.js';
import { AnswerTemplates } from '../../src/server/templates.js';
import { type Answer, resolveAnswer } from '../../src/settings/resolve.js';
import type { DomainSettings, UserRecord } from '../../src/settings/schema.js';
import { validateConfig } from '../../src/settings/validate.js';
import { exampleDocument } from '../helpers/app.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10) * 50;

/** The example domain, and a variant whose login names are built from the address's parts. */
function domains(): DomainSettings[] {
  const doc = exampleDocument();
  const config = validateConfig(doc, 'example');
  const example = config.domains[0]!;
  const patterned: DomainSettings = {
    ...example,
    imap: { ...example.imap!, username: '%EMAILLOCALPART%' },
    smtp: { ...example.smtp!, username: '%EMAILLOCALPART%+smtp@%EMAILDOMAIN%' },
  };
  const bare: DomainSettings = { ...example, exchange: undefined, pop3: undefined } as DomainSettings;
  return [example, patterned, bare];
}

const value = fc.option(
  fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('', '<&>"\'', 'Grüße 📫', '\u0001x', '\uE000\uE003')),
  { nil: undefined },
);
const user = fc.option(
  fc.record({ displayName: value, legacyDN: value, loginName: value, mailboxServer: value, mailboxId: value }),
  { nil: undefined },
);
const local = fc.oneof(fc.constantFrom('chris', "o'neil", 'a&b', 'x.y+z'), fc.stringMatching(/^[a-z0-9._+-]{1,12}$/));

function lookupOf(domain: DomainSettings, row: UserRecord | undefined, email: string) {
  const answer = resolveAnswer(domain, row, email);
  return { answer, email, domain, ...(row ? { user: row } : {}) } as Lookup & {
    answer: Extract<Answer, { kind: 'settings' }>;
  };
}

describe('compiled answers', () => {
  test('equal the renderers byte for byte for random users, addresses and capabilities', () => {
    const templates = new AnswerTemplates();
    const all = domains();
    fc.assert(
      fc.property(
        fc.constantFrom(...all),
        user,
        local,
        fc.constantFrom('example.test', 'example.org'),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (domain, fields, name, at, mapiHttp, exHttpInfo, negotiate) => {
          const email = `${name}@${at}`;
          const row: UserRecord | undefined = fields
            ? (Object.fromEntries(
                Object.entries({ email, ...fields }).filter(([, v]) => v !== undefined),
              ) as unknown as UserRecord)
            : undefined;
          const found = lookupOf(domain, row, email);
          assert.equal(found.answer.kind, 'settings');
          const caps = { mapiHttp, exHttpInfo, negotiate };
          const outlook = (a: typeof found.answer) => renderOutlookSettings(a.settings, caps);
          const variant = `outlook:${+mapiHttp}${+exHttpInfo}${+negotiate}`;
          assert.equal(templates.xml(found, variant, outlook), outlook(found.answer));
          const domainsListed = [domain.name, ...domain.aliases];
          const autoconfig = (a: typeof found.answer) => renderAutoconfig(a.settings, { domains: domainsListed });
          assert.equal(templates.xml(found, 'autoconfig', autoconfig), autoconfig(found.answer));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('a domain whose settings hold a marker character is rendered directly, never compiled', () => {
    const [example] = domains();
    const odd = { ...example!, displayName: 'Odd \uE002 name' };
    const render = (a: Extract<Answer, { kind: 'settings' }>) => renderAutoconfig(a.settings);
    assert.equal(compileAnswer(odd, 0, render), undefined);
    const found = lookupOf(odd, { email: 'chris@example.test', displayName: 'Chris' }, 'chris@example.test');
    assert.equal(new AnswerTemplates().xml(found, 'autoconfig', render), render(found.answer));
  });

  test('each template is compiled once per domain, variant and user shape, and anew when the settings change', () => {
    const [example] = domains();
    let renders = 0;
    const render = (a: Extract<Answer, { kind: 'settings' }>) => {
      renders++;
      return renderAutoconfig(a.settings);
    };
    const templates = new AnswerTemplates();
    for (const name of ['a', 'b', 'c']) {
      templates.xml(
        lookupOf(example!, { email: `${name}@example.test`, loginName: name }, `${name}@example.test`),
        'v',
        render,
      );
    }
    assert.equal(renders, 1);
    templates.xml(lookupOf(example!, undefined, 'd@example.test'), 'v', render);
    assert.equal(renders, 2, 'another user shape: another template');
    // The store hands out a new settings object when the settings change.
    const changed = { ...example!, displayName: 'Renamed' };
    const out = templates.xml(lookupOf(changed, undefined, 'd@example.test'), 'v', render);
    assert.equal(renders, 3);
    assert.match(out, /Renamed/);
  });
});
