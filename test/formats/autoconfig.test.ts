import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AutoconfigRejected, parseAutoconfig, renderAutoconfig } from '../../src/formats/autoconfig.js';
import { child, children, childText, parseXml, XmlRejected } from '../../src/formats/xml.js';
import { type ResolvedSettings, resolveAnswer } from '../../src/settings/resolve.js';
import { type DomainSettings, domain, user } from '../../src/settings/schema.js';

function settingsFor(d: DomainSettings, email?: string, u?: ReturnType<typeof user.parse>): ResolvedSettings {
  const answer = resolveAnswer(d, u, email);
  assert.equal(answer.kind, 'settings');
  return answer.settings;
}

const example = domain.parse({
  name: 'example.com',
  displayName: 'Example Mail',
  shortName: 'Example',
  aliases: ['example.net'],
  imap: { host: 'imap.example.com' },
  pop3: { host: 'pop.example.com', authentication: 'password-encrypted', username: '%EMAILLOCALPART%' },
  smtp: { host: 'smtp.example.com', security: 'starttls' },
  documentationUrl: 'https://example.com/help/mail/',
  activeSync: { url: 'https://eas.example.com/Microsoft-Server-ActiveSync' },
  exchange: {
    server: 'mail.example.com',
    authPackage: 'basic',
    ews: { external: 'https://mail.example.com/EWS/Exchange.asmx' },
    owa: { external: 'https://mail.example.com/owa/' },
  },
});

