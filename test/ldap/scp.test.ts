import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AutodiscoError } from '../../src/errors.js';
import { buildScpDirectory, SCP_POINTER_KEYWORD, SCP_URL_KEYWORD, scpDn } from '../../src/ldap/scp.js';
import { toGeneralizedTime } from '../../src/ldap/time.js';

const SERVERS =
  'CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=test';

describe('buildScpDirectory', () => {
  test('GUID constants are the ones MS-OXDISCO publishes, spelt the same way', () => {
    assert.equal(SCP_URL_KEYWORD, '77378F46-2C66-4aa9-A6A6-3E7A48B19596');
    assert.equal(SCP_POINTER_KEYWORD, '67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68');
  });

  test('generalized time is UTC with a .0Z fraction', () => {
    assert.equal(toGeneralizedTime(new Date('2019-03-04T05:06:07.890Z')), '20190304050607.0Z');
    assert.equal(toGeneralizedTime(new Date('0999-12-31T23:59:59Z')), '09991231235959.0Z');
  });

  test('builds the domain head, the Configuration NC, the Exchange containers and the SCPs, parents first', () => {
    const entries = buildScpDirectory({
      baseDN: 'DC=contoso,DC=test',
      scps: [
        {
          server: 'EX1',
          url: 'https://ex1.contoso.test/Autodiscover/Autodiscover.xml',
          sites: ['Default-First-Site-Name', 'Branch'],
          domains: ['contoso.test'],
          whenCreated: new Date('2019-03-04T05:06:07Z'),
        },
        { server: 'PTR1', pointer: 'LDAP://dc2.fabrikam.test:389', whenCreated: new Date('2020-01-01T00:00:00Z') },
      ],
    });
    assert.deepEqual(
      entries.map((e) => e.dn),
      [
        'DC=contoso,DC=test',
        'CN=Configuration,DC=contoso,DC=test',
        'CN=Services,CN=Configuration,DC=contoso,DC=test',
        'CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=test',
        'CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=test',
        'CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=test',
        'CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=test',
        SERVERS,
        `CN=EX1,${SERVERS}`,
        `CN=Protocols,CN=EX1,${SERVERS}`,
        `CN=Autodiscover,CN=Protocols,CN=EX1,${SERVERS}`,
        `CN=EX1,CN=Autodiscover,CN=Protocols,CN=EX1,${SERVERS}`,
        `CN=PTR1,${SERVERS}`,
        `CN=Protocols,CN=PTR1,${SERVERS}`,
        `CN=Autodiscover,CN=Protocols,CN=PTR1,${SERVERS}`,
        `CN=PTR1,CN=Autodiscover,CN=Protocols,CN=PTR1,${SERVERS}`,
      ],
    );
    assert.deepEqual(entries[0]?.attributes, { objectClass: ['top', 'domain', 'domainDNS'], dc: 'contoso' });
    assert.deepEqual(entries[1]?.attributes, { objectClass: ['top', 'configuration'], cn: 'Configuration' });
    assert.deepEqual(entries[11]?.attributes, {
      objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'],
      cn: 'EX1',
      serviceClassName: 'ms-Exchange-AutoDiscover-Service',
      serviceBindingInformation: ['https://ex1.contoso.test/Autodiscover/Autodiscover.xml'],
      keywords: [
        '77378F46-2C66-4aa9-A6A6-3E7A48B19596',
        'Site=Default-First-Site-Name',
        'Site=Branch',
        'Domain=contoso.test',
      ],
      whenCreated: '20190304050607.0Z',
      objectCategory: 'CN=Service-Connection-Point,CN=Schema,CN=Configuration,DC=contoso,DC=test',
    });
    assert.deepEqual(entries[15]?.attributes, {
      objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'],
      cn: 'PTR1',
      serviceClassName: 'ms-Exchange-AutoDiscover-Service',
      serviceBindingInformation: ['LDAP://dc2.fabrikam.test:389'],
      keywords: ['67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68'],
      whenCreated: '20200101000000.0Z',
      objectCategory: 'CN=Service-Connection-Point,CN=Schema,CN=Configuration,DC=contoso,DC=test',
    });
  });

  test('organization names are escaped in DNs', () => {
    assert.equal(
      scpDn('DC=a,DC=b', 'EX1', 'Contoso, Ltd'),
      'CN=EX1,CN=Autodiscover,CN=Protocols,CN=EX1,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=Contoso\\, Ltd,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=a,DC=b',
    );
    const entries = buildScpDirectory({ baseDN: 'DC=a,DC=b', organization: 'Contoso, Ltd', scps: [] });
    assert.equal(entries[4]?.attributes['cn'], 'Contoso, Ltd');
  });

  test('reports every problem with its path', () => {
    const when = new Date('2020-01-01T00:00:00Z');
    assert.throws(
      () =>
        buildScpDirectory({
          baseDN: 'contoso.test',
          scps: [
            { server: 'EX1', url: 'https://a', pointer: 'LDAP://b', whenCreated: when },
            { server: 'ex1', whenCreated: new Date('nope') },
            { server: ' ', url: 'https://c', whenCreated: when },
          ],
        }),
      (err: unknown) => {
        assert.ok(err instanceof AutodiscoError);
        assert.equal(err.code, 'ADK_ERR_INVALID_ARGUMENT');
        assert.deepEqual(err.problems, [
          { path: 'baseDN', message: '"contoso.test" is not a DN' },
          { path: 'scps[0]', message: 'give exactly one of url and pointer' },
          { path: 'scps[1].server', message: '"ex1" is used twice (the DN would repeat)' },
          { path: 'scps[1]', message: 'give exactly one of url and pointer' },
          { path: 'scps[1].whenCreated', message: 'is not a valid date' },
          { path: 'scps[2].server', message: 'is empty' },
        ]);
        return true;
      },
    );
  });
});
