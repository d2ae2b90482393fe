/** `publish scp` against the in-process directory (writable), read back with ldapts as Outlook would search. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Client } from 'ldapts';
import { buildScpDirectory } from '../../src/ldap/scp.js';
import { createDirectoryServer, type DirectoryServer } from '../../src/ldap/server.js';
import { parseDeploymentText } from '../../src/plan/deployment.js';
import { fromDeployment, type PlanInput } from '../../src/plan/input.js';
import { publishScp, scpLdif } from '../../src/plan/publish.js';

const BASE = 'DC=domain,DC=local';
const CONFIG = `CN=Configuration,${BASE}`;
const SERVERS = `CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,${CONFIG}`;
const SCP = `CN=CASServer,CN=Autodiscover,CN=Protocols,CN=CASServer,${SERVERS}`;
const ADMIN = `CN=Exchange Admin,CN=Users,${BASE}`;
const PASSWORD = 'Pa55word!';
// From docs/protocol.md §1.1.1, not from src.
const SPEC_FILTER =
  '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';

const seed = (): PlanInput =>
  fromDeployment(
    parseDeploymentText(
      readFileSync(new URL('../../examples/deployment.example.yaml', import.meta.url), 'utf8'),
      'example',
    ),
  );

function directory(address: string): DirectoryServer {
  return createDirectoryServer({
    address,
    writable: true,
    bind: [{ dn: ADMIN, password: PASSWORD }],
    entries: [
      // An Exchange organisation whose server containers are not there yet.
      ...buildScpDirectory({ baseDN: BASE, scps: [] }),
      { dn: `CN=Users,${BASE}`, attributes: { objectClass: ['top', 'container'], cn: 'Users' } },
      { dn: ADMIN, attributes: { objectClass: ['top', 'person', 'user'], cn: 'Exchange Admin' } },
    ],
  });
}

test('--dry-run without a directory: the LDIF an Exchange setup would write, whenCreated left to the directory', () => {
  assert.equal(
    scpLdif(seed(), CONFIG),
    [
      'version: 1',
      '',
      '# Autodiscover SCP of CASServer (whenCreated is set by the directory)',
      '# its parent containers are not included: Exchange setup creates them (publish scp --ldap adds missing ones)',
      `dn: ${SCP}`,
      'changetype: add',
      'objectClass: top',
      'objectClass: leaf',
      'objectClass: connectionPoint',
      'objectClass: serviceConnectionPoint',
      'cn: CASServer',
      'keywords: 77378F46-2C66-4aa9-A6A6-3E7A48B19596',
      'keywords: Site=Default-First-Site-Name',
      'serviceBindingInformation: https://webmail.domain.com/Autodiscover/Autodiscover.xml',
      'serviceClassName: ms-Exchange-AutoDiscover-Service',
      '',
    ].join('\n'),
  );
});

test('LDIF writes values that are not SAFE-STRINGs (RFC 2849) in base64', () => {
  const input = fromDeployment(
    parseDeploymentText(
      `acceptedDomains: [domain.com]
namespaces: { mail: webmail.domain.com }
servers: [{ name: EX1, site: Zürich, autoDiscoverServiceInternalUri: https://webmail.domain.com/Autodiscover/Autodiscover.xml }]`,
      'x',
    ),
  );
  const ldif = scpLdif(input, CONFIG);
  assert.ok(ldif.includes(`\nkeywords:: ${Buffer.from('Site=Zürich').toString('base64')}\n`), ldif);
});

describe('publish scp over LDAP', () => {
  let server: DirectoryServer;
  let url: string;
  before(async () => {
    server = directory('127.58.2.1');
    url = (await server.start()).url;
  });
  after(() => server.close());

  test('a dry run reads the configuration NC from the root DSE, lists the missing containers and writes nothing', async () => {
    const report = await publishScp(seed(), { url, bindDn: ADMIN, password: PASSWORD, dryRun: true });
    assert.equal(report.configNc, CONFIG);
    assert.deepEqual(
      report.entries.map((e) => [e.kind, e.outcome, e.dn]),
      [
        ['container', 'added', `CN=CASServer,${SERVERS}`],
        ['container', 'added', `CN=Protocols,CN=CASServer,${SERVERS}`],
        ['container', 'added', `CN=Autodiscover,CN=Protocols,CN=CASServer,${SERVERS}`],
        ['scp', 'added', SCP],
      ],
    );
    assert.ok(
      report.ldif.includes(
        `\ndn: CN=Protocols,CN=CASServer,${SERVERS}\nchangetype: add\nobjectClass: top\nobjectClass: container\ncn: Protocols\n`,
      ),
    );
    assert.deepEqual(
      server.log.filter((o) => o.op === 'add'),
      [],
    );
  });

  test("publishing adds the containers and the SCP; Outlook's search finds it, with whenCreated set by the directory", async () => {
    const report = await publishScp(seed(), { url, bindDn: ADMIN, password: PASSWORD, dryRun: false });
    assert.equal(report.ok, true);
    assert.deepEqual(
      server.log.flatMap((o) => (o.op === 'add' ? [[o.dn, o.boundAs, o.resultCode]] : [])),
      [
        [`CN=CASServer,${SERVERS}`, ADMIN, 0],
        [`CN=Protocols,CN=CASServer,${SERVERS}`, ADMIN, 0],
        [`CN=Autodiscover,CN=Protocols,CN=CASServer,${SERVERS}`, ADMIN, 0],
        [SCP, ADMIN, 0],
      ],
    );

    const client = new Client({ url, timeout: 5000 });
    try {
      await client.bind(ADMIN, PASSWORD);
      const { searchEntries } = await client.search(CONFIG, {
        scope: 'sub',
        filter: SPEC_FILTER,
        attributes: ['cn', 'objectClass', 'serviceBindingInformation', 'keywords', 'serviceClassName', 'whenCreated'],
      });
      assert.equal(searchEntries.length, 1);
      const scp = searchEntries[0];
      assert.ok(scp);
      assert.equal(scp.dn, SCP);
      assert.equal(scp['cn'], 'CASServer');
      assert.deepEqual(scp['objectClass'], ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint']);
      assert.equal(scp['serviceBindingInformation'], 'https://webmail.domain.com/Autodiscover/Autodiscover.xml');
      assert.deepEqual(scp['keywords'], ['77378F46-2C66-4aa9-A6A6-3E7A48B19596', 'Site=Default-First-Site-Name']);
      assert.equal(scp['serviceClassName'], 'ms-Exchange-AutoDiscover-Service');
      assert.match(String(scp['whenCreated']), /^\d{14}\.0Z$/);
    } finally {
      await client.unbind();
    }
  });

  test('publishing again changes nothing; an SCP with another URL is reported and left alone', async () => {
    server.clearLog();
    const again = await publishScp(seed(), { url, bindDn: ADMIN, password: PASSWORD, dryRun: false });
    assert.equal(again.ok, true);
    assert.deepEqual(
      again.entries.map((e) => [e.kind, e.outcome]),
      [['scp', 'unchanged']],
    );
    assert.deepEqual(
      server.log.filter((o) => o.op === 'add'),
      [],
    );

    const moved = seed();
    const first = moved.servers[0];
    assert.ok(first);
    first.url = 'https://mail.domain.com/Autodiscover/Autodiscover.xml';
    const report = await publishScp(moved, { url, bindDn: ADMIN, password: PASSWORD, dryRun: false });
    assert.equal(report.ok, false);
    assert.deepEqual(report.entries, [
      {
        dn: SCP,
        kind: 'scp',
        server: 'CASServer',
        outcome: 'differs',
        detail:
          'the directory has https://webmail.domain.com/Autodiscover/Autodiscover.xml with keywords 77378F46-2C66-4aa9-A6A6-3E7A48B19596, Site=Default-First-Site-Name; left alone',
      },
    ]);
  });

  test('a second server in another site gets its own containers and Site= keyword; an explicit --config-nc is used as given', async () => {
    const input = fromDeployment(
      parseDeploymentText(
        `acceptedDomains: [domain.com]
namespaces: { mail: webmail.domain.com }
servers: [{ name: EX2, site: Branch, autoDiscoverServiceInternalUri: https://webmail.domain.com/Autodiscover/Autodiscover.xml }]`,
        'x',
      ),
    );
    const report = await publishScp(input, { url, bindDn: ADMIN, password: PASSWORD, configNc: CONFIG, dryRun: false });
    assert.equal(report.ok, true);
    const client = new Client({ url, timeout: 5000 });
    try {
      await client.bind(ADMIN, PASSWORD);
      const { searchEntries } = await client.search(CONFIG, {
        scope: 'sub',
        filter: SPEC_FILTER,
        attributes: ['keywords'],
      });
      assert.deepEqual(
        searchEntries.map((e) => [e.dn.split(',')[0], e['keywords']]),
        [
          ['CN=CASServer', ['77378F46-2C66-4aa9-A6A6-3E7A48B19596', 'Site=Default-First-Site-Name']],
          ['CN=EX2', ['77378F46-2C66-4aa9-A6A6-3E7A48B19596', 'Site=Branch']],
        ],
      );
    } finally {
      await client.unbind();
    }
  });
});

describe('publish scp failures', () => {
  let server: DirectoryServer;
  let url: string;
  before(async () => {
    server = directory('127.58.2.2');
    url = (await server.start()).url;
  });
  after(() => server.close());

  test('anonymous: the directory refuses the search (bind with --bind-dn)', async () => {
    await assert.rejects(publishScp(seed(), { url, dryRun: false }), {
      code: 'ADK_ERR_INVALID_ARGUMENT',
      message: /^cannot search the directory: .*LDAP result 1: 000004DC: .* \(bind with --bind-dn\?\)$/,
    });
  });

  test('a wrong password, and an organisation the directory does not have', async () => {
    await assert.rejects(publishScp(seed(), { url, bindDn: ADMIN, password: 'nope', dryRun: false }), {
      code: 'ADK_ERR_INVALID_ARGUMENT',
      message: /^--bind-dn CN=Exchange Admin,CN=Users,DC=domain,DC=local: the bind failed \(.*LDAP result 49/,
    });
    const other = { ...seed(), organization: 'Contoso' };
    await assert.rejects(publishScp(other, { url, bindDn: ADMIN, password: PASSWORD, dryRun: false }), {
      message: `the directory has no Exchange organization "Contoso" (CN=Contoso,CN=Microsoft Exchange,CN=Services,${CONFIG}); check organization in the deployment file and --config-nc`,
    });
    assert.deepEqual(
      server.log.filter((o) => o.op === 'add'),
      [],
    );
  });
});

test('a directory that refuses the writes: the first refused entry is reported, and nothing is claimed as added', async () => {
  // Anonymous-only and writable: anonymous connections may search, but only bound accounts may add (50).
  const server = createDirectoryServer({
    address: '127.58.2.3',
    writable: true,
    entries: buildScpDirectory({ baseDN: BASE, scps: [] }),
  });
  const { url } = await server.start();
  try {
    const report = await publishScp(seed(), { url, dryRun: false });
    assert.equal(report.ok, false);
    assert.equal(report.entries.length, 1);
    const failed = report.entries[0];
    assert.equal(failed?.outcome, 'failed');
    assert.equal(failed?.kind, 'container');
    assert.equal(failed?.dn, `CN=CASServer,${SERVERS}`);
    assert.match(failed?.detail ?? '', /: LDAP result 50: 00000005: SecErr: .*INSUFF_ACCESS_RIGHTS/);
    assert.equal(report.ldif, 'version: 1\n');
  } finally {
    await server.close();
  }
});