describe('renderAutoconfig', () => {
  test('domain-wide answer: the documented shape, with placeholders kept', () => {
    const xml = renderAutoconfig(settingsFor(example), { domains: ['example.net', 'EXAMPLE.com'] });
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<clientConfig version="1.1">'));
    const root = parseXml(xml);
    assert.equal(root.name, 'clientConfig');
    assert.equal(root.attributes['version'], '1.1');
    const provider = child(root, 'emailProvider');
    assert.equal(provider?.attributes['id'], 'example.com');
    // The answered domain first, aliases after, no duplicates whatever their case.
    assert.deepEqual(
      children(provider, 'domain').map((d) => d.text),
      ['example.com', 'example.net'],
    );
    assert.equal(childText(provider, 'displayName'), 'Example Mail');
    assert.equal(childText(provider, 'displayShortName'), 'Example');

    const incoming = children(provider, 'incomingServer');
    assert.deepEqual(
      incoming.map((s) => s.attributes['type']),
      ['imap', 'pop3'],
    );
    const [imap, pop] = incoming;
    assert.deepEqual(
      imap?.children.map((c) => [c.name, c.text]),
      [
        ['hostname', 'imap.example.com'],
        ['port', '993'],
        ['socketType', 'SSL'],
        ['authentication', 'password-cleartext'],
        ['username', '%EMAILADDRESS%'],
      ],
    );
    assert.equal(childText(pop, 'port'), '995');
    assert.equal(childText(pop, 'authentication'), 'password-encrypted');
    assert.equal(childText(pop, 'username'), '%EMAILLOCALPART%');

    const smtp = children(provider, 'outgoingServer');
    assert.equal(smtp.length, 1);
    assert.equal(smtp[0]?.attributes['type'], 'smtp');
    assert.equal(childText(smtp[0], 'port'), '587');
    assert.equal(childText(smtp[0], 'socketType'), 'STARTTLS');

    const doc = child(provider, 'documentation');
    assert.equal(doc?.attributes['url'], 'https://example.com/help/mail/');
    assert.equal(child(doc, 'descr')?.attributes['lang'], 'en');
  });

  test('no exchange incomingServer unless asked for (it hijacks Thunderbird)', () => {
    const s = settingsFor(example, 'chris@example.com');
    assert.ok(!renderAutoconfig(s).includes('exchange'));
    assert.ok(!renderAutoconfig(s, { includeExchange: false }).includes('owaURL'));

    const provider = child(parseXml(renderAutoconfig(s, { includeExchange: true })), 'emailProvider');
    const incoming = children(provider, 'incomingServer');
    // After IMAP and POP3, so Thunderbird's first choice stays IMAP.
    assert.deepEqual(
      incoming.map((i) => i.attributes['type']),
      ['imap', 'pop3', 'exchange'],
    );
    const ex = incoming[2];
    assert.equal(childText(ex, 'hostname'), 'mail.example.com');
    assert.equal(childText(ex, 'port'), '443');
    assert.equal(childText(ex, 'socketType'), 'SSL');
    assert.equal(childText(ex, 'authentication'), 'password-cleartext');
    assert.equal(childText(ex, 'username'), 'chris@example.com');
    assert.equal(childText(ex, 'ewsURL'), 'https://mail.example.com/EWS/Exchange.asmx');
    assert.equal(childText(ex, 'owaURL'), 'https://mail.example.com/owa/');
    assert.equal(childText(ex, 'easURL'), 'https://eas.example.com/Microsoft-Server-ActiveSync');

    // Nothing Exchange-like configured: nothing to add even when asked.
    const bare = domain.parse({
      name: 'bare.example',
      imap: { host: 'imap.bare.example' },
      smtp: { host: 'smtp.bare.example' },
    });
    assert.ok(!renderAutoconfig(settingsFor(bare), { includeExchange: true }).includes('exchange'));
  });

  test('a known address gets concrete usernames', () => {
    const u = user.parse({ email: 'pat@example.com', loginName: 'pat01' });
    const provider = child(parseXml(renderAutoconfig(settingsFor(example, 'pat@example.com', u))), 'emailProvider');
    for (const s of [...children(provider, 'incomingServer'), ...children(provider, 'outgoingServer')]) {
      assert.equal(childText(s, 'username'), 'pat01');
    }
    const derived = child(parseXml(renderAutoconfig(settingsFor(example, 'sam@example.com'))), 'emailProvider');
    assert.deepEqual(
      [...children(derived, 'incomingServer'), ...children(derived, 'outgoingServer')].map((s) =>
        childText(s, 'username'),
      ),
      ['sam@example.com', 'sam', 'sam@example.com'],
    );
  });

  test("authentication and socketType use Thunderbird's exact spelling", () => {
    const cases = [
      ['ntlm', 'NTLM'],
      ['gssapi', 'GSSAPI'],
      ['oauth2', 'OAuth2'],
      ['client-ip-address', 'client-IP-address'],
      ['none', 'none'],
    ] as const;
    for (const [ours, theirs] of cases) {
      const d = domain.parse({
        name: 'auth.example',
        imap: {
          host: 'imap.auth.example',
          security: 'none',
          authentication: ours === 'client-ip-address' ? 'none' : ours,
        },
        smtp: { host: 'smtp.auth.example', authentication: ours },
      });
      const provider = child(parseXml(renderAutoconfig(settingsFor(d))), 'emailProvider');
      assert.equal(childText(child(provider, 'outgoingServer'), 'authentication'), theirs);
      assert.equal(childText(child(provider, 'incomingServer'), 'socketType'), 'plain');
      assert.equal(childText(child(provider, 'incomingServer'), 'port'), '143');
      assert.equal(childText(child(provider, 'outgoingServer'), 'port'), '465');
    }
  });

  test('hostile text is escaped and parses back verbatim', () => {
    const hostile =
      'Evil</displayName><incomingServer type="imap"><hostname>evil.example</hostname> & <script>alert(1)</script>';
    const d = domain.parse({
      name: 'hostile.example',
      displayName: hostile,
      shortName: `"quoted" 'single' ]]>`,
      imap: { host: 'imap.hostile.example', username: '%EMAILLOCALPART%</username>' },
      smtp: { host: 'smtp.hostile.example' },
      documentationUrl: 'https://hostile.example/help?a=1&b="2"',
    });
    const xml = renderAutoconfig(settingsFor(d));
    assert.ok(!xml.includes('<script>'));
    const parsed = parseAutoconfig(xml);
    assert.equal(parsed.displayName, hostile);
    assert.equal(parsed.displayShortName, `"quoted" 'single' ]]>`);
    assert.equal(parsed.incoming.length, 1);
    assert.equal(parsed.incoming[0]?.hostname, 'imap.hostile.example');
    assert.equal(parsed.incoming[0]?.username, '%EMAILLOCALPART%</username>');
    assert.equal(parsed.documentationUrl, 'https://hostile.example/help?a=1&b="2"');
    assert.deepEqual(parsed.problems, []);
  });
});

