import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyScpEntry, orderScpResults, type ScpEntry } from '../../src/discover/scp-order.js';

const URL_GUID = '77378F46-2C66-4aa9-A6A6-3E7A48B19596';
const PTR_GUID = '67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68';
const d = (iso: string) => new Date(iso);

function urlScp(dn: string, url: string, extra: string[], whenCreated?: string): ScpEntry {
  return {
    dn,
    serviceBindingInformation: [url],
    keywords: [URL_GUID, ...extra],
    ...(whenCreated !== undefined ? { whenCreated: d(whenCreated) } : {}),
  };
}

function pointerScp(dn: string, pointer: string, extra: string[] = []): ScpEntry {
  return { dn, serviceBindingInformation: [pointer], keywords: [PTR_GUID, ...extra] };
}

describe('orderScpResults', () => {
  test('own site first, then no site, then other sites; oldest first within each bucket', () => {
    const entries = [
      urlScp(
        'CN=OTHER',
        'https://other.contoso.test/Autodiscover/Autodiscover.xml',
        ['Site=London'],
        '2010-01-01T00:00:00Z',
      ),
      urlScp('CN=NEW', 'https://new.contoso.test/Autodiscover/Autodiscover.xml', [], '2021-06-01T00:00:00Z'),
      urlScp(
        'CN=PARIS2',
        'https://paris2.contoso.test/Autodiscover/Autodiscover.xml',
        ['Site=Paris'],
        '2020-01-01T00:00:00Z',
      ),
      urlScp('CN=OLD', 'https://old.contoso.test/Autodiscover/Autodiscover.xml', [], '2015-03-01T00:00:00Z'),
      urlScp(
        'CN=PARIS1',
        'https://paris1.contoso.test/Autodiscover/Autodiscover.xml',
        ['Site=London', 'site=PARIS'],
        '2018-01-01T00:00:00Z',
      ),
    ];
    const order = orderScpResults(entries, { site: 'Paris', domain: 'contoso.test' });
    assert.deepEqual(order, {
      pointersForDomain: [],
      urls: [
        {
          url: 'https://paris1.contoso.test/Autodiscover/Autodiscover.xml',
          priority: 1,
          site: ['London', 'PARIS'],
          whenCreated: d('2018-01-01T00:00:00Z'),
          dn: 'CN=PARIS1',
        },
        {
          url: 'https://paris2.contoso.test/Autodiscover/Autodiscover.xml',
          priority: 1,
          site: ['Paris'],
          whenCreated: d('2020-01-01T00:00:00Z'),
          dn: 'CN=PARIS2',
        },
        {
          url: 'https://old.contoso.test/Autodiscover/Autodiscover.xml',
          priority: 2,
          site: [],
          whenCreated: d('2015-03-01T00:00:00Z'),
          dn: 'CN=OLD',
        },
        {
          url: 'https://new.contoso.test/Autodiscover/Autodiscover.xml',
          priority: 2,
          site: [],
          whenCreated: d('2021-06-01T00:00:00Z'),
          dn: 'CN=NEW',
        },
        {
          url: 'https://other.contoso.test/Autodiscover/Autodiscover.xml',
          priority: 3,
          site: ['London'],
          whenCreated: d('2010-01-01T00:00:00Z'),
          dn: 'CN=OTHER',
        },
      ],
      duplicates: [],
    });
  });

  test('without a site every URL is priority 2 or 3 (not the Microsoft sample quirk of returning none)', () => {
    const entries = [
      urlScp('CN=A', 'https://a.contoso.test/x.xml', ['Site=Paris'], '2010-01-01T00:00:00Z'),
      urlScp('CN=B', 'https://b.contoso.test/x.xml', [], '2020-01-01T00:00:00Z'),
    ];
    for (const site of [undefined, '']) {
      const order = orderScpResults(entries, { domain: 'contoso.test', ...(site !== undefined ? { site } : {}) });
      assert.deepEqual(
        order.urls.map((u) => [u.dn, u.priority]),
        [
          ['CN=B', 2],
          ['CN=A', 3],
        ],
      );
    }
  });

  test('entries without whenCreated come last in their bucket, ties broken by DN', () => {
    const entries = [
      urlScp('CN=Z', 'https://z.test/a.xml', []),
      urlScp('CN=y', 'https://y.test/a.xml', []),
      urlScp('CN=C', 'https://c.test/a.xml', [], '2030-01-01T00:00:00Z'),
      urlScp('CN=B', 'https://b.test/a.xml', [], '2020-01-01T00:00:00Z'),
      urlScp('CN=A', 'https://a.test/a.xml', [], '2020-01-01T00:00:00Z'),
    ];
    const order = orderScpResults(entries, { site: 'Paris', domain: 'contoso.test' });
    assert.deepEqual(
      order.urls.map((u) => u.dn),
      ['CN=A', 'CN=B', 'CN=C', 'CN=y', 'CN=Z'],
    );
  });

  test('duplicate URLs (ignoring case) keep the first in client order', () => {
    const entries = [
      urlScp('CN=NOSITE', 'HTTPS://MAIL.contoso.test/Autodiscover/Autodiscover.xml', [], '2001-01-01T00:00:00Z'),
      urlScp(
        'CN=MINE',
        'https://mail.contoso.test/autodiscover/autodiscover.xml',
        ['Site=Paris'],
        '2020-01-01T00:00:00Z',
      ),
      urlScp('CN=OTHER', 'https://other.contoso.test/autodiscover/autodiscover.xml', [], '2002-01-01T00:00:00Z'),
    ];
    const order = orderScpResults(entries, { site: 'paris', domain: 'contoso.test' });
    assert.deepEqual(
      order.urls.map((u) => [u.dn, u.url, u.priority]),
      [
        ['CN=MINE', 'https://mail.contoso.test/autodiscover/autodiscover.xml', 1],
        ['CN=OTHER', 'https://other.contoso.test/autodiscover/autodiscover.xml', 2],
      ],
    );
    assert.deepEqual(
      order.duplicates.map((u) => [u.dn, u.url, u.priority]),
      [['CN=NOSITE', 'HTTPS://MAIL.contoso.test/Autodiscover/Autodiscover.xml', 2]],
    );
  });

  test('pointers: Domain= matched ignoring case, in search order; the first unscoped one is the fallback', () => {
    const entries = [
      pointerScp('CN=P-FAB', 'LDAP://dc.fabrikam.test', ['Domain=fabrikam.test']),
      pointerScp('CN=P-UNSCOPED1', 'LDAP://gc1.contoso.test:3268'),
      pointerScp('CN=P-SITE', 'LDAP://site.contoso.test', ['Site=Paris']),
      pointerScp('CN=P-CONTOSO', 'LDAP://dc2.contoso.test:389', ['domain=CONTOSO.TEST']),
      pointerScp('CN=P-UNSCOPED2', 'LDAP://gc2.contoso.test'),
      pointerScp('CN=P-BOTH', 'LDAP://dc3.contoso.test', ['Domain=fabrikam.test', 'Domain=contoso.test']),
      urlScp('CN=URL', 'https://mail.contoso.test/Autodiscover/Autodiscover.xml', []),
    ];
    const order = orderScpResults(entries, { site: 'Paris', domain: 'contoso.test' });
    assert.deepEqual(order.pointersForDomain, ['LDAP://dc2.contoso.test:389', 'LDAP://dc3.contoso.test']);
    assert.equal(order.fallbackPointer, 'LDAP://gc1.contoso.test:3268');
    assert.deepEqual(
      order.urls.map((u) => u.dn),
      ['CN=URL'],
    );
  });

  test('keyword GUIDs compare ignoring case; entries with neither GUID or no binding are skipped', () => {
    const lowerGuid: ScpEntry = {
      dn: 'CN=LOWER',
      serviceBindingInformation: ['https://lower.test/a.xml', 'https://ignored-second-value.test/a.xml'],
      keywords: [URL_GUID.toLowerCase()],
    };
    const upperPointer: ScpEntry = {
      dn: 'CN=UPPER',
      serviceBindingInformation: ['LDAP://upper.test'],
      keywords: [PTR_GUID.toUpperCase()],
    };
    const neither: ScpEntry = { dn: 'CN=N', serviceBindingInformation: ['https://n.test/a.xml'], keywords: ['x'] };
    const empty: ScpEntry = { dn: 'CN=E', serviceBindingInformation: [], keywords: [URL_GUID] };
    const ctx = { domain: 'contoso.test' };
    assert.deepEqual(classifyScpEntry(lowerGuid, ctx), {
      kind: 'url',
      url: 'https://lower.test/a.xml',
      priority: 2,
      site: [],
    });
    assert.deepEqual(classifyScpEntry(upperPointer, ctx), { kind: 'unscoped-pointer', pointer: 'LDAP://upper.test' });
    assert.deepEqual(classifyScpEntry(neither, ctx), {
      kind: 'unusable',
      reason: 'neither the URL nor the pointer keyword GUID',
    });
    assert.deepEqual(classifyScpEntry(empty, ctx), { kind: 'unusable', reason: 'no serviceBindingInformation' });
    assert.deepEqual(orderScpResults([lowerGuid, upperPointer, neither, empty], ctx), {
      pointersForDomain: [],
      fallbackPointer: 'LDAP://upper.test',
      urls: [{ url: 'https://lower.test/a.xml', priority: 2, site: [], dn: 'CN=LOWER' }],
      duplicates: [],
    });
  });

  test('no entries: nothing', () => {
    assert.deepEqual(orderScpResults([], { site: 'Paris', domain: 'contoso.test' }), {
      pointersForDomain: [],
      urls: [],
      duplicates: [],
    });
  });
});
