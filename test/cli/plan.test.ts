/** `autodisco plan` and `autodisco publish scp` as a user runs them: output, files, exit codes 0 / 1 / 2. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer } from 'node:tls';
import { Client } from 'ldapts';
import { createDnsServer } from '../../src/dns/server.js';
import { buildScpDirectory } from '../../src/ldap/scp.js';
import { createDirectoryServer } from '../../src/ldap/server.js';
import { createAuthority, issueCertificate } from '../../src/pki/index.js';
import * as x509 from '../../src/pki/x509.js';
import { type CliResult, cli } from '../helpers/cli.js';

const EXAMPLE = 'examples/deployment.example.yaml';
const closers: Array<() => Promise<void>> = [];
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autodisco-plan-cli-'));
});
after(async () => {
  await Promise.all(closers.map((close) => close()));
  await rm(dir, { recursive: true, force: true });
});

describe('autodisco plan', () => {
  test("the seed's deployment: the plan on stdout, exit 0", async () => {
    const r = await cli(['plan', EXAMPLE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.startsWith('DNS records (zone-file snippet)\n'), r.stdout);
    for (const line of [
      'webmail.domain.com. 3600 IN A 203.0.113.10',
      'autodiscover.domain.com. 3600 IN CNAME webmail.domain.com.',
      '_autodiscover._tcp.domain.com. 3600 IN SRV 0 0 443 webmail.domain.com.',
      '    serviceBindingInformation: https://webmail.domain.com/Autodiscover/Autodiscover.xml',
      '  *.domain.com: one wildcard certificate could serve',
    ]) {
      assert.ok(r.stdout.includes(`\n${line}\n`), line);
    }
    const section = r.stdout.slice(r.stdout.indexOf('Certificate names\n'), r.stdout.indexOf('\n\nNot needed'));
    assert.deepEqual(
      section
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/)[0]),
      ['webmail.domain.com', 'autodiscover.domain.com'],
    );
  });

  test('--json: the plan object; --address and --ttl replace the file’s DNS target', async () => {
    const r = await cli(['plan', EXAMPLE, '--json', '--address', '198.51.100.20', '--ttl', '600']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(
      plan.certificateNames.map((n: { name: string }) => n.name),
      ['webmail.domain.com', 'autodiscover.domain.com'],
    );
    assert.deepEqual(
      plan.dnsRecords.map((d: { name: string; type: string; value: string; ttl: number }) => [
        d.name,
        d.type,
        d.value,
        d.ttl,
      ]),
      [
        ['webmail.domain.com', 'A', '198.51.100.20', 600],
        ['autodiscover.domain.com', 'CNAME', 'webmail.domain.com', 600],
      ],
    );
    assert.equal(plan.wildcard.possible, true);
    assert.equal('csr' in plan, false);
    assert.equal('check' in plan, false);
  });

  test('--csr writes key.pem (0600) and request.csr with exactly the certificate names', async () => {
    const out = join(dir, 'csr');
    const r = await cli(['plan', EXAMPLE, '--csr', out, '--key-type', 'ecdsa']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.stdout.includes(
        `\nCSR\n  ${join(out, 'request.csr')}: webmail.domain.com, autodiscover.domain.com (subject CN=webmail.domain.com, ECDSA key)\n`,
      ),
      r.stdout,
    );
    const csr = new x509.Pkcs10CertificateRequest(await readFile(join(out, 'request.csr'), 'utf8'));
    assert.equal(csr.subject, 'CN=webmail.domain.com');
    const san = csr.getExtension('2.5.29.17');
    assert.ok(san instanceof x509.SubjectAlternativeNameExtension);
    assert.deepEqual(san.names.toJSON(), [
      { type: 'dns', value: 'webmail.domain.com' },
      { type: 'dns', value: 'autodiscover.domain.com' },
    ]);
    assert.equal((await stat(join(out, 'key.pem'))).mode & 0o777, 0o600);
    // Run again: the key is never overwritten, and that is a usage error.
    const again = await cli(['plan', EXAMPLE, '--csr', out]);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /key\.pem already exists there \(it is never overwritten\) \[ADK_ERR_INVALID_ARGUMENT\]/,
    );
  });

  test('--csr into a file, below a file or below a missing folder: one line, nothing created', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const cases: [string, string][] = [
      [file, 'a file of that name exists; give a folder'],
      [join(file, 'sub'), 'a part of the path is not a folder'],
      [join(dir, 'missing', 'csr'), 'its parent folder does not exist (only the last folder is created)'],
    ];
    for (const [target, why] of cases) {
      const r = await cli(['plan', EXAMPLE, '--csr', target]);
      assert.equal(r.code, 1, target);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `autodisco: --csr ${target}: ${why} [ADK_ERR_OUTPUT]\n`);
    }
    await assert.rejects(stat(join(dir, 'missing')));
  });

  test('--config plans from the server configuration', async () => {
    const file = join(dir, 'settings.yaml');
    await writeFile(
      file,
      'domains:\n  - name: example.com\n    aliases: [example.net]\n    imap: { host: imap.example.com, security: tls }\n',
    );
    const r = await cli(['plan', '--config', file, '--cname', 'autodisco.hoster.example.org', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(
      plan.dnsRecords.map((d: { name: string; type: string; value: string }) => `${d.name} ${d.type} ${d.value}`),
      [
        'autodiscover.example.com CNAME autodisco.hoster.example.org',
        'autodiscover.example.net CNAME autodisco.hoster.example.org',
        'autoconfig.example.com CNAME autodisco.hoster.example.org',
        'autoconfig.example.net CNAME autodisco.hoster.example.org',
      ],
    );
    assert.deepEqual(
      plan.certificateNames.map((n: { name: string; port: number | null }) => `${n.name}:${n.port}`),
      [
        'autodiscover.example.com:443',
        'autodiscover.example.net:443',
        'autoconfig.example.com:443',
        'autoconfig.example.net:443',
        'imap.example.com:993',
      ],
    );
  });

  test('usage mistakes exit 2 naming the option, the value and what was expected', async () => {
    const cases: [string[], RegExp][] = [
      [['plan'], /give a deployment file \(npx autodisco plan deployment\.yaml\) or --config <settings\.yaml>/],
      [
        ['plan', EXAMPLE, '--config', 'x.yaml'],
        /deployment file "examples\/deployment\.example\.yaml" and --config "x\.yaml": give one of them/,
      ],
      [['plan', EXAMPLE, '--address', 'webmail'], /--address "webmail": expected an IPv4 or IPv6 address/],
      [
        ['plan', EXAMPLE, '--address', '192.0.2.1', '--cname', 'lb.example.com'],
        /--address and --cname "lb\.example\.com": give one/,
      ],
      [['plan', EXAMPLE, '--cname', 'lb'], /--cname "lb": expected a host name/],
      [['plan', EXAMPLE, '--ttl', '-1'], /--ttl "-1": expected a whole number of seconds/],
      [['plan', EXAMPLE, '--key-type', 'dsa'], /--key-type "dsa": expected rsa or ecdsa/],
      [['plan', EXAMPLE, '--include-internal'], /--include-internal goes with --csr <dir>/],
      [
        ['plan', EXAMPLE, '--check', '--dns', 'dns.example'],
        /--dns "dns\.example": expected an IP address with an optional port/,
      ],
      [['plan', EXAMPLE, '--dns', '127.0.0.1'], /--dns is used by --check only; add --check/],
      [['plan', EXAMPLE, '--check', '--timeout', '0'], /--timeout "0": expected a whole number of milliseconds/],
      [
        ['plan', EXAMPLE, '--check', '--ca', 'nowhere.pem'],
        /--ca nowhere\.pem: cannot read the file: it does not exist \(ENOENT\)/,
      ],
      [
        ['plan', '--config', 'examples/example.test.yaml', '--root-domain'],
        /--root-domain: only for a deployment file/,
      ],
      [['publish', 'scp', EXAMPLE], /--ldap <url> is required \(or --dry-run to print the LDIF\)/],
      [['publish', 'scp', EXAMPLE, '--dry-run'], /--dry-run without --ldap needs --config-nc <dn>/],
      [
        ['publish', 'scp', EXAMPLE, '--ldap', 'http://dc1'],
        /--ldap "http:\/\/dc1": expected ldap:\/\/host\[:port\] or ldaps:\/\/host\[:port\]/,
      ],
      [
        ['publish', 'scp', EXAMPLE, '--ldap', 'ldap://127.0.0.1:1', '--bind-dn', 'CN=x'],
        /--bind-dn and --password-env go together/,
      ],
      [
        ['publish', 'scp', EXAMPLE, '--dry-run', '--config-nc', 'Configuration'],
        /--config-nc "Configuration": expected a DN/,
      ],
      [
        [
          'publish',
          'scp',
          EXAMPLE,
          '--ldap',
          'ldap://127.0.0.1:1',
          '--bind-dn',
          'CN=x',
          '--password-env',
          'AUTODISCO_UNSET_VAR',
        ],
        /--password-env AUTODISCO_UNSET_VAR: that environment variable is not set/,
      ],
    ];
    // A few at a time: twenty CLIs started at once on a loaded 2-core machine outran the CLI helper's timeout.
    const results: CliResult[] = [];
    for (let i = 0; i < cases.length; i += 4) {
      results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => cli(args)))));
    }
    results.forEach((r, i) => {
      const [args, pattern] = cases[i] as [string[], RegExp];
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    });
  });

  test('a deployment file with problems lists each with its path (exit 1, like import)', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'acceptedDomains: []\nnamespaces: { mail: webmail.domain.com }\nservers: [{ name: "CAS SERVER" }]\n',
    );
    const r = await cli(['plan', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /: 2 problem\(s\) \[ADK_ERR_CONFIG_INVALID\]/);
    assert.match(r.stderr, /\n {2}- acceptedDomains: /);
    assert.match(r.stderr, /\n {2}- servers\[0\]\.name: expected a NetBIOS computer name/);
  });
});

describe('autodisco plan --check', () => {
  let dnsServer: string;
  let caFile: string;

  before(async () => {
    const root = await createAuthority({ name: 'Plan CLI Test Root' });
    caFile = join(dir, 'root.pem');
    await writeFile(caFile, root.certPem);
    const leaf = await issueCertificate({ issuer: root, dnsNames: ['webmail.contoso.test'] });
    const sockets = new Set<Socket>();
    const tls = createServer({ cert: leaf.fullChainPem, key: leaf.keyPem }, (s) => s.on('error', () => {}));
    tls.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    tls.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => tls.listen(443, '127.58.1.1', resolve));
    closers.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
    });
    const complete = await issueCertificate({
      issuer: root,
      dnsNames: ['mail.fabrikam.test', 'autodiscover.fabrikam.test'],
    });
    const tls2 = createServer({ cert: complete.fullChainPem, key: complete.keyPem }, (s) => s.on('error', () => {}));
    tls2.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    tls2.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => tls2.listen(443, '127.58.1.3', resolve));
    closers.push(() => new Promise<void>((resolve) => tls2.close(() => resolve())));
    const dns = createDnsServer({
      address: '127.58.1.53',
      zones: [
        {
          origin: 'contoso.test',
          records: [
            { name: 'webmail', type: 'A', value: '127.58.1.1' },
            { name: 'autodiscover', type: 'CNAME', value: 'webmail.contoso.test' },
          ],
        },
        {
          origin: 'fabrikam.test',
          records: [
            { name: 'mail', type: 'A', value: '127.58.1.3' },
            { name: 'autodiscover', type: 'CNAME', value: 'mail.fabrikam.test' },
          ],
        },
      ],
    });
    dnsServer = (await dns.start()).server;
    closers.push(() => dns.close());
  });

  test('a served certificate lacking autodiscover.contoso.test: exit 1, the missing name per host', async () => {
    const file = join(dir, 'contoso.yaml');
    await writeFile(file, 'acceptedDomains: [contoso.test]\nnamespaces: { mail: webmail.contoso.test }\n');
    const r = await cli(['plan', file, '--check', '--dns', dnsServer, '--ca', caFile, '--timeout', '3000']);
    assert.equal(r.code, 1, r.stderr);
    const check = r.stdout.slice(r.stdout.indexOf('Certificate check\n'));
    assert.equal(
      check,
      [
        'Certificate check',
        '  webmail.contoso.test:443  PROBLEM',
        '    addresses: 127.58.1.1',
        '    certificate: CN=webmail.contoso.test; names: webmail.contoso.test',
        '    lacks: autodiscover.contoso.test',
        '  autodiscover.contoso.test:443  PROBLEM',
        '    addresses: 127.58.1.1',
        '    certificate: CN=webmail.contoso.test; names: webmail.contoso.test',
        '    lacks: autodiscover.contoso.test',
        '',
        'Root domains (Outlook tries https://<domain>/autodiscover/autodiscover.xml before autodiscover.<domain>)',
        '  contoso.test:443  ok',
        '    contoso.test has no address: Outlook skips https://contoso.test/autodiscover/autodiscover.xml at once',
        '2 of 2 host(s) have problems.',
        '',
      ].join('\n'),
    );
  });

  test('--json carries the check; exit 0 when every host serves every required name', async () => {
    const file = join(dir, 'fabrikam.yaml');
    await writeFile(file, 'acceptedDomains: [fabrikam.test]\nnamespaces: { mail: mail.fabrikam.test }\n');
    const r = await cli(['plan', file, '--check', '--dns', dnsServer, '--ca', caFile, '--json', '--timeout', '3000']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.check.ok, true);
    assert.deepEqual(
      out.check.hosts.map((h: { name: string; addresses: string[]; lacks: string[]; errors: string[] }) => [
        h.name,
        h.addresses,
        h.lacks,
        h.errors,
      ]),
      [
        ['mail.fabrikam.test', ['127.58.1.3'], [], []],
        ['autodiscover.fabrikam.test', ['127.58.1.3'], [], []],
      ],
    );
  });
});

describe('autodisco publish scp', () => {
  test('--dry-run --config-nc prints the LDIF on stdout and a summary on stderr', async () => {
    const r = await cli(['publish', 'scp', EXAMPLE, '--dry-run', '--config-nc', 'CN=Configuration,DC=domain,DC=local']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('version: 1\n\n# Autodiscover SCP of CASServer'), r.stdout);
    assert.ok(
      r.stdout.includes(
        '\ndn: CN=CASServer,CN=Autodiscover,CN=Protocols,CN=CASServer,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=domain,DC=local\nchangetype: add\n',
      ),
    );
    assert.ok(
      r.stdout.includes('\nserviceBindingInformation: https://webmail.domain.com/Autodiscover/Autodiscover.xml\n'),
    );
    assert.ok(!r.stdout.includes('whenCreated:'));
    assert.match(r.stderr, /^configuration naming context: CN=Configuration,DC=domain,DC=local\n {2}would add SCP /);
  });

  test('into a writable directory with --bind-dn / --password-env; the SCP reads back', async () => {
    const base = 'DC=domain,DC=local';
    const admin = `CN=Exchange Admin,CN=Users,${base}`;
    const server = createDirectoryServer({
      address: '127.58.1.2',
      writable: true,
      bind: [{ dn: admin, password: 'S3cret!' }],
      entries: [
        ...buildScpDirectory({ baseDN: base, scps: [] }),
        { dn: `CN=Users,${base}`, attributes: { objectClass: ['top', 'container'], cn: 'Users' } },
        { dn: admin, attributes: { objectClass: ['top', 'user'], cn: 'Exchange Admin' } },
      ],
    });
    const { url } = await server.start();
    closers.push(() => server.close());
    const args = ['publish', 'scp', EXAMPLE, '--ldap', url, '--bind-dn', admin, '--password-env', 'AD_PASSWORD'];
    const r = await cli(args, { env: { AD_PASSWORD: 'S3cret!' } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout.split('\n').map((l) => l.trim().split(/\s+/).slice(0, 2).join(' ')),
      ['configuration naming', 'added container', 'added container', 'added container', 'added SCP', ''],
    );
    const client = new Client({ url, timeout: 5000 });
    try {
      await client.bind(admin, 'S3cret!');
      const { searchEntries } = await client.search(`CN=Configuration,${base}`, {
        scope: 'sub',
        filter: '(&(objectClass=serviceConnectionPoint)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596))',
      });
      assert.deepEqual(
        searchEntries.map((e) => [e['serviceBindingInformation'], e['keywords']]),
        [
          [
            'https://webmail.domain.com/Autodiscover/Autodiscover.xml',
            ['77378F46-2C66-4aa9-A6A6-3E7A48B19596', 'Site=Default-First-Site-Name'],
          ],
        ],
      );
    } finally {
      await client.unbind();
    }
    const again = await cli([...args, '--json'], { env: { AD_PASSWORD: 'S3cret!' } });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      JSON.parse(again.stdout).entries.map((e: { outcome: string }) => e.outcome),
      ['unchanged'],
    );
  });
});