describe('parseAutoconfig', () => {
  test('round-trips what renderAutoconfig writes', () => {
    const parsed = parseAutoconfig(
      renderAutoconfig(settingsFor(example), { domains: ['example.net'], includeExchange: true }),
    );
    assert.deepEqual(parsed, {
      version: '1.1',
      id: 'example.com',
      domains: ['example.com', 'example.net'],
      displayName: 'Example Mail',
      displayShortName: 'Example',
      incoming: [
        {
          type: 'imap',
          hostname: 'imap.example.com',
          port: 993,
          security: 'tls',
          authentication: ['password-cleartext'],
          username: '%EMAILADDRESS%',
        },
        {
          type: 'pop3',
          hostname: 'pop.example.com',
          port: 995,
          security: 'tls',
          authentication: ['password-encrypted'],
          username: '%EMAILLOCALPART%',
        },
        {
          type: 'exchange',
          hostname: 'mail.example.com',
          port: 443,
          security: 'tls',
          authentication: ['password-cleartext'],
          username: '%EMAILADDRESS%',
          owaUrl: 'https://mail.example.com/owa/',
          ewsUrl: 'https://mail.example.com/EWS/Exchange.asmx',
          easUrl: 'https://eas.example.com/Microsoft-Server-ActiveSync',
        },
      ],
      outgoing: [
        {
          type: 'smtp',
          hostname: 'smtp.example.com',
          port: 587,
          security: 'starttls',
          authentication: ['password-cleartext'],
          username: '%EMAILADDRESS%',
        },
      ],
      documentationUrl: 'https://example.com/help/mail/',
      problems: [],
    });
  });

  test("reads a third-party file: aliases, several methods, Thunderbird's first known socketType", () => {
    const xml = `<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="mail.example.org">
    <domain>example.org</domain>
    <displayName>Example &amp; Friends</displayName>
    <incomingServer type="imap">
      <hostname> imap.example.org </hostname>
      <port>143</port>
      <socketType>TLS</socketType>
      <socketType>STARTTLS</socketType>
      <authentication>OAuth2</authentication>
      <authentication>plain</authentication>
      <authentication>secure</authentication>
      <authentication>kerberos</authentication>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>99999</port>
      <socketType>ssl</socketType>
      <authentication>client-IP-address</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>`;
    const parsed = parseAutoconfig(xml);
    assert.equal(parsed.id, 'mail.example.org');
    assert.equal(parsed.displayName, 'Example & Friends');
    assert.equal(parsed.displayShortName, undefined);
    assert.equal(parsed.documentationUrl, undefined);
    const [imap] = parsed.incoming;
    assert.equal(imap?.hostname, 'imap.example.org');
    assert.equal(imap?.port, 143);
    assert.equal(imap?.security, 'starttls');
    assert.deepEqual(imap?.authentication, ['oauth2', 'password-cleartext', 'password-encrypted', 'kerberos']);
    const [smtp] = parsed.outgoing;
    assert.equal(smtp?.port, undefined);
    assert.equal(smtp?.security, undefined);
    assert.equal(smtp?.username, undefined);
    assert.deepEqual(smtp?.authentication, ['client-ip-address']);
    assert.deepEqual(parsed.problems, [
      'incomingServer[0]: socketType "TLS" is not one Thunderbird knows (SSL, STARTTLS or plain)',
      'incomingServer[0]: authentication "kerberos" is not one Thunderbird knows',
      'outgoingServer[0]: socketType "ssl" is not one Thunderbird knows (SSL, STARTTLS or plain)',
      'outgoingServer[0]: port "99999" is not a number from 1 to 65535',
    ]);
  });

  test('lists what makes Thunderbird refuse the file', () => {
    const parsed = parseAutoconfig(
      '<clientConfig><emailProvider><outgoingServer type="ews"/></emailProvider></clientConfig>',
    );
    assert.deepEqual(parsed.problems, [
      'emailProvider: the id attribute is missing',
      'emailProvider: no <domain> is listed (Thunderbird refuses the file)',
      'outgoingServer[0]: hostname is missing',
      'outgoingServer[0]: socketType is missing',
      'emailProvider: no <incomingServer> (Thunderbird refuses the file)',
      'outgoingServer[0]: type "ews" is not smtp',
    ]);
  });

  test('refuses DTDs and entity tricks before parsing', () => {
    const xxe = `<?xml version="1.0"?>
<!DOCTYPE clientConfig [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<clientConfig version="1.1"><emailProvider id="x"><displayName>&xxe;</displayName></emailProvider></clientConfig>`;
    assert.throws(
      () => parseAutoconfig(xxe),
      (err: unknown) => err instanceof XmlRejected && err.reason === 'doctype',
    );
    assert.throws(() => parseAutoconfig('<clientConfig><emailProvider>'), XmlRejected);
  });

  test('rejects documents that are not clientConfig', () => {
    assert.throws(
      () =>
        parseAutoconfig(
          '<?xml version="1.0"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"/>',
        ),
      (err: unknown) =>
        err instanceof AutoconfigRejected && /<Autodiscover>, not a Thunderbird <clientConfig>/.test(err.message),
    );
    assert.throws(() => parseAutoconfig('<html><body>404</body></html>'), AutoconfigRejected);
    assert.throws(() => parseAutoconfig('<clientConfig version="1.1"/>'), /has no <emailProvider>/);
  });
});
