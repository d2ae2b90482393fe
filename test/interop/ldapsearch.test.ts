/**
 * The directory server read by an independent client: OpenLDAP's `ldapsearch` (Debian ldap-utils). Our other LDAP
 * tests use ldapts; ldapsearch is libldap, the C library most tools on a Linux box use. It reads the root DSE, runs
 * the SCP search with Microsoft's filter (in one go and with the paged-results control AD clients send), and binds
 * as a service account.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { DirectoryEntry } from '../../src/ldap/directory.js';
import { buildScpDirectory } from '../../src/ldap/scp.js';
import { createDirectoryServer, type DirectoryServer } from '../../src/ldap/server.js';
import { missingTool } from '../helpers/tools.js';

const run = promisify(execFile);
const missing = missingTool('ldapsearch', ['-VV'], 'ldap-utils');

const BASE = 'DC=contoso,DC=test';
const CONFIG = `CN=Configuration,${BASE}`;
const SVC = `CN=svc-autodisco,CN=Users,${BASE}`;
const PASSWORD = 'Secr3t! with spaces';
// MS-OXDISCO §2.2.1.2's filter, written out here rather than imported, so the test does not share a typo with src.
const SCP_FILTER =
  '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';

const SCPS = [
  { server: 'EX1', url: 'https://ex1.contoso.test/Autodiscover/Autodiscover.xml', sites: ['Paris'] },
  { server: 'EX2', url: 'https://ex2.contoso.test/Autodiscover/Autodiscover.xml' },
  { server: 'EX3', url: 'https://ex3.contoso.test/Autodiscover/Autodiscover.xml', sites: ['Lyon'] },
  { server: 'PTR1', pointer: 'LDAP://dc2.fabrikam.test:389', domains: ['fabrikam.test'] },
];

function fixture(): DirectoryEntry[] {
  return [
    ...buildScpDirectory({
      baseDN: BASE,
      scps: SCPS.map((s, i) => ({ ...s, whenCreated: new Date(Date.UTC(2019, 0, 1 + i)) })),
    }),
    // Same class, no Autodiscover keyword: the filter must leave it out.
    {
      dn: `CN=OtherScp,CN=Services,${CONFIG}`,
      attributes: {
        objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'],
        objectCategory: `CN=Service-Connection-Point,CN=Schema,${CONFIG}`,
        keywords: ['Something-Else'],
        serviceBindingInformation: 'https://other.contoso.test/',
      },
    },
    { dn: `CN=Users,${BASE}`, attributes: { objectClass: ['top', 'container'], cn: 'Users' } },
    { dn: SVC, attributes: { objectClass: ['top', 'person', 'user'], cn: 'svc-autodisco' } },
  ];
}

type LdifEntry = Record<string, string[]>;

/**
 * RFC 2849 as ldapsearch -LLL prints it: folded lines, `attr: value`, `attr:: base64`. Comment lines (`# …`, such as
 * the `# pagedresults: cookie=…` line after each page) are not entries.
 */
function parseLdif(text: string): LdifEntry[] {
  const lines = text
    .replace(/\n /g, '')
    .split('\n')
    .filter((line) => !line.startsWith('#'));
  return lines
    .join('\n')
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => {
      const entry: LdifEntry = {};
      for (const line of block.split('\n')) {
        const m = /^([^:]+)(::?) ?(.*)$/.exec(line);
        if (!m?.[1]) throw new Error(`not LDIF: ${line}`);
        const value = m[2] === '::' ? Buffer.from(m[3] ?? '', 'base64').toString('utf8') : (m[3] ?? '');
        const values = entry[m[1]] ?? [];
        values.push(value);
        entry[m[1]] = values;
      }
      return entry;
    });
}

interface SearchOutput {
  code: number;
  entries: LdifEntry[];
  stdout: string;
  stderr: string;
}

