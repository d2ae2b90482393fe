/**
 * The built-in scenarios (src/lab/scenarios/*.yaml): each validates, and each is brought up for real, one after
 * another on its own range (127.40.N.0/24), and checked from OUTSIDE with plain clients (node:dns, node:tls,
 * node:http(s), ldapts), independent of the discovery code: one or two checks per scenario that prove it is
 * what its title says. Then every client's `discover` runs against it, and its findings must be the ones the
 * scenario is about (EXPECTED_FINDINGS): a problem scenario names its problem, a fixed twin names none.
 */
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { after, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import Ajv2020 from 'ajv/dist/2020.js';
import { Client } from 'ldapts';
import { parse as parseYaml } from 'yaml';
import { FINDINGS } from '../../src/diagnose/catalogue.js';
import { PROFILE_NAMES } from '../../src/discover/profiles.js';
import type { ProfileName } from '../../src/discover/report.js';
import { AutodiscoError } from '../../src/errors.js';
import { listBuiltinScenarios, loadBuiltinScenario } from '../../src/lab/builtin.js';
import { type RunningLab, startLab } from '../../src/lab/lab.js';
import { validateScenario } from '../../src/lab/scenario.js';
import { fixture } from '../helpers/app.js';
import { discoverInLab } from '../helpers/lab-discover.js';

const DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------------------------
// Plain clients, pointed at one lab

function resolver(lab: RunningLab): Resolver {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([lab.dns]);
  return r;
}

async function addressOf(lab: RunningLab, name: string): Promise<string> {
  const [address] = await resolver(lab).resolve4(name);
  assert.ok(address, `${name} has no address`);
  return address;
}

interface Handshake {
  authorized: boolean;
  authorizationError: string | null;
  /** `DNS:a, DNS:b`, as Node prints it. */
  san: string | undefined;
  subjectCN: string | undefined;
  validTo: Date;
}

/** Resolves `name` through the lab's DNS, then a TLS handshake that sends `name` in SNI and trusts the lab root. */
async function handshake(lab: RunningLab, name: string, servername = name): Promise<Handshake> {
  const host = await addressOf(lab, name);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port: 443, servername, ca: lab.caPem, rejectUnauthorized: false });
    socket.setTimeout(2000, () => socket.destroy(new Error(`TLS handshake with ${name} timed out`)));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      resolve({
        authorized: socket.authorized,
        authorizationError: socket.authorizationError === null ? null : String(socket.authorizationError),
        san: cert.subjectaltname,
        subjectCN: Array.isArray(cert.subject?.CN) ? cert.subject.CN[0] : cert.subject?.CN,
        validTo: new Date(cert.valid_to),
      });
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** Whether anything accepts TCP connections on `name`:`port`. */
async function tcpOpen(lab: RunningLab, name: string, port: number): Promise<boolean> {
  const host = await addressOf(lab, name);
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP(S) request to a name of the lab: resolved through its DNS, Host and SNI set to the name. */
async function fetch(
  lab: RunningLab,
  url: string,
  options: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  const u = new URL(url);
  const address = await addressOf(lab, u.hostname);
  const tls = u.protocol === 'https:';
  const send = tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        method: options.method ?? 'GET',
        hostname: address,
        port: u.port || (tls ? 443 : 80),
        path: `${u.pathname}${u.search}`,
        headers: { host: u.host, ...(options.body ? { 'content-type': 'text/xml; charset=utf-8' } : {}) },
        agent: false,
        ...(tls ? { ca: lab.caPem, servername: u.hostname } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.setTimeout(options.timeoutMs ?? 2000, () =>
      req.destroy(Object.assign(new Error('client timeout'), { code: 'TIMEOUT' })),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The Outlook POX request for `email`, as Outlook sends it. */
function pox(email: string): string {
  return fixture('requests/outlook.xml').replace('chris@example.test', email);
}

/** SCP entries below the configuration naming context (filter from MS-OXDISCO, not from src). */
async function scps(lab: RunningLab): Promise<Map<string, Record<string, unknown>>> {
  const client = new Client({ url: lab.ldap ?? '', timeout: 2000, connectTimeout: 2000 });
  try {
    await client.bind('', '');
    const { searchEntries } = await client.search('CN=Configuration,DC=contoso,DC=test', {
      scope: 'sub',
      filter:
        '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))',
      attributes: ['cn', 'serviceBindingInformation', 'keywords', 'whenCreated'],
    });
    return new Map(searchEntries.map((e) => [String(e['cn']), e as Record<string, unknown>]));
  } finally {
    await client.unbind();
  }
}

/** An LDAP attribute as a list (ldapts gives a single value as a string). */
function values(attribute: unknown): string[] {
  return Array.isArray(attribute) ? attribute.map(String) : attribute === undefined ? [] : [String(attribute)];
}

// ---------------------------------------------------------------------------------------------------------------
// What each scenario must be, seen from outside

type Check = (lab: RunningLab) => Promise<void>;

async function certificateNames(lab: RunningLab, name: string, san: string, error: string | null): Promise<void> {
  const h = await handshake(lab, name);
  assert.equal(h.san, san, `certificate served for ${name}`);
  assert.equal(h.authorizationError, error, `verdict for ${name}`);
}

async function poxAnswer(lab: RunningLab, url: string, email: string, pattern: RegExp): Promise<void> {
  const r = await fetch(lab, url, { method: 'POST', body: pox(email) });
  assert.equal(r.status, 200, r.body);
  assert.match(r.body, pattern);
}

const EXCHANGE_SAN = 'DNS:autodiscover.contoso.test, DNS:mail.contoso.test';
const AUTODISCOVER = 'https://autodiscover.contoso.test/autodiscover/autodiscover.xml';
const SETTINGS = /<Action>settings<\/Action>/;

const SVC = 'https://autodiscover.contoso.test/autodiscover/autodiscover.svc';

/** A GetUserSettings request as MS-OXWSADISC §4.2 shows it (written here, not by src/). */
function getUserSettings(email: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:a="http://schemas.microsoft.com/exchange/2010/Autodiscover"
    xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Header>
    <a:RequestedServerVersion>Exchange2013</a:RequestedServerVersion>
    <wsa:Action>http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings</wsa:Action>
    <wsa:To>${SVC}</wsa:To>
  </soap:Header>
  <soap:Body>
    <a:GetUserSettingsRequestMessage><a:Request>
      <a:Users><a:User><a:Mailbox>${email}</a:Mailbox></a:User></a:Users>
      <a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting></a:RequestedSettings>
    </a:Request></a:GetUserSettingsRequestMessage>
  </soap:Body>
</soap:Envelope>`;
}

const EWS_URL_ANSWER = /<Name>ExternalEwsUrl<\/Name><Value>https:\/\/mail\.contoso\.test\/EWS\/Exchange\.asmx<\/Value>/;

const CHECKS: Record<string, Check> = {
  'ews-soap-only': async (lab) => {
    const soap = await fetch(lab, SVC, { method: 'POST', body: getUserSettings('chris@contoso.test') });
    assert.equal(soap.status, 200, soap.body);
    assert.match(soap.body, EWS_URL_ANSWER);
    const legacy = await fetch(lab, AUTODISCOVER, { method: 'POST', body: pox('chris@contoso.test') });
    assert.equal(legacy.status, 404);
    assert.equal(legacy.headers['x-soap-enabled'], 'True');
  },
  'ews-pox-only': async (lab) => {
    await poxAnswer(lab, AUTODISCOVER, 'chris@contoso.test', SETTINGS);
    const soap = await fetch(lab, SVC, { method: 'POST', body: getUserSettings('chris@contoso.test') });
    assert.equal(soap.status, 404);
    // The POX host still advertises SOAP (autodisco serves it; the proxy's rule drops the path).
    assert.equal((await fetch(lab, AUTODISCOVER)).headers['x-soap-enabled'], 'True');
  },
  'ews-soap-turned-off': async (lab) => {
    await poxAnswer(lab, AUTODISCOVER, 'chris@contoso.test', SETTINGS);
    const get = await fetch(lab, AUTODISCOVER);
    assert.equal(get.headers['x-soap-enabled'], undefined);
    assert.equal(get.headers['x-wssecurity-enabled'], undefined);
    const soap = await fetch(lab, SVC, { method: 'POST', body: getUserSettings('chris@contoso.test') });
    assert.equal(soap.status, 404);
  },
  'ews-svc-other-certificate': async (lab) => {
    await certificateNames(lab, 'autodiscover.contoso.test', EXCHANGE_SAN, null);
    await poxAnswer(lab, AUTODISCOVER, 'chris@contoso.test', SETTINGS);
    const soap = await fetch(lab, SVC, { method: 'POST', body: getUserSettings('chris@contoso.test') });
    assert.equal(soap.status, 302);
    assert.equal(soap.headers['location'], 'https://ex01.contoso.test/autodiscover/autodiscover.svc');
    await certificateNames(lab, 'ex01.contoso.test', 'DNS:ex01.contoso.test', 'DEPTH_ZERO_SELF_SIGNED_CERT');
  },
  'root-domain-trap': async (lab) => {
    // The website answers the bare domain with the www-only certificate; the Exchange host is fine.
    await certificateNames(lab, 'contoso.test', 'DNS:www.contoso.test', 'ERR_TLS_CERT_ALTNAME_INVALID');
    await certificateNames(lab, 'autodiscover.contoso.test', EXCHANGE_SAN, null);
    const r = await fetch(lab, 'https://www.contoso.test/autodiscover/autodiscover.xml', { method: 'POST', body: '' });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/html/);
  },
  'root-domain-fixed-san': async (lab) => {
    await certificateNames(lab, 'contoso.test', 'DNS:www.contoso.test, DNS:contoso.test', null);
  },
  'root-domain-fixed-no-tls': async (lab) => {
    assert.equal(await tcpOpen(lab, 'contoso.test', 443), false, 'nothing listens on contoso.test:443');
    assert.equal((await fetch(lab, 'http://contoso.test/')).status, 200);
  },
  'srv-hosting-provider': async (lab) => {
    const srv = await resolver(lab).resolveSrv('_autodiscover._tcp.fabrikam.test');
    assert.deepEqual(srv.map((r) => [r.priority, r.port, r.name]).sort(), [
      [0, 443, 'autodiscover.hoster.test'],
      [10, 8443, 'autodiscover-backup.hoster.test'],
    ]);
    await assert.rejects(resolver(lab).resolve4('autodiscover.fabrikam.test'), { code: 'ENOTFOUND' });
    assert.equal(await tcpOpen(lab, 'autodiscover-backup.hoster.test', 8443), false, 'port 8443 is not served');
    await certificateNames(
      lab,
      'autodiscover.hoster.test',
      'DNS:autodiscover.hoster.test, DNS:autodiscover-backup.hoster.test, DNS:mail.hoster.test',
      null,
    );
  },
  'scp-root-domain-prompt': async (lab) => {
    // The website's certificate on the root domain, an SCP that answers: the seed's last question.
    await certificateNames(lab, 'contoso.test', 'DNS:www.contoso.test', 'ERR_TLS_CERT_ALTNAME_INVALID');
    await certificateNames(lab, 'mail.contoso.test', 'DNS:autodiscover.contoso.test, DNS:mail.contoso.test', null);
    assert.ok(lab.ldap, 'the scenario has a directory');
  },
  'thunderbird-mx-provider': async (lab) => {
    assert.deepEqual(await resolver(lab).resolveMx('fabrikam.test'), [
      { priority: 10, exchange: 'mx1.mail.hoster.test' },
    ]);
    await assert.rejects(resolver(lab).resolve4('autoconfig.fabrikam.test'), { code: 'ENOTFOUND' });
    await assert.rejects(resolver(lab).resolve4('autoconfig.mail.hoster.test'), { code: 'ENOTFOUND' });
    await certificateNames(
      lab,
      'autoconfig.hoster.test',
      'DNS:autoconfig.hoster.test, DNS:imap.hoster.test, DNS:smtp.hoster.test, DNS:mx1.mail.hoster.test',
      null,
    );
  },
  'srv-hosting-provider-fixed': async (lab) => {
    assert.deepEqual(await resolver(lab).resolveCname('autodiscover.fabrikam.test'), ['autodiscover.hoster.test']);
    await certificateNames(lab, 'autodiscover.fabrikam.test', 'DNS:autodiscover.fabrikam.test', null);
    const srv = await resolver(lab).resolveSrv('_autodiscover._tcp.fabrikam.test');
    assert.deepEqual(
      srv.map((r) => r.port),
      [443],
    );
  },
  'hybrid-redirect-address': async (lab) => {
    // The on-premises server sends the moved user to the cloud address; the cloud answers with settings.
    await poxAnswer(
      lab,
      AUTODISCOVER,
      'chris@contoso.test',
      /<Action>redirectAddr<\/Action><RedirectAddr>chris@contoso\.cloud\.test</,
    );
    await certificateNames(
      lab,
      'autodiscover.contoso.cloud.test',
      'DNS:autodiscover.contoso.cloud.test, DNS:mail.cloud.test',
      null,
    );
    await poxAnswer(
      lab,
      'https://autodiscover.contoso.cloud.test/autodiscover/autodiscover.xml',
      'chris@contoso.cloud.test',
      SETTINGS,
    );
  },
  'http-redirect-method': async (lab) => {
    assert.equal(await tcpOpen(lab, 'autodiscover.adatum.test', 443), false);
    const r = await fetch(lab, 'http://autodiscover.adatum.test/autodiscover/autodiscover.xml');
    assert.equal(r.status, 302);
    assert.equal(r.headers['location'], 'https://mail.provider.test/autodiscover/autodiscover.xml');
    await poxAnswer(lab, 'https://mail.provider.test/autodiscover/autodiscover.xml', 'chris@adatum.test', SETTINGS);
  },
  'http-redirect-insecure': async (lab) => {
    const r = await fetch(lab, 'http://autodiscover.adatum.test/autodiscover/autodiscover.xml');
    assert.equal(r.status, 302);
    assert.equal(r.headers['location'], 'http://mail.provider.test/autodiscover/autodiscover.xml');
  },
  'http-autodiscover-content': async (lab) => {
    const r = await fetch(lab, 'http://autodiscover.adatum.test/autodiscover/autodiscover.xml');
    assert.equal(r.status, 200);
    assert.match(r.body, /<Autodiscover xmlns=/);
  },
  'new-smtp-domain': async (lab) => {
    assert.deepEqual(await resolver(lab).resolveMx('newdomain.test'), [
      { exchange: 'mail.olddomain.test', priority: 10 },
    ]);
    for (const name of ['autodiscover.newdomain.test', '_autodiscover._tcp.newdomain.test']) {
      await assert.rejects(resolver(lab).resolveAny(name), { code: 'ENOTFOUND' }, name);
    }
    await certificateNames(
      lab,
      'autodiscover.olddomain.test',
      'DNS:mail.olddomain.test, DNS:autodiscover.olddomain.test',
      null,
    );
  },
  'new-smtp-domain-fixed': async (lab) => {
    assert.deepEqual(await resolver(lab).resolveCname('autodiscover.newdomain.test'), ['mail.olddomain.test']);
    const h = await handshake(lab, 'autodiscover.newdomain.test');
    assert.equal(h.authorizationError, null);
    await poxAnswer(
      lab,
      'https://autodiscover.newdomain.test/autodiscover/autodiscover.xml',
      'chris@newdomain.test',
      SETTINGS,
    );
  },
  'new-smtp-domain-srv': async (lab) => {
    const srv = await resolver(lab).resolveSrv('_autodiscover._tcp.newdomain.test');
    assert.deepEqual(srv, [{ name: 'mail.olddomain.test', port: 443, priority: 0, weight: 0 }]);
    await assert.rejects(resolver(lab).resolve4('autodiscover.newdomain.test'), { code: 'ENOTFOUND' });
  },
  'new-smtp-domain-not-accepted': async (lab) => {
    await poxAnswer(
      lab,
      'https://autodiscover.newdomain.test/autodiscover/autodiscover.xml',
      'chris@newdomain.test',
      /<ErrorCode>500<\/ErrorCode>/,
    );
  },
  'scp-site-affinity': async (lab) => {
    const found = await scps(lab);
    assert.deepEqual([...found.keys()].sort(), ['EX-ANY', 'EX-LEGACY', 'EX-MUNICH', 'EX-SEATTLE']);
    assert.ok(values(found.get('EX-MUNICH')?.['keywords']).includes('Site=Munich'));
    assert.ok(!values(found.get('EX-ANY')?.['keywords']).some((k) => k.startsWith('Site=')));
    assert.equal(found.get('EX-LEGACY')?.['whenCreated'], '20140203090000.0Z');
    assert.equal(lab.scenario.directory?.clientSite, 'Munich');
    await certificateNames(
      lab,
      'ex-munich.contoso.test',
      'DNS:autodiscover.contoso.test, DNS:mail.contoso.test, DNS:ex-munich.contoso.test, DNS:ex-any.contoso.test, DNS:ex-seattle.contoso.test, DNS:ex-legacy.contoso.test',
      null,
    );
  },
  'scp-netbios-name': async (lab) => {
    const found = await scps(lab);
    assert.equal(found.get('EX1')?.['serviceBindingInformation'], 'https://EX1/Autodiscover/Autodiscover.xml');
    // The single-label name resolves in the lab, and the certificate does not carry it.
    assert.equal(await addressOf(lab, 'ex1'), lab.addresses.get('exchange'));
    await certificateNames(
      lab,
      'ex1',
      'DNS:mail.contoso.test, DNS:autodiscover.contoso.test',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  },
  'scp-fixed-internal-uri': async (lab) => {
    const found = await scps(lab);
    assert.equal(
      found.get('EX1')?.['serviceBindingInformation'],
      'https://autodiscover.contoso.test/Autodiscover/Autodiscover.xml',
    );
    assert.equal((await handshake(lab, 'autodiscover.contoso.test')).authorizationError, null);
  },
  'wildcard-outlook-anywhere': async (lab) => {
    await certificateNames(lab, 'mail.contoso.test', 'DNS:*.contoso.test', null);
    await poxAnswer(
      lab,
      AUTODISCOVER,
      'chris@contoso.test',
      /<CertPrincipalName>msstd:\*\.contoso\.test<\/CertPrincipalName>/,
    );
  },
  'wildcard-principal-mismatch': async (lab) => {
    await certificateNames(lab, 'mail.contoso.test', 'DNS:*.contoso.test', null);
    await poxAnswer(
      lab,
      AUTODISCOVER,
      'chris@contoso.test',
      /<CertPrincipalName>msstd:mail\.contoso\.test<\/CertPrincipalName>/,
    );
  },
  'wildcard-subdomain': async (lab) => {
    await certificateNames(lab, 'autodiscover.eu.contoso.test', 'DNS:*.contoso.test', 'ERR_TLS_CERT_ALTNAME_INVALID');
  },
  'wildcard-subdomain-fixed': async (lab) => {
    await certificateNames(
      lab,
      'autodiscover.eu.contoso.test',
      'DNS:*.contoso.test, DNS:autodiscover.eu.contoso.test',
      null,
    );
  },
  'wildcard-dns-shared-hosting': async (lab) => {
    // No record of its own: the wildcard answers, with the web host's address and default certificate.
    assert.equal(await addressOf(lab, 'autodiscover.contoso.test'), lab.addresses.get('webhost'));
    await certificateNames(lab, 'autodiscover.contoso.test', 'DNS:*.webhost.test', 'ERR_TLS_CERT_ALTNAME_INVALID');
    await certificateNames(lab, 'www.contoso.test', 'DNS:contoso.test, DNS:www.contoso.test', null);
  },
  'wildcard-dns-shared-hosting-fixed': async (lab) => {
    assert.equal(await addressOf(lab, 'autodiscover.contoso.test'), lab.addresses.get('exchange'));
    assert.equal(await addressOf(lab, 'anything.contoso.test'), lab.addresses.get('webhost'));
    await certificateNames(lab, 'autodiscover.contoso.test', EXCHANGE_SAN, null);
  },
  'self-signed-exchange': async (lab) => {
    assert.deepEqual(await resolver(lab).resolveCname('autodiscover.contoso.test'), ['ex01.contoso.test']);
    const h = await handshake(lab, 'autodiscover.contoso.test');
    assert.equal(h.subjectCN, 'EX01');
    assert.equal(h.san, 'DNS:ex01.contoso.test');
    assert.equal(h.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  },
  'self-signed-exchange-fixed': async (lab) => {
    await certificateNames(
      lab,
      'autodiscover.contoso.test',
      'DNS:autodiscover.contoso.test, DNS:mail.contoso.test, DNS:ex01.contoso.test',
      null,
    );
  },
  'expired-certificate': async (lab) => {
    await certificateNames(lab, 'autodiscover.contoso.test', EXCHANGE_SAN, 'CERT_HAS_EXPIRED');
  },
  'expired-certificate-fixed': async (lab) => {
    const h = await handshake(lab, 'autodiscover.contoso.test');
    assert.equal(h.authorizationError, null);
    assert.ok(h.validTo.getTime() > Date.now() + 30 * DAY, `valid until ${h.validTo.toISOString()}`);
  },
  'not-yet-valid-certificate': async (lab) => {
    await certificateNames(lab, 'autodiscover.contoso.test', EXCHANGE_SAN, 'CERT_NOT_YET_VALID');
  },
  'expiring-certificate': async (lab) => {
    const h = await handshake(lab, 'autodiscover.contoso.test');
    assert.equal(h.authorizationError, null);
    const left = h.validTo.getTime() - Date.now();
    assert.ok(left > 0 && left < 8 * DAY, `valid until ${h.validTo.toISOString()}`);
  },
  'missing-intermediate': async (lab) => {
    await certificateNames(lab, 'autodiscover.contoso.test', EXCHANGE_SAN, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  },
  'missing-intermediate-fixed': async (lab) => {
    await certificateNames(lab, 'autodiscover.contoso.test', EXCHANGE_SAN, null);
  },
  'autodiscover-name-missing': async (lab) => {
    await certificateNames(lab, 'autodiscover.contoso.test', 'DNS:mail.contoso.test', 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal((await handshake(lab, 'mail.contoso.test')).authorizationError, null);
  },
  'service-url-not-covered': async (lab) => {
    await poxAnswer(
      lab,
      AUTODISCOVER,
      'chris@contoso.test',
      /<EwsUrl>https:\/\/webmail\.contoso\.test\/EWS\/Exchange\.asmx<\/EwsUrl>/,
    );
    await certificateNames(lab, 'webmail.contoso.test', EXCHANGE_SAN, 'ERR_TLS_CERT_ALTNAME_INVALID');
  },
  'auth-required-everywhere': async (lab) => {
    for (const url of ['https://contoso.test/autodiscover/autodiscover.xml', AUTODISCOVER]) {
      const r = await fetch(lab, url, { method: 'POST', body: pox('chris@contoso.test') });
      assert.equal(r.status, 401, url);
      assert.equal(r.headers['www-authenticate'], 'Negotiate, NTLM');
    }
  },
  'redirect-loop': async (lab) => {
    const fabrikam = 'https://autodiscover.fabrikam.test/autodiscover/autodiscover.xml';
    await poxAnswer(lab, AUTODISCOVER, 'chris@contoso.test', /<RedirectUrl>https:\/\/autodiscover\.fabrikam\.test\//);
    await poxAnswer(lab, fabrikam, 'chris@contoso.test', /<RedirectUrl>https:\/\/autodiscover\.contoso\.test\//);
  },
  'redirect-loop-fixed': async (lab) => {
    await poxAnswer(lab, AUTODISCOVER, 'chris@contoso.test', /<RedirectUrl>https:\/\/autodiscover\.fabrikam\.test\//);
    await poxAnswer(
      lab,
      'https://autodiscover.fabrikam.test/autodiscover/autodiscover.xml',
      'chris@contoso.test',
      SETTINGS,
    );
  },
  'root-domain-timeout': async (lab) => {
    assert.equal((await handshake(lab, 'contoso.test')).authorizationError, null);
    await assert.rejects(
      fetch(lab, 'https://contoso.test/autodiscover/autodiscover.xml', {
        method: 'POST',
        body: '<x/>',
        timeoutMs: 300,
      }),
      { code: 'TIMEOUT' },
    );
    await poxAnswer(lab, AUTODISCOVER, 'chris@contoso.test', SETTINGS);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// What the diagnosis must name, per scenario and client: every scenario that is a problem names it (by its finding
// codes, sorted); the fixed twins and the scenarios that show a configuration done right name nothing.

/** The same codes for every client. */
function all(...codes: string[]): Record<ProfileName, string[]> {
  return Object.fromEntries(PROFILE_NAMES.map((p) => [p, [...codes].sort()])) as Record<ProfileName, string[]>;
}

/**
 * An EWS application meets no certificate prompt: it moves on, and then its redirection-validation callback is
 * asked about the HTTP redirect method's target (REDIRECT_NEEDS_CONSENT), which the other clients never reach.
 */
function movesOnToCallback(...codes: string[]): Record<ProfileName, string[]> {
  return { ...all(...codes), ews: [...codes, 'REDIRECT_NEEDS_CONSENT'].sort() };
}

const EXPECTED_FINDINGS: Record<string, Record<ProfileName, string[]>> = {
  'auth-required-everywhere': all('AUTH_REJECTED_EVERYWHERE'),
  'autodiscover-name-missing': movesOnToCallback('CERT_NAME_MISMATCH'),
  // Only the EWS application asks autodiscover.svc; the others speak POX (and find the POX URL answering 404).
  'ews-pox-only': { ...all(), ews: ['SOAP_ENDPOINT_MISSING'] },
  'ews-soap-only': { ...all('NO_AUTODISCOVER_ENDPOINT'), ews: [] },
  'ews-soap-turned-off': { ...all(), ews: ['SOAP_ENDPOINT_MISSING'] },
  'ews-svc-other-certificate': { ...all(), ews: ['CERT_UNTRUSTED'] },
  'expired-certificate-fixed': all(),
  'expired-certificate': movesOnToCallback('CERT_EXPIRED'),
  'expiring-certificate': all('CERT_EXPIRING_SOON'),
  'http-autodiscover-content': all('NO_AUTODISCOVER_ENDPOINT', 'SETTINGS_OVER_HTTP_IGNORED'),
  'http-redirect-insecure': all('INSECURE_REDIRECT', 'NO_AUTODISCOVER_ENDPOINT'),
  'http-redirect-method': all('REDIRECT_NEEDS_CONSENT'),
  // The cloud domain serves no EWS URL: the EWS application gets past the move and has nothing to use.
  'hybrid-redirect-address': { ...all(), ews: ['EWS_URL_MISSING', 'EWS_URL_MISSING'] },
  'missing-intermediate-fixed': all(),
  'missing-intermediate': movesOnToCallback('CERT_CHAIN_INCOMPLETE'),
  'new-smtp-domain-fixed': all(),
  // SOAP InvalidUser, then POX error 500: two answers, two findings.
  'new-smtp-domain-not-accepted': { ...all('AUTODISCOVER_ERROR'), ews: ['AUTODISCOVER_ERROR', 'AUTODISCOVER_ERROR'] },
  'new-smtp-domain-srv': all('REDIRECT_NEEDS_CONSENT'),
  'new-smtp-domain': all('NEW_DOMAIN_WITHOUT_AUTODISCOVER', 'NO_AUTODISCOVER_ENDPOINT'),
  'not-yet-valid-certificate': movesOnToCallback('CERT_NOT_YET_VALID'),
  'redirect-loop-fixed': all(),
  // An EWS application meets the loop twice: in its SOAP lookup, then in its POX lookup.
  'redirect-loop': { ...all('REDIRECT_LIMIT'), ews: ['REDIRECT_LIMIT', 'REDIRECT_LIMIT'] },
  'root-domain-fixed-no-tls': all(),
  'root-domain-fixed-san': all(),
  'root-domain-timeout': all('CANDIDATE_TIMEOUT'),
  'root-domain-trap': {
    outlook: ['CERT_NAME_MISMATCH', 'ROOT_DOMAIN_BLOCKS_FALLBACK'],
    'outlook-2013': ['CERT_NAME_MISMATCH', 'ROOT_DOMAIN_BLOCKS_FALLBACK'],
    activesync: ['CERT_NAME_MISMATCH', 'ROOT_DOMAIN_BLOCKS_FALLBACK'],
    thunderbird: ['CERT_NAME_MISMATCH'],
    // Its SOAP step at the root domain moves on, and blocks nothing: only the certificate fact.
    ews: ['CERT_NAME_MISMATCH'],
  },
  'scp-fixed-internal-uri': all(),
  'scp-netbios-name': {
    outlook: ['CERT_NAME_MISMATCH', 'SCP_URL_NOT_ON_CERTIFICATE'],
    'outlook-2013': ['CERT_NAME_MISMATCH', 'SCP_URL_NOT_ON_CERTIFICATE'],
    activesync: [],
    thunderbird: [],
    ews: ['CERT_NAME_MISMATCH', 'SCP_URL_NOT_ON_CERTIFICATE'],
  },
  // Outlook 2013 asks the root domain beside SCP (docs/lookups.md): the warning every time, though SCP answers.
  // ActiveSync is not domain-joined: the seed's own case, silenced by the device at the root domain.
  'scp-root-domain-prompt': {
    outlook: [],
    'outlook-2013': ['CERT_NAME_MISMATCH', 'ROOT_DOMAIN_PROMPT_BESIDE_SCP'],
    activesync: ['CERT_NAME_MISMATCH', 'ROOT_DOMAIN_BLOCKS_FALLBACK'],
    thunderbird: ['CERT_NAME_MISMATCH'],
    ews: [],
  },
  'scp-site-affinity': all(),
  'self-signed-exchange-fixed': all(),
  'self-signed-exchange': movesOnToCallback('CERT_NAME_MISMATCH', 'CERT_UNTRUSTED'),
  'service-url-not-covered': {
    outlook: ['SERVICE_URL_NOT_COVERED'],
    'outlook-2013': ['SERVICE_URL_NOT_COVERED'],
    activesync: [],
    thunderbird: ['SERVICE_URL_NOT_COVERED'],
    ews: ['SERVICE_URL_NOT_COVERED'],
  },
  'srv-hosting-provider-fixed': all(),
  'srv-hosting-provider': all('REDIRECT_NEEDS_CONSENT', 'SRV_PORT_IGNORED'),
  // The explicit record fixes autodiscover.contoso.test; the wildcard still answers autoconfig.contoso.test with the
  // web host's certificate, which Thunderbird passes by (a warning): true, and worth saying.
  // Only the provider behind the MX publishes autoconfig: Thunderbird finds it, the Exchange clients find nothing.
  'thunderbird-mx-provider': {
    outlook: ['NEW_DOMAIN_WITHOUT_AUTODISCOVER', 'NO_AUTODISCOVER_ENDPOINT'],
    'outlook-2013': ['NEW_DOMAIN_WITHOUT_AUTODISCOVER', 'NO_AUTODISCOVER_ENDPOINT'],
    activesync: ['NEW_DOMAIN_WITHOUT_AUTODISCOVER', 'NO_AUTODISCOVER_ENDPOINT'],
    thunderbird: [],
    ews: ['NEW_DOMAIN_WITHOUT_AUTODISCOVER', 'NO_AUTODISCOVER_ENDPOINT'],
  },
  'wildcard-dns-shared-hosting-fixed': {
    outlook: [],
    'outlook-2013': [],
    activesync: [],
    thunderbird: ['CERT_NAME_MISMATCH', 'SNI_DEFAULT_CERTIFICATE'],
    ews: [],
  },
  'wildcard-dns-shared-hosting': {
    outlook: ['CERT_NAME_MISMATCH', 'SNI_DEFAULT_CERTIFICATE'],
    'outlook-2013': ['CERT_NAME_MISMATCH', 'SNI_DEFAULT_CERTIFICATE'],
    activesync: ['CERT_NAME_MISMATCH', 'SNI_DEFAULT_CERTIFICATE'],
    // One pair per host: autoconfig.contoso.test and autodiscover.contoso.test both reach the web host.
    thunderbird: [
      'CERT_NAME_MISMATCH',
      'CERT_NAME_MISMATCH',
      'NO_AUTODISCOVER_ENDPOINT',
      'SNI_DEFAULT_CERTIFICATE',
      'SNI_DEFAULT_CERTIFICATE',
    ],
    ews: ['CERT_NAME_MISMATCH', 'NO_AUTODISCOVER_ENDPOINT', 'SNI_DEFAULT_CERTIFICATE'],
  },
  'wildcard-outlook-anywhere': all(),
  'wildcard-principal-mismatch': {
    outlook: ['CERT_PRINCIPAL_NAME_MISMATCH'],
    'outlook-2013': ['CERT_PRINCIPAL_NAME_MISMATCH'],
    activesync: [],
    thunderbird: [],
    ews: [],
  },
  'wildcard-subdomain-fixed': all(),
  'wildcard-subdomain': movesOnToCallback('CERT_NAME_MISMATCH', 'CERT_WILDCARD_MISMATCH'),
};

/** Every client's lookup against the running lab, as `discover` runs it. */
async function findingCodes(lab: RunningLab): Promise<Record<ProfileName, string[]>> {
  const entries = await Promise.all(
    PROFILE_NAMES.map(async (client) => {
      const report = await discoverInLab(lab, client);
      return [client, report.findings.map((f) => f.code).sort()] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<ProfileName, string[]>;
}

// ---------------------------------------------------------------------------------------------------------------

const builtin = listBuiltinScenarios();

describe('the list of built-in scenarios', () => {
  test('names are sorted, unique, and each has a title', () => {
    const names = builtin.map((s) => s.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, names.length);
    for (const s of builtin) assert.ok(s.title.length > 0, s.name);
    assert.ok(names.includes('root-domain-trap'), 'the seed case is built in');
  });

  test('every built-in scenario is checked here, and every check has its scenario', () => {
    assert.deepEqual(
      builtin.map((s) => s.name),
      Object.keys(CHECKS).sort(),
    );
    assert.deepEqual(
      builtin.map((s) => s.name),
      Object.keys(EXPECTED_FINDINGS).sort(),
    );
  });

  test('the expected codes exist, and a fixed twin expects none (one documented exception)', () => {
    for (const [name, byClient] of Object.entries(EXPECTED_FINDINGS)) {
      const codes = Object.values(byClient).flat();
      for (const code of codes) assert.ok(code in FINDINGS, `${name}: ${code} is not in the catalogue`);
      if (/-fixed(-|$)/.test(name) && name !== 'wildcard-dns-shared-hosting-fixed')
        assert.deepEqual(codes, [], `${name} is fixed, yet expects ${codes.join(', ')}`);
    }
  });

  test('an unknown name is refused with the list of known names; a path is not a name', () => {
    for (const name of ['no-such-scenario', '../scenario', 'root-domain-trap.yaml']) {
      assert.throws(
        () => loadBuiltinScenario(name),
        (err: unknown) =>
          err instanceof AutodiscoError &&
          err.code === 'ADK_ERR_INVALID_ARGUMENT' &&
          err.message.includes(`"${name}"`) &&
          err.message.includes('root-domain-trap'),
      );
    }
  });
});

describe('every built-in scenario validates', () => {
  // What an editor checks through the file's `# yaml-language-server: $schema=` line.
  const schemaUrl = new URL('../../schemas/lab-scenario.schema.json', import.meta.url);
  const validateJson = new Ajv2020.default({ allErrors: true, strict: false, validateFormats: false }).compile(
    JSON.parse(readFileSync(schemaUrl, 'utf8')),
  );

  for (const { name, title } of builtin) {
    test(name, () => {
      const scenario = loadBuiltinScenario(name);
      assert.equal(scenario.name, name);
      assert.equal(scenario.title, title);
      assert.ok(scenario.description.trim().length > 80, 'the description tells the story');
      // Every profile has an expectation: the regression suite runs each of them.
      assert.deepEqual(Object.keys(scenario.expect ?? {}).sort(), [...PROFILE_NAMES].sort());
      // Validating the result again changes nothing (the defaults are already applied).
      assert.deepEqual(validateScenario(scenario, name, { profiles: PROFILE_NAMES }), scenario);
      const text = readFileSync(new URL(`../../src/lab/scenarios/${name}.yaml`, import.meta.url), 'utf8');
      assert.match(text, /^# yaml-language-server: \$schema=\.\.\/\.\.\/\.\.\/schemas\/lab-scenario\.schema\.json\n/);
      assert.equal(validateJson(parseYaml(text)), true, JSON.stringify(validateJson.errors));
    });
  }
});

describe('each built-in scenario, brought up and checked from outside', () => {
  let lab: RunningLab | undefined;
  after(async () => {
    await lab?.close();
  });
  builtin.forEach(({ name }, index) => {
    test(name, async () => {
      lab = await startLab(loadBuiltinScenario(name), { range: `127.40.${index}.0/24` });
      try {
        assert.equal(lab.hosts.length, lab.scenario.hosts.length);
        assert.equal(lab.ldap !== undefined, lab.scenario.directory !== undefined);
        const check = CHECKS[name];
        assert.ok(check, `no check for ${name}`);
        await check(lab);
        // And what the diagnosis says about it, per client.
        assert.deepEqual(await findingCodes(lab), EXPECTED_FINDINGS[name], `the findings of ${name}`);
      } finally {
        await lab.close();
        lab = undefined;
      }
    });
  });
});
