import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  baseDomain,
  checkAddress,
  fillTemplate,
  isAutodiscoverRedirectTarget,
  resolveLocation,
} from '../../src/discover/candidates.js';

describe('checkAddress: never a candidate above the user domain', () => {
  test('a normal address is normalised', () => {
    assert.deepEqual(checkAddress('Chris@Contoso.TEST'), {
      ok: true,
      address: { email: 'Chris@contoso.test', local: 'Chris', domain: 'contoso.test' },
    });
    const idn = checkAddress('a@bücher.example');
    assert.equal(idn.ok && idn.address.domain, 'xn--bcher-kva.example');
  });

  test('public suffixes, TLDs and IP literals are refused with the reason', () => {
    assert.deepEqual(checkAddress('x@co.uk'), {
      ok: false,
      reason: 'co.uk is a public suffix: no client may look for autodiscover.co.uk',
    });
    assert.deepEqual(checkAddress('x@github.io'), {
      ok: false,
      reason: 'github.io is a public suffix: no client may look for autodiscover.github.io',
    });
    assert.deepEqual(checkAddress('x@com'), {
      ok: false,
      reason: 'com is a top-level name: no client may look for autodiscover.com',
    });
    assert.equal(checkAddress('x@[127.0.0.1]').ok, false);
    assert.equal(checkAddress('no-at-sign').ok, false);
    assert.equal(checkAddress('x@example.co.uk').ok, true);
  });
});

describe('URLs', () => {
  test('templates are filled from the exact domain', () => {
    const address = { email: 'c@contoso.test', local: 'c', domain: 'contoso.test' };
    assert.equal(
      fillTemplate('https://autodiscover.{domain}/autodiscover/autodiscover.xml', address).href,
      'https://autodiscover.contoso.test/autodiscover/autodiscover.xml',
    );
    assert.equal(
      fillTemplate('https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={email}', address).search,
      '?emailaddress=c%40contoso.test',
    );
  });

  test('the HTTP redirect method only accepts https autodiscover.xml targets', () => {
    assert.equal(isAutodiscoverRedirectTarget(new URL('https://mail.x.test/autodiscover/autodiscover.xml')), true);
    assert.equal(isAutodiscoverRedirectTarget(new URL('https://mail.x.test/Autodiscover/v2/AutoDiscover.xml')), true);
    assert.equal(isAutodiscoverRedirectTarget(new URL('http://mail.x.test/autodiscover/autodiscover.xml')), false);
    assert.equal(isAutodiscoverRedirectTarget(new URL('https://mail.x.test/owa/')), false);
  });

  test('Location headers resolve against the request URL', () => {
    const base = new URL('http://autodiscover.x.test/autodiscover/autodiscover.xml');
    assert.equal(resolveLocation('/a', base)?.href, 'http://autodiscover.x.test/a');
    assert.equal(resolveLocation(['https://y.test/z'], base)?.href, 'https://y.test/z');
    assert.equal(resolveLocation(undefined, base), undefined);
    assert.equal(resolveLocation('http://[bad', base), undefined);
  });

  test('base domains compare organisations', () => {
    assert.equal(baseDomain('mail.contoso.test'), 'contoso.test');
    assert.equal(baseDomain('a.b.example.co.uk'), 'example.co.uk');
    assert.equal(baseDomain('outlook.office365.com'), 'office365.com');
  });
});
