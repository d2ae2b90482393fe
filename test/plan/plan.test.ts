/**
 * The planner against hand-worked examples. Every expected record, name and warning below was worked out by hand
 * from docs/protocol.md §1.1/§1.2/§8, docs/tls.md §1 and the seed's write-up, not by running the planner.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseDeploymentText, validateDeployment } from '../../src/plan/deployment.js';
import { fromConfig, fromDeployment } from '../../src/plan/input.js';
import { buildPlan, csrNames, type Plan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';
import { validateConfig } from '../../src/settings/validate.js';

const EXAMPLE = new URL('../../examples/deployment.example.yaml', import.meta.url);
const URL_GUID = '77378F46-2C66-4aa9-A6A6-3E7A48B19596';
const SERVICES_DN =
  'CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services';
const WEBMAIL_WHY =
  'mail namespace; internal and external URLs: OWA, ECP, EWS, OAB, ActiveSync, MAPI/HTTP; Outlook Anywhere internal and external host name; AutoDiscoverServiceInternalUri of CASServer (SCP: domain-joined Outlook)';
const FIX =
  'set AutoDiscoverServiceInternalUri (and internal URLs) to a name on the certificate, e.g. https://webmail.domain.com/Autodiscover/Autodiscover.xml';

function rootDomainWhy(d: string): string {
  return (
    `Outlook tries https://${d}/autodiscover/autodiscover.xml first; it is not planned to answer (rootDomain / --root-domain if it should). ` +
    `If a website answers HTTPS on ${d}, that website's certificate must include ${d}, not only www.${d}, or Outlook shows a certificate ` +
    `error and may never reach autodiscover.${d}; otherwise stop serving HTTPS on the bare domain.`
  );
}

function srvCaveat(domain: string, target: string): string {
  return (
    `Instead of autodiscover.${domain} (then that name need not be on the certificate, only ${target}). ` +
    `Outlook asks the user to allow https://${target}/autodiscover/autodiscover.xml to configure the account ` +
    '("Allow this website to configure … server settings?") unless the host is pre-approved in the RedirectServers registry value; ' +
    `Outlook tries SRV last, after https://autodiscover.${domain}/, which must then not resolve (or must fail cleanly: no wildcard DNS record ` +
    'sending it to a website); Windows Mail and Outlook for Mac ignore SRV.'
  );
}

function planOf(yaml: string): Plan {
  return buildPlan(fromDeployment(parseDeploymentText(yaml, 'test.yaml')));
}

const names = (plan: Plan) => plan.certificateNames.map((n) => [n.name, n.publicCaWillIssue]);

describe("the seed's deployment (examples/deployment.example.yaml)", () => {
  const plan = buildPlan(fromDeployment(parseDeploymentText(readFileSync(EXAMPLE, 'utf8'), 'example')));

  test('DNS: webmail.domain.com A to its public address, autodiscover.domain.com CNAME to it', () => {
    assert.deepEqual(plan.dnsRecords, [
      {
        view: 'external',
        zone: 'domain.com',
        name: 'webmail.domain.com',
        type: 'A',
        value: '203.0.113.10',
        ttl: 3600,
        why: WEBMAIL_WHY,
      },
      {
        view: 'external',
        zone: 'domain.com',
        name: 'autodiscover.domain.com',
        type: 'CNAME',
        value: 'webmail.domain.com',
        ttl: 3600,
        why: 'Outlook looks up https://autodiscover.domain.com/autodiscover/autodiscover.xml for @domain.com addresses',
      },
    ]);
    assert.equal(
      plan.zoneSnippet,
      [
        '; ===== external view (public DNS) =====',
        '; --- zone domain.com ---',
        `; ${WEBMAIL_WHY}`,
        'webmail.domain.com. 3600 IN A 203.0.113.10',
        '; Outlook looks up https://autodiscover.domain.com/autodiscover/autodiscover.xml for @domain.com addresses',
        'autodiscover.domain.com. 3600 IN CNAME webmail.domain.com.',
        '',
      ].join('\n'),
    );
  });

  test('certificate: exactly webmail.domain.com and autodiscover.domain.com; server names and the bare domain are not needed', () => {
    assert.deepEqual(plan.certificateNames, [
      { name: 'webmail.domain.com', why: WEBMAIL_WHY, publicCaWillIssue: true, group: 'exchange', port: 443 },
      {
        name: 'autodiscover.domain.com',
        why: "Outlook's Autodiscover URL for @domain.com addresses: https://autodiscover.domain.com/autodiscover/autodiscover.xml (or publish the SRV alternative instead)",
        publicCaWillIssue: true,
        group: 'exchange',
        port: 443,
      },
    ]);
    assert.deepEqual(csrNames(plan), ['webmail.domain.com', 'autodiscover.domain.com']);
    assert.deepEqual(plan.notNeeded, [
      { name: 'CASServer', why: "the server's NetBIOS name: no client URL uses it, so it stays off the certificate" },
      {
        name: 'casserver.domain.local',
        why: "the server's own FQDN: no client URL uses it, so it stays off the certificate",
      },
      { name: 'domain.com', why: rootDomainWhy('domain.com') },
    ]);
    assert.deepEqual(plan.warnings, []);
  });

  test('SCP: one URL SCP for CASServer with its site keyword, pointing at webmail.domain.com', () => {
    assert.deepEqual(plan.scpEntries, [
      {
        server: 'CASServer',
        site: 'Default-First-Site-Name',
        url: 'https://webmail.domain.com/Autodiscover/Autodiscover.xml',
        urlIsDefault: false,
        keywords: [URL_GUID, 'Site=Default-First-Site-Name'],
        dn: `CN=CASServer,CN=Autodiscover,CN=Protocols,CN=CASServer,${SERVICES_DN},<configurationNamingContext>`,
        whenCreated: null,
        command:
          'Set-ClientAccessService -Identity CASServer -AutoDiscoverServiceInternalUri https://webmail.domain.com/Autodiscover/Autodiscover.xml -AutoDiscoverSiteScope Default-First-Site-Name',
      },
    ]);
  });

  test('SRV alternative and wildcard', () => {
    assert.deepEqual(plan.srvAlternative, [
      {
        domain: 'domain.com',
        name: '_autodiscover._tcp.domain.com',
        target: 'webmail.domain.com',
        port: 443,
        record: '_autodiscover._tcp.domain.com. 3600 IN SRV 0 0 443 webmail.domain.com.',
        caveat: srvCaveat('domain.com', 'webmail.domain.com'),
      },
    ]);
    assert.deepEqual(plan.wildcard, {
      possible: true,
      wildcard: '*.domain.com',
      covers: ['webmail.domain.com', 'autodiscover.domain.com'],
      notCovered: [],
      note: 'One certificate for *.domain.com covers every name above. Outlook Anywhere clients then need the certificate principal name msstd:*.domain.com (Set-OutlookProvider EXPR -CertPrincipalName msstd:*.domain.com); Outlook 2007 on Windows XP fails with wildcard certificates.',
    });
  });

  test('the human output, section by section', () => {
    assert.equal(
      renderPlan(plan),
      [
        'DNS records (zone-file snippet)',
        '; ===== external view (public DNS) =====',
        '; --- zone domain.com ---',
        `; ${WEBMAIL_WHY}`,
        'webmail.domain.com. 3600 IN A 203.0.113.10',
        '; Outlook looks up https://autodiscover.domain.com/autodiscover/autodiscover.xml for @domain.com addresses',
        'autodiscover.domain.com. 3600 IN CNAME webmail.domain.com.',
        '',
        'SRV alternative (per domain, instead of autodiscover.<domain> on the certificate)',
        '_autodiscover._tcp.domain.com. 3600 IN SRV 0 0 443 webmail.domain.com.',
        `  ; ${srvCaveat('domain.com', 'webmail.domain.com')}`,
        '',
        'SCP entries (configuration naming context; one per Client Access server)',
        '  CASServer (site Default-First-Site-Name)',
        `    dn: CN=CASServer,CN=Autodiscover,CN=Protocols,CN=CASServer,${SERVICES_DN},<configurationNamingContext>`,
        '    serviceBindingInformation: https://webmail.domain.com/Autodiscover/Autodiscover.xml',
        `    keywords: ${URL_GUID}, Site=Default-First-Site-Name`,
        '    set with: Set-ClientAccessService -Identity CASServer -AutoDiscoverServiceInternalUri https://webmail.domain.com/Autodiscover/Autodiscover.xml -AutoDiscoverSiteScope Default-First-Site-Name',
        '',
        'Certificate names',
        `  webmail.domain.com       ${WEBMAIL_WHY}`,
        "  autodiscover.domain.com  Outlook's Autodiscover URL for @domain.com addresses: https://autodiscover.domain.com/autodiscover/autodiscover.xml (or publish the SRV alternative instead)",
        '',
        'Not needed on the certificate',
        "  CASServer               the server's NetBIOS name: no client URL uses it, so it stays off the certificate",
        "  casserver.domain.local  the server's own FQDN: no client URL uses it, so it stays off the certificate",
        `  domain.com              ${rootDomainWhy('domain.com')}`,
        '',
        'Wildcard',
        '  *.domain.com: one wildcard certificate could serve',
        '  covers: webmail.domain.com, autodiscover.domain.com',
        '  One certificate for *.domain.com covers every name above. Outlook Anywhere clients then need the certificate principal name msstd:*.domain.com (Set-OutlookProvider EXPR -CertPrincipalName msstd:*.domain.com); Outlook 2007 on Windows XP fails with wildcard certificates.',
        '',
        'Warnings',
        '  none',
        '',
      ].join('\n'),
    );
  });
});

describe('variations on the seed', () => {
  test("Exchange's default SCP URL names the NetBIOS server: required, but no public CA issues it", () => {
    const plan = planOf(`
acceptedDomains: [domain.com]
namespaces: { mail: webmail.domain.com }
servers: [{ name: CASServer }]
dns: { externalAddresses: [203.0.113.10] }
`);
    assert.deepEqual(names(plan), [
      ['webmail.domain.com', true],
      ['autodiscover.domain.com', true],
      ['casserver', false],
    ]);
    const netbios = plan.certificateNames[2];
    assert.equal(netbios?.why, 'AutoDiscoverServiceInternalUri of CASServer (SCP: domain-joined Outlook)');
    const warning = `casserver is a single-label (NetBIOS) name: no public CA will issue this; ${FIX}`;
    assert.equal(netbios?.warning, warning);
    assert.deepEqual(plan.warnings, [warning]);
    assert.equal(plan.scpEntries[0]?.url, 'https://CASServer/Autodiscover/Autodiscover.xml');
    assert.equal(plan.scpEntries[0]?.urlIsDefault, true);
    assert.equal(
      plan.scpEntries[0]?.command,
      'Set-ClientAccessService -Identity CASServer -AutoDiscoverServiceInternalUri https://webmail.domain.com/Autodiscover/Autodiscover.xml -AutoDiscoverSiteScope Default-First-Site-Name',
    );
    // The CSR asks a public CA only for what it will issue; the wildcard still covers the public names.
    assert.deepEqual(csrNames(plan), ['webmail.domain.com', 'autodiscover.domain.com']);
    assert.deepEqual(csrNames(plan, true), ['webmail.domain.com', 'autodiscover.domain.com', 'casserver']);
    assert.equal(plan.wildcard.possible, false);
    assert.deepEqual(plan.wildcard.notCovered, [
      { name: 'casserver', why: 'not a public name: no public CA issues it, wildcard or not' },
    ]);
    assert.equal(
      plan.wildcard.note,
      '*.domain.com covers every name a public CA will issue; casserver no public CA issues at all, wildcard or not: change the URLs that use it (see Warnings).',
    );
  });

  test('a new primary SMTP domain: autodiscover.newdomain.org in DNS (both views) and on the certificate; one wildcard no longer serves', () => {
    const plan = planOf(`
acceptedDomains: [newdomain.org, domain.com]
namespaces: { mail: webmail.domain.com }
dns: { externalAddresses: [203.0.113.10, '2001:db8::10'], internalAddresses: [10.0.0.10], ttl: 300 }
`);
    const why =
      'mail namespace; internal and external URLs: OWA, ECP, EWS, OAB, ActiveSync, MAPI/HTTP; Outlook Anywhere internal and external host name';
    const adWhy = (d: string) =>
      `Outlook looks up https://autodiscover.${d}/autodiscover/autodiscover.xml for @${d} addresses`;
    assert.deepEqual(
      plan.dnsRecords.map((r) => [r.view, r.zone, r.name, r.type, r.value, r.ttl, r.why]),
      [
        ['external', 'domain.com', 'webmail.domain.com', 'A', '203.0.113.10', 300, why],
        ['external', 'domain.com', 'webmail.domain.com', 'AAAA', '2001:db8::10', 300, why],
        [
          'external',
          'newdomain.org',
          'autodiscover.newdomain.org',
          'CNAME',
          'webmail.domain.com',
          300,
          adWhy('newdomain.org'),
        ],
        ['external', 'domain.com', 'autodiscover.domain.com', 'CNAME', 'webmail.domain.com', 300, adWhy('domain.com')],
        ['internal', 'domain.com', 'webmail.domain.com', 'A', '10.0.0.10', 300, why],
        [
          'internal',
          'newdomain.org',
          'autodiscover.newdomain.org',
          'CNAME',
          'webmail.domain.com',
          300,
          adWhy('newdomain.org'),
        ],
        ['internal', 'domain.com', 'autodiscover.domain.com', 'CNAME', 'webmail.domain.com', 300, adWhy('domain.com')],
      ],
    );
    // Grouped by zone in the snippet: domain.com's records together, then newdomain.org's.
    const lines = plan.zoneSnippet.split('\n').filter((l) => l !== '' && !l.startsWith('; '));
    assert.deepEqual(lines, [
      'webmail.domain.com. 300 IN A 203.0.113.10',
      'webmail.domain.com. 300 IN AAAA 2001:db8::10',
      'autodiscover.domain.com. 300 IN CNAME webmail.domain.com.',
      'autodiscover.newdomain.org. 300 IN CNAME webmail.domain.com.',
      'webmail.domain.com. 300 IN A 10.0.0.10',
      'autodiscover.domain.com. 300 IN CNAME webmail.domain.com.',
      'autodiscover.newdomain.org. 300 IN CNAME webmail.domain.com.',
    ]);
    assert.deepEqual(names(plan), [
      ['webmail.domain.com', true],
      ['autodiscover.newdomain.org', true],
      ['autodiscover.domain.com', true],
    ]);
    assert.deepEqual(
      plan.srvAlternative.map((s) => s.record),
      [
        '_autodiscover._tcp.newdomain.org. 300 IN SRV 0 0 443 webmail.domain.com.',
        '_autodiscover._tcp.domain.com. 300 IN SRV 0 0 443 webmail.domain.com.',
      ],
    );
    assert.equal(plan.srvAlternative[0]?.caveat, srvCaveat('newdomain.org', 'webmail.domain.com'));
    assert.deepEqual(plan.wildcard, {
      possible: false,
      wildcard: '*.domain.com',
      covers: ['webmail.domain.com', 'autodiscover.domain.com'],
      notCovered: [
        { name: 'autodiscover.newdomain.org', why: 'another domain: *.domain.com covers names in domain.com only' },
      ],
      note: "*.domain.com covers 2 of the 3 names; the others need their own entries (a SAN certificate, alone or next to the wildcard), or, for another domain's autodiscover name, its SRV alternative.",
    });
    assert.deepEqual(plan.scpEntries, []);
    assert.deepEqual(plan.warnings, []);
  });

  test('internal names: a .local internal namespace and a server FQDN in a URL get warnings; deeper names and the bare domain escape the wildcard', () => {
    const plan = planOf(`
acceptedDomains: [contoso.com]
namespaces: { mail: mail.contoso.com, internal: mail.contoso.local }
services:
  ecp: { external: null }
  ews: { internal: https://ex01.contoso.local/EWS/Exchange.asmx }
  activeSync: { external: https://eas.mobile.contoso.com/Microsoft-Server-ActiveSync }
outlookAnywhere: { internalHostname: null }
servers: [{ name: EX01, fqdn: ex01.contoso.local, autoDiscoverServiceInternalUri: https://mail.contoso.com/Autodiscover/Autodiscover.xml }]
rootDomain: true
`);
    assert.deepEqual(
      plan.certificateNames.map((n) => [n.name, n.why, n.publicCaWillIssue]),
      [
        [
          'mail.contoso.com',
          'mail namespace; external URLs: OWA, EWS, OAB, MAPI/HTTP; Outlook Anywhere external host name; AutoDiscoverServiceInternalUri of EX01 (SCP: domain-joined Outlook)',
          true,
        ],
        [
          'autodiscover.contoso.com',
          "Outlook's Autodiscover URL for @contoso.com addresses: https://autodiscover.contoso.com/autodiscover/autodiscover.xml (or publish the SRV alternative instead)",
          true,
        ],
        [
          'contoso.com',
          'root-domain Autodiscover URL https://contoso.com/autodiscover/autodiscover.xml (Outlook tries it first)',
          true,
        ],
        ['mail.contoso.local', 'internal URLs: OWA, ECP, OAB, ActiveSync, MAPI/HTTP', false],
        ['ex01.contoso.local', 'internal URLs: EWS', false],
        ['eas.mobile.contoso.com', 'external URLs: ActiveSync', true],
      ],
    );
    const localWarning = (n: string) =>
      `${n} ends in .local, which is not a public top-level domain: no public CA will issue this; ${FIX.replace('webmail.domain.com', 'mail.contoso.com')}`;
    assert.deepEqual(plan.warnings, [
      localWarning('mail.contoso.local'),
      localWarning('ex01.contoso.local'),
      'no address for mail.contoso.com: give dns.externalAddresses or dns.loadBalancer (or --address / --cname); the zone snippet has these records commented out',
      'mail.contoso.local is used inside only (internal URLs: OWA, ECP, OAB, ActiveSync, MAPI/HTTP): it needs a record in the internal DNS zone; give dns.internalAddresses to plan it',
      'contoso.com must reach the Client Access servers on port 443 for the root-domain URL, but the bare domain usually points at the website: forward /autodiscover/ from there; no DNS record is planned for it',
    ]);
    // The server FQDN is used by a URL, so it is not among the names "not needed"; the NetBIOS name is.
    assert.deepEqual(
      plan.notNeeded.map((n) => n.name),
      ['EX01'],
    );
    assert.deepEqual(plan.wildcard.covers, ['mail.contoso.com', 'autodiscover.contoso.com']);
    assert.deepEqual(plan.wildcard.notCovered, [
      { name: 'contoso.com', why: 'the bare domain: *.contoso.com does not cover contoso.com' },
      { name: 'mail.contoso.local', why: 'not a public name: no public CA issues it, wildcard or not' },
      { name: 'ex01.contoso.local', why: 'not a public name: no public CA issues it, wildcard or not' },
      {
        name: 'eas.mobile.contoso.com',
        why: 'two or more labels below contoso.com: a wildcard matches exactly one label',
      },
    ]);
    // No address given: the anchor's record is a placeholder, commented out in the snippet; the others CNAME to it.
    assert.deepEqual(
      plan.dnsRecords.map((r) => [r.name, r.type, r.value, r.placeholder ?? false]),
      [
        ['mail.contoso.com', 'A', '<address>', true],
        ['eas.mobile.contoso.com', 'CNAME', 'mail.contoso.com', false],
        ['autodiscover.contoso.com', 'CNAME', 'mail.contoso.com', false],
      ],
    );
    assert.ok(
      plan.zoneSnippet.includes('\n; mail.contoso.com. 3600 IN A <address>   <- address unknown: fill it in\n'),
    );
  });

  test('a load balancer, autoconfig, several servers and sites', () => {
    const plan = planOf(`
organization: Contoso, Ltd
acceptedDomains: [contoso.com]
namespaces: { mail: mail.contoso.com }
sites: [HQ, Branch]
servers:
  - { name: EX1, site: HQ, autoDiscoverServiceInternalUri: https://mail.contoso.com/Autodiscover/Autodiscover.xml, whenCreated: '2015-01-02' }
  - { name: EX2, site: Branch, siteScope: [Branch, HQ], domains: [contoso.com], autoDiscoverServiceInternalUri: https://mail.contoso.com/Autodiscover/Autodiscover.xml }
dns: { loadBalancer: lb.contoso.net, autoconfig: true }
`);
    assert.deepEqual(
      plan.dnsRecords.map((r) => `${r.name} ${r.type} ${r.value}`),
      [
        'mail.contoso.com CNAME lb.contoso.net',
        'autodiscover.contoso.com CNAME mail.contoso.com',
        'autoconfig.contoso.com CNAME mail.contoso.com',
      ],
    );
    assert.deepEqual(
      plan.certificateNames.map((n) => n.name),
      ['mail.contoso.com', 'autodiscover.contoso.com', 'autoconfig.contoso.com'],
    );
    assert.equal(
      plan.certificateNames[2]?.why,
      "Thunderbird's autoconfig URL for @contoso.com addresses: https://autoconfig.contoso.com/mail/config-v1.1.xml",
    );
    const org = 'CN=Contoso\\, Ltd,CN=Microsoft Exchange,CN=Services';
    assert.deepEqual(
      plan.scpEntries.map((e) => [e.server, e.keywords, e.dn, e.whenCreated, e.command]),
      [
        [
          'EX1',
          [URL_GUID, 'Site=HQ'],
          `CN=EX1,CN=Autodiscover,CN=Protocols,CN=EX1,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,${org},<configurationNamingContext>`,
          '2015-01-02',
          'Set-ClientAccessService -Identity EX1 -AutoDiscoverServiceInternalUri https://mail.contoso.com/Autodiscover/Autodiscover.xml -AutoDiscoverSiteScope HQ',
        ],
        [
          'EX2',
          [URL_GUID, 'Site=Branch', 'Site=HQ', 'Domain=contoso.com'],
          `CN=EX2,CN=Autodiscover,CN=Protocols,CN=EX2,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,${org},<configurationNamingContext>`,
          null,
          'Set-ClientAccessService -Identity EX2 -AutoDiscoverServiceInternalUri https://mail.contoso.com/Autodiscover/Autodiscover.xml -AutoDiscoverSiteScope Branch,HQ',
        ],
      ],
    );
    assert.equal(plan.wildcard.possible, true);
    assert.deepEqual(plan.wildcard.covers, ['mail.contoso.com', 'autodiscover.contoso.com', 'autoconfig.contoso.com']);
  });
});

describe('the server configuration (autodisco serve) as plan input', () => {
  const config = validateConfig({
    domains: [
      {
        name: 'example.com',
        aliases: ['example.net'],
        imap: { host: 'imap.example.com', security: 'tls' },
        smtp: { host: 'smtp.example.com', port: 587, security: 'starttls' },
        activeSync: { url: 'https://mail.example.com/Microsoft-Server-ActiveSync' },
        exchange: {
          server: 'mail.example.com',
          ews: {
            internal: 'https://exch01.corp.internal/EWS/Exchange.asmx',
            external: 'https://mail.example.com/EWS/Exchange.asmx',
          },
          outlookAnywhere: { externalHost: 'mail.example.com' },
        },
      },
      { name: 'other.org', autodiscoverHost: 'autodiscover.example.com' },
    ],
  });

  test('autodiscover.<d> and autoconfig.<d> for each domain and alias form the main certificate; service hosts are checked on their own', () => {
    const plan = buildPlan(fromConfig(config, { target: { addresses: ['198.51.100.7'] } }));
    assert.deepEqual(
      plan.certificateNames.map((n) => [n.name, n.group, n.port, n.publicCaWillIssue]),
      [
        ['autodiscover.example.com', 'autodisco', 443, true],
        ['autodiscover.example.net', 'autodisco', 443, true],
        ['autodiscover.other.org', 'autodisco', 443, true],
        ['autoconfig.example.com', 'autodisco', 443, true],
        ['autoconfig.example.net', 'autodisco', 443, true],
        ['autoconfig.other.org', 'autodisco', 443, true],
        ['imap.example.com', 'imap.example.com', 993, true],
        ['smtp.example.com', 'smtp.example.com', null, true],
        ['mail.example.com', 'mail.example.com', 443, true],
        ['exch01.corp.internal', 'exch01.corp.internal', 443, false],
      ],
    );
    assert.deepEqual(
      plan.certificateNames.slice(6).map((n) => n.why),
      [
        'IMAP server (port 993, TLS)',
        'SMTP server (port 587, STARTTLS)',
        'external URLs: ActiveSync, EWS; Outlook Anywhere external host name',
        'internal URLs: EWS',
      ],
    );
    assert.equal(
      plan.certificateNames[0]?.why,
      "Autodiscover host of other.org; Outlook's Autodiscover URL for @example.com addresses: https://autodiscover.example.com/autodiscover/autodiscover.xml",
    );
    assert.equal(
      plan.certificateNames[1]?.why,
      "Outlook's Autodiscover URL for @example.net (alias of example.com) addresses: https://autodiscover.example.net/autodiscover/autodiscover.xml (or publish the SRV alternative instead)",
    );
    assert.deepEqual(
      plan.dnsRecords.map((r) => `${r.zone}: ${r.name} ${r.type} ${r.value}`),
      [
        'example.com: autodiscover.example.com A 198.51.100.7',
        'example.net: autodiscover.example.net A 198.51.100.7',
        'other.org: autodiscover.other.org CNAME autodiscover.example.com',
        'example.com: autoconfig.example.com A 198.51.100.7',
        'example.net: autoconfig.example.net A 198.51.100.7',
        'other.org: autoconfig.other.org A 198.51.100.7',
      ],
    );
    // example.com's own SRV record would name autodiscover.example.com itself: no alternative to offer there.
    assert.deepEqual(
      plan.srvAlternative.map((s) => s.record),
      [
        '_autodiscover._tcp.example.net. 3600 IN SRV 0 0 443 autodiscover.example.com.',
        '_autodiscover._tcp.other.org. 3600 IN SRV 0 0 443 autodiscover.example.com.',
      ],
    );
    assert.deepEqual(plan.warnings, [
      'exch01.corp.internal ends in .internal, which is not a public top-level domain: no public CA will issue this; use a public DNS name for this host in the configuration',
    ]);
    assert.deepEqual(csrNames(plan), [
      'autodiscover.example.com',
      'autodiscover.example.net',
      'autodiscover.other.org',
      'autoconfig.example.com',
      'autoconfig.example.net',
      'autoconfig.other.org',
    ]);
    assert.deepEqual(plan.scpEntries, []);
  });

  test('without --address or --cname the records are placeholders, and a lab domain under .test is said not to be public', () => {
    const lab = validateConfig({ domains: [{ name: 'contoso.test' }] });
    const plan = buildPlan(fromConfig(lab));
    assert.deepEqual(
      plan.dnsRecords.map((r) => [r.name, r.value, r.placeholder]),
      [
        ['autodiscover.contoso.test', '<address>', true],
        ['autoconfig.contoso.test', '<address>', true],
      ],
    );
    const reserved = (n: string) =>
      `${n} ends in .test, reserved for testing (RFC 6761): fine in a lab with your own CA, but not a public name; no public CA will issue it`;
    assert.deepEqual(plan.warnings, [
      reserved('autodiscover.contoso.test'),
      reserved('autoconfig.contoso.test'),
      'no address for autodiscover.contoso.test and autoconfig.contoso.test: give --address or --cname; the zone snippet has these records commented out',
    ]);
    assert.deepEqual(csrNames(plan), []);
    assert.deepEqual(csrNames(plan, true), ['autodiscover.contoso.test', 'autoconfig.contoso.test']);
    assert.equal(plan.wildcard.possible, false);
    assert.equal(plan.wildcard.wildcard, undefined);
  });
});

describe('deployment validation', () => {
  test('every problem at once, with its path', () => {
    assert.throws(
      () =>
        validateDeployment({
          acceptedDomains: ['domain.com', 'Domain.COM'],
          namespaces: { mail: 'not a host' },
          sites: ['HQ'],
          servers: [
            { name: 'CAS_SERVER' },
            { name: 'EX1', site: 'Elsewhere' },
            { name: 'ex1', site: 'HQ', autoDiscoverServiceInternalUri: 'http://ex1/Autodiscover/Autodiscover.xml' },
          ],
          dns: { externalAddresses: ['203.0.113.300'], loadBalancer: 'lb.domain.com' },
          colour: 'blue',
        }),
      (err: unknown) => {
        const problems = (err as { problems: { path: string; message: string }[] }).problems.map((p) => p.path);
        assert.deepEqual(problems.sort(), [
          '',
          'dns.externalAddresses[0]',
          'namespaces.mail',
          'servers[0].name',
          'servers[2].autoDiscoverServiceInternalUri',
        ]);
        return true;
      },
    );
  });

  test('cross-field rules: duplicate servers and domains, sites, addresses and a load balancer together', () => {
    assert.throws(
      () =>
        validateDeployment({
          acceptedDomains: ['domain.com', 'Domain.COM'],
          namespaces: { mail: 'webmail.domain.com' },
          sites: ['HQ'],
          servers: [
            { name: 'EX1', site: 'HQ' },
            { name: 'ex1', site: 'Elsewhere', siteScope: ['HQ', 'Nowhere'] },
          ],
          dns: { externalAddresses: ['203.0.113.10'], loadBalancer: 'lb.domain.com' },
        }),
      (err: unknown) => {
        assert.deepEqual((err as { problems: unknown }).problems, [
          { path: 'servers[1].name', message: '"ex1" is already servers[0] (each server publishes one SCP)' },
          { path: 'servers[1].site', message: '"Elsewhere" is not one of sites' },
          { path: 'servers[1].siteScope[1]', message: '"Nowhere" is not one of sites' },
          { path: 'acceptedDomains[1]', message: '"domain.com" is already acceptedDomains[0]' },
          {
            path: 'dns.loadBalancer',
            message: 'give externalAddresses or loadBalancer, not both (a name with a CNAME has no other records)',
          },
        ]);
        return true;
      },
    );
  });
});