async function ldapsearch(args: readonly string[]): Promise<SearchOutput> {
  try {
    const { stdout, stderr } = await run('ldapsearch', ['-x', '-LLL', '-o', 'nettimeout=5', ...args]);
    return { code: 0, entries: parseLdif(stdout), stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, entries: parseLdif(e.stdout ?? ''), stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('ldapsearch against the directory server (anonymous)', () => {
  let server: DirectoryServer;
  let url: string;
  before(async () => {
    server = createDirectoryServer({ entries: fixture(), address: '127.0.0.1' });
    url = (await server.start()).url;
  });
  after(() => server.close());

  test('the root DSE names the configuration naming context', async (t) => {
    if (missing) return t.skip(missing);
    const { code, entries } = await ldapsearch(['-H', url, '-b', '', '-s', 'base', '(objectClass=*)', '+', '*']);
    assert.equal(code, 0);
    assert.equal(entries.length, 1);
    const dse = entries[0] ?? {};
    assert.deepEqual(dse['dn'], ['']);
    assert.deepEqual(dse['configurationNamingContext'], [CONFIG]);
    assert.deepEqual(dse['defaultNamingContext'], [BASE]);
    assert.deepEqual(dse['supportedLDAPVersion'], ['3']);
    assert.ok(dse['supportedControl']?.includes('1.2.840.113556.1.4.319'), 'announces paged results');
  });

  const scpSearch = (extra: readonly string[]) =>
    ldapsearch([
      '-H',
      url,
      '-b',
      CONFIG,
      '-s',
      'sub',
      ...extra,
      SCP_FILTER,
      'serviceBindingInformation',
      'keywords',
      'whenCreated',
    ]);

  const expected = SCPS.map((s) => ({
    binding: s.url ?? s.pointer ?? '',
    keywords: [
      s.pointer ? '67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68' : '77378F46-2C66-4aa9-A6A6-3E7A48B19596',
      ...(s.sites ?? []).map((x) => `Site=${x}`),
      ...(s.domains ?? []).map((x) => `Domain=${x}`),
    ],
  }));
  const found = (entries: LdifEntry[]) =>
    entries
      .map((e) => ({ binding: e['serviceBindingInformation']?.[0] ?? '', keywords: e['keywords'] ?? [] }))
      .sort((a, b) => a.binding.localeCompare(b.binding));
  const sorted = [...expected].sort((a, b) => a.binding.localeCompare(b.binding));

  test('the SCP search with the MS-OXDISCO filter finds the URL and pointer SCPs, and nothing else', async (t) => {
    if (missing) return t.skip(missing);
    const { code, entries } = await scpSearch([]);
    assert.equal(code, 0);
    assert.deepEqual(found(entries), sorted);
    for (const e of entries) {
      assert.match(e['dn']?.[0] ?? '', /^CN=(EX\d|PTR1),CN=Autodiscover,CN=Protocols,CN=\1,CN=Servers,/);
      assert.match(e['whenCreated']?.[0] ?? '', /^2019010\d000000\.0Z$/);
    }
  });

  test('the same search paged one entry at a time (the control AD clients send) returns the same entries', async (t) => {
    if (missing) return t.skip(missing);
    const before = server.log.length;
    const { code, entries, stdout } = await scpSearch(['-E', 'pr=1/noprompt']);
    assert.equal(code, 0);
    assert.deepEqual(found(entries), sorted);
    // libldap prints the cookie of each page; the last one is empty (RFC 2696 §3: the end of the results).
    const cookies = [...stdout.matchAll(/^# pagedresults: cookie=(.*)$/gm)].map((m) => m[1]);
    assert.ok(cookies.length >= SCPS.length, `one page per entry, got ${cookies.length}`);
    assert.equal(cookies.at(-1), '');
    assert.ok(cookies.slice(0, -1).every((c) => c !== ''));
    const searches = server.log.slice(before).filter((o) => o.op === 'search');
    assert.equal(searches.length, cookies.length, 'one search request per page');
  });

  test('a base that does not exist: noSuchObject (32), as libldap reports it', async (t) => {
    if (missing) return t.skip(missing);
    const { code, stderr } = await ldapsearch(['-H', url, '-b', `CN=Nope,${BASE}`, '-s', 'base', '(objectClass=*)']);
    assert.equal(code, 32);
    assert.match(stderr, /No such object/);
  });
});

describe('ldapsearch against the directory server (simple bind)', () => {
  let server: DirectoryServer;
  let url: string;
  let dir: string;
  before(async () => {
    server = createDirectoryServer({
      entries: fixture(),
      address: '127.0.0.1',
      bind: [{ dn: SVC, password: PASSWORD }],
    });
    url = (await server.start()).url;
    dir = await mkdtemp(join(tmpdir(), 'autodisco-ldapsearch-'));
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The password through a file (-y), never on the command line where `ps` shows it. */
  async function passwordFile(password: string): Promise<string> {
    const file = join(dir, `pw-${Math.random().toString(36).slice(2)}`);
    await writeFile(file, password, { mode: 0o600 });
    return file;
  }

  test('bound as the service account, the SCP search works', async (t) => {
    if (missing) return t.skip(missing);
    const pw = await passwordFile(PASSWORD);
    const { code, entries } = await ldapsearch(['-H', url, '-D', SVC, '-y', pw, '-b', CONFIG, SCP_FILTER, 'keywords']);
    assert.equal(code, 0);
    assert.equal(entries.length, SCPS.length);
  });

  test('a wrong password: invalidCredentials (49)', async (t) => {
    if (missing) return t.skip(missing);
    const pw = await passwordFile('wrong');
    const { code, stderr } = await ldapsearch(['-H', url, '-D', SVC, '-y', pw, '-b', CONFIG, SCP_FILTER]);
    assert.equal(code, 49);
    assert.match(stderr, /Invalid credentials/);
  });

  test('anonymous: the root DSE is readable, the configuration is not (operationsError, 1)', async (t) => {
    if (missing) return t.skip(missing);
    const dse = await ldapsearch(['-H', url, '-b', '', '-s', 'base', '(objectClass=*)', 'configurationNamingContext']);
    assert.equal(dse.code, 0);
    assert.deepEqual(dse.entries[0]?.['configurationNamingContext'], [CONFIG]);
    const scp = await ldapsearch(['-H', url, '-b', CONFIG, SCP_FILTER]);
    assert.equal(scp.code, 1);
    assert.match(scp.stderr, /Operations error/);
  });
});
