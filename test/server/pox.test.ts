import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { child, children, childText, parseXml, type XmlElement } from '../../src/formats/xml.js';
import { buildApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { exampleApp, exampleStore, fixture } from '../helpers/app.js';

const OUTLOOK_2006A = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const MOBILESYNC = 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006';

function outlookRequest(address: string, extra = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${address}</EMailAddress>${extra}<AcceptableResponseSchema>${OUTLOOK_2006A}</AcceptableResponseSchema></Request></Autodiscover>`;
}

const post = async (body: string, headers: Record<string, string> = {}, url = '/autodiscover/autodiscover.xml') => {
  const { app } = await exampleApp();
  const res = await app.inject({
    method: 'POST',
    url,
    payload: body,
    headers: { 'content-type': 'text/xml; charset=utf-8', ...headers },
  });
  return res;
};

function protocols(doc: XmlElement): Map<string, XmlElement[]> {
  const account = child(child(doc, 'Response'), 'Account');
  const map = new Map<string, XmlElement[]>();
  for (const p of children(account, 'Protocol')) {
    const type = childText(p, 'Type') ?? p.attributes['Type'] ?? '?';
    map.set(type, [...(map.get(type) ?? []), p]);
  }
  return map;
}

function errorCode(body: string): string | undefined {
  return childText(child(child(parseXml(body), 'Response'), 'Error'), 'ErrorCode');
}

describe('POST /autodiscover/autodiscover.xml (Outlook)', () => {
  test('answers the exact request Outlook sends with Exchange-style and mail protocols', async () => {
    const res = await post(fixture('requests/outlook.xml'));
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/xml; charset=utf-8/);
    const doc = parseXml(res.body);
    assert.equal(doc.ns, 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006');
    const response = child(doc, 'Response');
    assert.equal(response?.ns, OUTLOOK_2006A);
    const user = child(response, 'User');
    assert.equal(childText(user, 'DisplayName'), 'Chris Gray');
    assert.equal(childText(user, 'AutoDiscoverSMTPAddress'), 'chris@example.test');
    assert.equal(childText(user, 'DeploymentId'), '644560b8-a1ce-429c-8ace-23395843f701');
    assert.equal(childText(child(response, 'Account'), 'Action'), 'settings');

    const p = protocols(doc);
    assert.deepEqual([...p.keys()], ['EXCH', 'EXPR', 'WEB', 'IMAP', 'POP3', 'SMTP']);
    const exch = p.get('EXCH')?.[0];
    assert.equal(childText(exch, 'Server'), '9f6b2c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b@example.test');
    assert.equal(childText(exch, 'ServerVersion'), '73C189CB'); // 15.1.2507, docs/protocol.md §3.5
    assert.equal(childText(exch, 'EwsUrl'), 'https://mail.example.test/EWS/Exchange.asmx');
    assert.equal(childText(exch, 'ASUrl'), 'https://mail.example.test/EWS/Exchange.asmx');
    assert.equal(childText(exch, 'OABUrl'), 'https://mail.example.test/OAB/');
    const expr = p.get('EXPR')?.[0];
    assert.equal(childText(expr, 'Server'), 'mail.example.test');
    assert.equal(childText(expr, 'SSL'), 'On');
    assert.equal(childText(expr, 'AuthPackage'), 'Ntlm');
    assert.equal(childText(expr, 'CertPrincipalName'), 'msstd:mail.example.test');
    const web = p.get('WEB')?.[0];
    const owa = child(child(web, 'External'), 'OWAUrl');
    assert.equal(owa?.text, 'https://mail.example.test/owa/');
    assert.equal(owa?.attributes['AuthenticationMethod'], 'Fba');

    const imap = p.get('IMAP')?.[0];
    assert.equal(childText(imap, 'Server'), 'imap.example.test');
    assert.equal(childText(imap, 'Port'), '993');
    assert.equal(childText(imap, 'SSL'), 'on');
    assert.equal(childText(imap, 'Encryption'), 'SSL');
    assert.equal(childText(imap, 'SPA'), 'off');
    assert.equal(childText(imap, 'AuthRequired'), 'on');
    assert.equal(childText(imap, 'LoginName'), 'chris@example.test');
    const pop = p.get('POP3')?.[0];
    assert.equal(childText(pop, 'Port'), '995');
    const smtp = p.get('SMTP')?.[0];
    assert.equal(childText(smtp, 'Port'), '587');
    assert.equal(childText(smtp, 'Encryption'), 'TLS');
    assert.equal(childText(smtp, 'SSL'), 'on');
  });

  test('is byte for byte the body the benchmark baseline sends (bench/fixtures/bare-response.xml)', async () => {
    const res = await post(fixture('requests/outlook.xml'));
    const bare = readFileSync(new URL('../../bench/fixtures/bare-response.xml', import.meta.url), 'utf8');
    assert.equal(res.body, bare);
  });

  test('adds the mapiHttp block only when X-MapiHttpCapability is sent', async () => {
    const without = protocols(parseXml((await post(fixture('requests/outlook.xml'))).body));
    assert.equal(without.has('mapiHttp'), false);
    const res = await post(fixture('requests/outlook.xml'), { 'X-MapiHttpCapability': '1' });
    const mapi = protocols(parseXml(res.body)).get('mapiHttp')?.[0];
    assert.ok(mapi, 'mapiHttp block present');
    assert.equal(mapi.attributes['Version'], '1');
    assert.equal(
      childText(child(mapi, 'MailStore'), 'ExternalUrl'),
      'https://mail.example.test/mapi/emsmdb/?MailboxId=9f6b2c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b@example.test',
    );
    assert.equal(
      childText(child(mapi, 'AddressBook'), 'InternalUrl'),
      'https://mail.example.test/mapi/nspi/?MailboxId=9f6b2c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b@example.test',
    );
  });

  test('adds internal and external EXHTTP blocks for X-ClientCanHandle: ExHttpInfo', async () => {
    const res = await post(fixture('requests/outlook.xml'), { 'X-ClientCanHandle': 'Negotiate,ExHttpInfo' });
    const exhttp = protocols(parseXml(res.body)).get('EXHTTP') ?? [];
    assert.equal(exhttp.length, 2);
    assert.deepEqual(
      exhttp.map((p) => childText(p, 'Server')),
      ['mail.example.test', 'mail.example.test'],
    );
  });

  test('LegacyDN wins over EMailAddress, matched without case', async () => {
    const res = await post(fixture('requests/outlook-legacydn.xml'));
    const user = child(child(parseXml(res.body), 'Response'), 'User');
    assert.equal(childText(user, 'AutoDiscoverSMTPAddress'), 'chris@example.test');
  });

  test('an unknown LegacyDN is error 500', async () => {
    const res = await post(outlookRequest('chris@example.test', '<LegacyDN>/o=Nobody/cn=x</LegacyDN>'));
    assert.equal(errorCode(res.body), '500');
  });

  test('a user with another login name and mailbox server gets them', async () => {
    const p = protocols(parseXml((await post(outlookRequest('Sam@Example.TEST'))).body));
    assert.equal(childText(p.get('IMAP')?.[0], 'Server'), 'imap2.example.test');
    assert.equal(childText(p.get('IMAP')?.[0], 'LoginName'), 'slee');
    assert.equal(childText(p.get('SMTP')?.[0], 'Server'), 'smtp.example.test');
    assert.equal(childText(p.get('EXCH')?.[0], 'Server'), 'imap2.example.test');
  });

  test('an unknown user in a served domain gets the domain answer (no user enumeration)', async () => {
    const res = await post(outlookRequest('nobody@example.test'));
    const doc = parseXml(res.body);
    const user = child(child(doc, 'Response'), 'User');
    assert.equal(childText(user, 'DisplayName'), undefined);
    assert.equal(childText(user, 'AutoDiscoverSMTPAddress'), 'nobody@example.test');
    assert.equal(childText(protocols(doc).get('IMAP')?.[0], 'LoginName'), 'nobody@example.test');
  });

  test('an unknown user gets 500 when the domain is set to answer per user only', async () => {
    const store = await exampleStore((doc) => {
      const d = doc.domains?.[0];
      if (d) d.unknownUsers = 'not-found';
    });
    const { app } = await exampleApp({}, store);
    const res = await app.inject({
      method: 'POST',
      url: '/autodiscover/autodiscover.xml',
      payload: outlookRequest('nobody@example.test'),
    });
    assert.equal(errorCode(res.body), '500');
    const known = await app.inject({
      method: 'POST',
      url: '/autodiscover/autodiscover.xml',
      payload: outlookRequest('chris@example.test'),
    });
    assert.equal(errorCode(known.body), undefined);
  });

  test('an unknown domain is error 500 with the http:// namespace and no echo of the request', async () => {
    const res = await post(outlookRequest('chris@unknown.test'));
    assert.equal(res.statusCode, 200);
    const doc = parseXml(res.body);
    const error = child(child(doc, 'Response'), 'Error');
    assert.equal(childText(error, 'ErrorCode'), '500');
    assert.equal(childText(error, 'Message'), "The email address can't be found.");
    assert.match(error?.attributes['Time'] ?? '', /^\d\d:\d\d:\d\d\.\d{7}$/);
    assert.match(error?.attributes['Id'] ?? '', /^\d+$/);
    assert.doesNotMatch(res.body, /unknown\.test/);
    assert.doesNotMatch(res.body, /https:\/\/schemas/);
  });

  test('redirectAddr for a moved user, redirectUrl for a user served elsewhere', async () => {
    const moved = child(child(parseXml((await post(outlookRequest('alex@example.test'))).body), 'Response'), 'Account');
    assert.equal(childText(moved, 'Action'), 'redirectAddr');
    assert.equal(childText(moved, 'RedirectAddr'), 'alex@partner.example');
    const elsewhere = child(
      child(parseXml((await post(outlookRequest('robin@example.test'))).body), 'Response'),
      'Account',
    );
    assert.equal(childText(elsewhere, 'Action'), 'redirectUrl');
    assert.equal(
      childText(elsewhere, 'RedirectUrl'),
      'https://autodiscover.cloud.example/autodiscover/autodiscover.xml',
    );
  });

  test('a whole domain that moved redirects every address to the new domain', async () => {
    const account = child(child(parseXml((await post(outlookRequest('pat@example.com'))).body), 'Response'), 'Account');
    assert.equal(childText(account, 'Action'), 'redirectAddr');
    assert.equal(childText(account, 'RedirectAddr'), 'pat@example.test');
  });

  test('an alias domain is served with the main domain settings', async () => {
    const p = protocols(parseXml((await post(outlookRequest('kim@example.org'))).body));
    assert.equal(childText(p.get('IMAP')?.[0], 'LoginName'), 'kim@example.org');
  });

  test('the path is case-insensitive, as IIS is', async () => {
    for (const url of [
      '/Autodiscover/Autodiscover.xml',
      '/AutoDiscover/AutoDiscover.xml',
      '/AUTODISCOVER/AUTODISCOVER.XML',
    ]) {
      const res = await post(fixture('requests/outlook.xml'), {}, url);
      assert.equal(res.statusCode, 200, url);
      assert.equal(errorCode(res.body), undefined, url);
    }
  });

  test('escapes stored values that look like markup', async () => {
    const store = await exampleStore((doc) => {
      doc.users?.push({ email: 'eve@example.test', displayName: '</DisplayName><Action>redirectUrl</Action>&' });
    });
    const { app } = await exampleApp({}, store);
    const res = await app.inject({
      method: 'POST',
      url: '/autodiscover/autodiscover.xml',
      payload: outlookRequest('eve@example.test'),
    });
    const user = child(child(parseXml(res.body), 'Response'), 'User');
    assert.equal(childText(user, 'DisplayName'), '</DisplayName><Action>redirectUrl</Action>&');
    assert.match(res.body, /&lt;\/DisplayName&gt;/);
  });
});

describe('POST /autodiscover/autodiscover.xml (ActiveSync mobilesync)', () => {
  test('answers the mobilesync request with a MobileSync server', async () => {
    const res = await post(fixture('requests/mobilesync.xml'));
    const response = child(parseXml(res.body), 'Response');
    assert.equal(response?.ns, MOBILESYNC);
    assert.equal(childText(response, 'Culture'), 'en:us');
    assert.equal(childText(child(response, 'User'), 'EMailAddress'), 'chris@example.test');
    const server = child(child(child(response, 'Action'), 'Settings'), 'Server');
    assert.equal(childText(server, 'Type'), 'MobileSync');
    assert.equal(childText(server, 'Url'), 'https://mail.example.test/Microsoft-Server-ActiveSync');
    assert.equal(childText(server, 'Name'), 'https://mail.example.test/Microsoft-Server-ActiveSync');
  });

  test('a moved user gets Action/Redirect with the new address', async () => {
    const body = fixture('requests/mobilesync.xml').replace('chris@example.test', 'alex@example.test');
    const response = child(parseXml((await post(body)).body), 'Response');
    assert.equal(childText(child(response, 'Action'), 'Redirect'), 'alex@partner.example');
  });

  test('a domain without ActiveSync answers 601 in the mobilesync namespace', async () => {
    const store = await exampleStore((doc) => {
      const d = doc.domains?.[0];
      if (d) delete d.activeSync;
    });
    const { app } = await exampleApp({}, store);
    const res = await app.inject({
      method: 'POST',
      url: '/autodiscover/autodiscover.xml',
      payload: fixture('requests/mobilesync.xml'),
    });
    const response = child(parseXml(res.body), 'Response');
    assert.equal(response?.ns, MOBILESYNC);
    assert.equal(childText(child(response, 'Error'), 'ErrorCode'), '601');
  });
});

describe('bad requests', () => {
  test('a DOCTYPE with an external entity is refused with 600 and nothing is expanded', async () => {
    const res = await post(fixture('requests/xxe.xml'));
    assert.equal(res.statusCode, 200);
    assert.equal(errorCode(res.body), '600');
    assert.doesNotMatch(res.body, /example\.test|hostname|xxe/);
  });

  test('entity expansion (billion laughs) is refused with 600', async () => {
    const res = await post(fixture('requests/billion-laughs.xml'));
    assert.equal(errorCode(res.body), '600');
    assert.ok(res.body.length < 1000);
  });

  test('malformed XML is 600', async () => {
    for (const body of ['<Autodiscover><Request>', 'not xml at all', '', '<Other/>', '<Autodiscover/>']) {
      assert.equal(errorCode((await post(body)).body), '600', JSON.stringify(body));
    }
  });

  test('a request without an address is 600', async () => {
    const body = `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><AcceptableResponseSchema>${OUTLOOK_2006A}</AcceptableResponseSchema></Request></Autodiscover>`;
    assert.equal(errorCode((await post(body)).body), '600');
  });

  test('MS-ASCMD R3799: two <Request> elements are 600, in the schema the request asked for', async () => {
    const mobile = `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>chris@example.test</EMailAddress><AcceptableResponseSchema>${MOBILESYNC}</AcceptableResponseSchema></Request><Request><EMailAddress>chris@example.test</EMailAddress><AcceptableResponseSchema>${MOBILESYNC}</AcceptableResponseSchema></Request></Autodiscover>`;
    const res = await post(mobile);
    assert.equal(res.statusCode, 200);
    const response = child(parseXml(res.body), 'Response');
    assert.equal(response?.ns, MOBILESYNC);
    assert.equal(childText(child(response, 'Error'), 'ErrorCode'), '600');
    assert.doesNotMatch(res.body, /ActiveSync|Settings/);
    // The same request with a single <Request> gets settings: only the duplicate is refused.
    const single = mobile.replace(/<Request>.*?<\/Request>/, '');
    assert.equal(
      childText(child(child(parseXml((await post(single)).body), 'Response'), 'User'), 'EMailAddress'),
      'chris@example.test',
    );
    const outlook = outlookRequest('chris@example.test').replace(/(<Request>.*<\/Request>)/, '$1$1');
    assert.equal(errorCode((await post(outlook)).body), '600');
  });

  test('a Request with two addresses, two LegacyDNs or two schemas is 600; mobilesync needs EMailAddress', async () => {
    const mobileLegacyOnly = `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><LegacyDN>/o=Example/cn=chris</LegacyDN><AcceptableResponseSchema>${MOBILESYNC}</AcceptableResponseSchema></Request></Autodiscover>`;
    for (const body of [
      outlookRequest('chris@example.test', '<EMailAddress>sam@example.test</EMailAddress>'),
      outlookRequest('chris@example.test', '<LegacyDN>/o=a/cn=b</LegacyDN><LegacyDN>/o=a/cn=c</LegacyDN>'),
      outlookRequest('chris@example.test', `<AcceptableResponseSchema>${OUTLOOK_2006A}</AcceptableResponseSchema>`),
      mobileLegacyOnly,
    ]) {
      assert.equal(errorCode((await post(body)).body), '600', body);
    }
    // An element a client adds of its own is ignored, as Exchange does.
    const extra = await post(outlookRequest('chris@example.test', '<Culture>en:us</Culture>'));
    assert.equal(errorCode(extra.body), undefined);
  });

  test('an unknown AcceptableResponseSchema is 601 and is not echoed', async () => {
    const body = fixture('requests/outlook.xml').replace(OUTLOOK_2006A, 'http://evil.test/<script>');
    const res = await post(body.replace('<script>', '&lt;script&gt;'));
    assert.equal(errorCode(res.body), '601');
    assert.doesNotMatch(res.body, /evil|script/);
  });

  test('a body over 64 KiB gets 413', async () => {
    const res = await post(`${fixture('requests/outlook.xml')}${' '.repeat(65 * 1024)}`);
    assert.equal(res.statusCode, 413);
  });

  test('a GET on the POX URL over HTTPS gets the Invalid Request document', async () => {
    const { app } = await exampleApp();
    const res = await app.inject({ method: 'GET', url: '/autodiscover/autodiscover.xml' });
    assert.equal(errorCode(res.body), '600');
  });
});

describe('request logging', () => {
  async function appAt(level: string, store?: Awaited<ReturnType<typeof exampleStore>>) {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const app = buildApp(
      {
        store: store ?? (await exampleStore()),
        logger: createLogger({ level, destination }),
        metrics: new ServerMetrics(),
      },
      { transport: 'https' },
    );
    await app.ready();
    return { app, lines };
  }
  const request = {
    method: 'POST' as const,
    url: '/autodiscover/autodiscover.xml',
    payload: fixture('requests/outlook.xml'),
  };

  test('at info, one access line per request, with its request id and the address masked', async () => {
    const { app, lines } = await appAt('info');
    await app.inject(request);
    await app.inject(request);
    assert.equal(lines.length, 2);
    assert.deepEqual(
      lines.map((l) => [l['msg'], l['reqId'], l['endpoint'], l['outcome'], l['address'], l['status']]),
      [
        ['request', 'req-1', 'pox', 'settings', 'c***@example.test', 200],
        ['request', 'req-2', 'pox', 'settings', 'c***@example.test', 200],
      ],
    );
  });

  test('at warn, no access line, but a failure is still logged with its request id', async () => {
    const store = await exampleStore();
    const { app, lines } = await appAt('warn', store);
    assert.equal((await app.inject(request)).statusCode, 200);
    assert.deepEqual(lines, []);
    await store.close(); // every lookup now throws
    assert.equal((await app.inject(request)).statusCode, 500);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.['msg'], 'request failed');
    assert.equal(lines[0]?.['reqId'], 'req-2');
    assert.equal(lines[0]?.['level'], 50);
  });
});
