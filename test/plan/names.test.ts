/** Which names a public CA will certify (CA/B BR: no Internal Names, no reserved IPs, no public suffixes). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyName, wildcardIssuable } from '../../src/plan/names.js';

test('public names, NetBIOS names, internal and reserved TLDs, public suffixes and IP addresses', () => {
  const cases: [string, string, boolean][] = [
    ['webmail.domain.com', 'public', true],
    ['autodiscover.newdomain.org', 'public', true],
    ['mail.example.co.uk', 'public', true],
    ['casserver', 'single-label', false],
    ['cas01.domain.local', 'internal', false],
    ['mail.corp', 'internal', false],
    ['ex.contoso.lan', 'internal', false],
    ['ex.contoso.internal', 'internal', false],
    ['nas.home.arpa', 'internal', false],
    ['mail.contoso.test', 'reserved', false],
    ['mail.example', 'reserved', false],
    ['co.uk', 'public-suffix', false],
    ['10.0.0.5', 'private-ip', false],
    ['fd00::5', 'private-ip', false],
    ['8.8.8.8', 'public-ip', true],
  ];
  assert.deepEqual(
    cases.map(([name]) => {
      const c = classifyName(name);
      return [name, c.kind, c.publicCaWillIssue];
    }),
    cases,
  );
  assert.equal(classifyName('cas01.domain.local').reason, 'ends in .local, which is not a public top-level domain');
  assert.equal(classifyName('nas.home.arpa').reason, 'ends in .home.arpa, which is not a public top-level domain');
  assert.equal(classifyName('casserver').reason, 'is a single-label (NetBIOS) name');
});

test('a wildcard needs a parent a CA can validate: not a public suffix, not internal', () => {
  assert.equal(wildcardIssuable('domain.com'), true);
  assert.equal(wildcardIssuable('example.co.uk'), true);
  assert.equal(wildcardIssuable('co.uk'), false);
  assert.equal(wildcardIssuable('com'), false);
  assert.equal(wildcardIssuable('domain.local'), false);
  assert.equal(wildcardIssuable('contoso.test'), false);
});
