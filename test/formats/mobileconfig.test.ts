import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { nameBasedUuid, profileIdentifier, renderMobileconfig, uuidV5 } from '../../src/formats/mobileconfig.js';
import { parseXml, type XmlElement } from '../../src/formats/xml.js';
import { type ResolvedSettings, resolveAnswer } from '../../src/settings/resolve.js';
import { type DomainSettings, domain, user } from '../../src/settings/schema.js';

type Plist = string | number | boolean | Plist[] | { [key: string]: Plist };

const DOCTYPE =
  '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

/** Our safe parser refuses every DTD, so check Apple's exact header and hand it the rest. */
function readPlist(text: string): { [key: string]: Plist } {
  assert.ok(text.startsWith(DOCTYPE), 'Apple plist header');
  const root = parseXml(text.slice(DOCTYPE.length));
  assert.equal(root.name, 'plist');
  assert.equal(root.attributes['version'], '1.0');
  assert.equal(root.children.length, 1);
  const value = toValue(root.children[0] as XmlElement);
  assert.ok(typeof value === 'object' && !Array.isArray(value));
  return value;
}

function toValue(node: XmlElement): Plist {
  switch (node.name) {
    case 'string':
      return node.text;
    case 'integer':
      assert.match(node.text, /^-?\d+$/);
      return Number(node.text);
    case 'true':
    case 'false':
      assert.equal(node.children.length, 0);
      return node.name === 'true';
    case 'array':
      return node.children.map(toValue);
    case 'dict': {
      const out: { [key: string]: Plist } = {};
      assert.equal(node.children.length % 2, 0, 'dict holds key/value pairs');
      for (let i = 0; i < node.children.length; i += 2) {
        const key = node.children[i] as XmlElement;
        assert.equal(key.name, 'key');
        assert.ok(!(key.text in out), `duplicate key ${key.text}`);
        out[key.text] = toValue(node.children[i + 1] as XmlElement);
      }
      return out;
    }
    default:
      throw new Error(`unexpected plist element <${node.name}>`);
  }
}

function settingsFor(
  d: DomainSettings,
  email: string | undefined,
  u?: ReturnType<typeof user.parse>,
): ResolvedSettings {
  const answer = resolveAnswer(d, u, email);
  assert.equal(answer.kind, 'settings');
  return answer.settings;
}

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;

const example = domain.parse({
  name: 'mail.example.co.uk',
  displayName: 'Example Mail',
  imap: { host: 'imap.example.co.uk' },
  pop3: { host: 'pop.example.co.uk' },
  smtp: { host: 'smtp.example.co.uk', security: 'starttls', username: '%EMAILLOCALPART%' },
  activeSync: { url: 'https://eas.example.co.uk/Microsoft-Server-ActiveSync' },
  mobileconfig: { organization: 'Example Ltd' },
});

function payloads(profile: { [key: string]: Plist }): { [key: string]: Plist }[] {
  const content = profile['PayloadContent'];
  assert.ok(Array.isArray(content));
  return content as { [key: string]: Plist }[];
}

describe('renderMobileconfig', () => {
  test('an IMAP profile with every documented key and exact values', () => {
    const u = user.parse({ email: 'chris@mail.example.co.uk', displayName: 'Chris Example' });
    const profile = readPlist(renderMobileconfig(settingsFor(example, 'Chris@Mail.Example.co.uk', u)));
    const id = `uk.co.example.mail.autodisco.mail.${createHash('sha256').update('chris@mail.example.co.uk').digest('hex').slice(0, 16)}`;
    const { PayloadContent: _, ...top } = profile;
    assert.deepEqual(top, {
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      PayloadIdentifier: id,
      PayloadUUID: nameBasedUuid('chris@mail.example.co.uk#profile'),
      PayloadDisplayName: 'Example Mail',
      PayloadDescription: 'Sets up Chris@Mail.Example.co.uk in Mail.',
      PayloadOrganization: 'Example Ltd',
      PayloadRemovalDisallowed: false,
    });
    const [mail, ...rest] = payloads(profile);
    // activeSync is off unless the domain asks for it.
    assert.equal(rest.length, 0);
    assert.deepEqual(mail, {
      PayloadType: 'com.apple.mail.managed',
      PayloadVersion: 1,
      PayloadIdentifier: `${id}.email`,
      PayloadUUID: nameBasedUuid('chris@mail.example.co.uk#mail'),
      PayloadDisplayName: 'Example Mail mail',
      EmailAccountDescription: 'Example Mail',
      EmailAccountName: 'Chris Example',
      EmailAccountType: 'EmailTypeIMAP',
      EmailAddress: 'Chris@Mail.Example.co.uk',
      IncomingMailServerHostName: 'imap.example.co.uk',
      IncomingMailServerPortNumber: 993,
      IncomingMailServerUseSSL: true,
      IncomingMailServerAuthentication: 'EmailAuthPassword',
      IncomingMailServerUsername: 'Chris@Mail.Example.co.uk',
      OutgoingMailServerHostName: 'smtp.example.co.uk',
      OutgoingMailServerPortNumber: 587,
      // STARTTLS is SSL=true for Apple (see the comment on useSsl).
      OutgoingMailServerUseSSL: true,
      OutgoingMailServerAuthentication: 'EmailAuthPassword',
      OutgoingMailServerUsername: 'Chris',
      OutgoingPasswordSameAsIncomingPassword: true,
    });
    assert.equal(profileIdentifier('mail.example.co.uk', 'CHRIS@mail.example.co.uk'), id);
  });

  test('never a password key, and no EmailAccountName without a display name', () => {
    const text = renderMobileconfig(settingsFor(example, 'sam@mail.example.co.uk'));
    assert.ok(!/Password<\/key>\s*<string>/.test(text));
    for (const key of ['IncomingPassword', 'OutgoingPassword', 'Password']) {
      assert.ok(!text.includes(`<key>${key}</key>`), key);
    }
    const [mail] = payloads(readPlist(text));
    assert.ok(mail && !('EmailAccountName' in mail));
    assert.ok(
      !(
        'PayloadOrganization' in
        readPlist(
          renderMobileconfig(
            settingsFor(
              domain.parse({ name: 'x.example', imap: { host: 'i.x.example' }, smtp: { host: 's.x.example' } }),
              'a@x.example',
            ),
          ),
        )
      ),
    );
  });

  test('POP3 only: EmailTypePOP; security none: UseSSL false; authentication mapping', () => {
    const pop = domain.parse({
      name: 'pop.example',
      pop3: { host: 'pop.pop.example', security: 'none', authentication: 'password-encrypted' },
      smtp: { host: 'smtp.pop.example', security: 'tls', authentication: 'client-ip-address' },
    });
    const [mail] = payloads(readPlist(renderMobileconfig(settingsFor(pop, 'a@pop.example'))));
    assert.equal(mail?.['EmailAccountType'], 'EmailTypePOP');
    assert.equal(mail?.['IncomingMailServerPortNumber'], 110);
    assert.equal(mail?.['IncomingMailServerUseSSL'], false);
    assert.equal(mail?.['IncomingMailServerAuthentication'], 'EmailAuthCRAMMD5');
    assert.equal(mail?.['OutgoingMailServerPortNumber'], 465);
    assert.equal(mail?.['OutgoingMailServerUseSSL'], true);
    assert.equal(mail?.['OutgoingMailServerAuthentication'], 'EmailAuthNone');

    for (const [ours, apple] of [
      ['ntlm', 'EmailAuthNTLM'],
      ['none', 'EmailAuthNone'],
      ['gssapi', 'EmailAuthPassword'],
      ['oauth2', 'EmailAuthPassword'],
    ] as const) {
      const d = domain.parse({
        name: 'a.example',
        imap: { host: 'i.a.example', authentication: ours },
        smtp: { host: 's.a.example' },
      });
      const [m] = payloads(readPlist(renderMobileconfig(settingsFor(d, 'x@a.example'))));
      assert.equal(m?.['IncomingMailServerAuthentication'], apple, ours);
    }
  });

  test('an ActiveSync payload when the domain asks for it', () => {
    const eas = domain.parse({ ...example, name: 'example.co.uk', mobileconfig: { activeSync: true } });
    const profile = readPlist(renderMobileconfig(settingsFor(eas, 'kim@example.co.uk')));
    assert.ok(!('PayloadOrganization' in profile));
    const [mail, account] = payloads(profile);
    assert.equal(mail?.['PayloadType'], 'com.apple.mail.managed');
    assert.deepEqual(account, {
      PayloadType: 'com.apple.eas.account',
      PayloadVersion: 1,
      PayloadIdentifier: `${profile['PayloadIdentifier']}.eas`,
      PayloadUUID: nameBasedUuid('kim@example.co.uk#eas'),
      PayloadDisplayName: 'Exchange ActiveSync',
      Host: 'eas.example.co.uk',
      SSL: true,
      EmailAddress: 'kim@example.co.uk',
      UserName: 'kim@example.co.uk',
    });

    // A port other than 443 stays with the host.
    const port = domain.parse({
      name: 'p.example',
      activeSync: { url: 'https://eas.p.example:8443/Microsoft-Server-ActiveSync' },
      mobileconfig: { activeSync: true },
    });
    const only = payloads(readPlist(renderMobileconfig(settingsFor(port, 'a@p.example'))));
    assert.equal(only.length, 1);
    assert.equal(only[0]?.['Host'], 'eas.p.example:8443');
  });

  test('UUIDs: stable across calls, distinct per payload and per address, upper-case v5 form', () => {
    const s = settingsFor(domain.parse({ ...example, mobileconfig: { activeSync: true } }), 'chris@mail.example.co.uk');
    const first = renderMobileconfig(s);
    assert.equal(renderMobileconfig(s), first, 'byte-identical');
    assert.equal(renderMobileconfig(s, { now: new Date(0) }), first, 'independent of the clock');
    const uuids = (text: string) => {
      const p = readPlist(text);
      return [p['PayloadUUID'], ...payloads(p).map((x) => x['PayloadUUID'])] as string[];
    };
    const a = uuids(first);
    assert.equal(a.length, 3);
    assert.equal(new Set(a).size, 3);
    for (const u of a) assert.match(u, UUID);

    const b = uuids(renderMobileconfig({ ...s, email: 'other@mail.example.co.uk' }));
    assert.equal(b.filter((u) => a.includes(u)).length, 0);
    // Case of the address does not matter: the same mailbox, the same profile.
    assert.deepEqual(uuids(renderMobileconfig({ ...s, email: 'CHRIS@mail.example.co.uk' })), a);
  });

  test('uuidV5 gives the RFC 9562 test vector', () => {
    // RFC 9562 Appendix A.4: the DNS namespace (6ba7b810-…, RFC 9562 §6.6) and the name "www.example.com".
    assert.equal(
      uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'),
      '2ED6657D-E927-568B-95E1-2665A8AEA6A2',
    );
    assert.throws(() => uuidV5('not-a-uuid', 'x'), /namespace "not-a-uuid": expected a UUID/);
  });

  test('our namespace never changes: an installed profile keeps its UUID across versions', () => {
    // Pinned when the namespace was chosen; a different value here would make every device install a duplicate.
    assert.equal(nameBasedUuid('chris@example.com#mail'), 'F9CE6A45-A440-51E1-896E-1761FA79B388');
  });

  test('hostile strings are escaped: no key injection, values parse back verbatim', () => {
    const hostile = 'Evil</string><key>IncomingPassword</key><string>pwned';
    const d = domain.parse({
      name: 'hostile.example',
      displayName: `<script>alert("x")</script> & ${hostile}`,
      imap: { host: 'imap.hostile.example', username: `%EMAILLOCALPART%]]></string></dict>` },
      smtp: { host: 'smtp.hostile.example' },
      mobileconfig: { organization: `O'Brien & <Sons>` },
    });
    const u = user.parse({ email: 'a@hostile.example', displayName: hostile });
    const text = renderMobileconfig(settingsFor(d, 'a@hostile.example', u));
    assert.ok(!text.includes('<script>'));
    assert.ok(!text.includes('<key>IncomingPassword</key>'));
    const profile = readPlist(text);
    assert.equal(profile['PayloadDisplayName'], `<script>alert("x")</script> & ${hostile}`);
    assert.equal(profile['PayloadOrganization'], `O'Brien & <Sons>`);
    const [mail] = payloads(profile);
    assert.equal(mail?.['EmailAccountName'], hostile);
    assert.equal(mail?.['IncomingMailServerUsername'], 'a]]></string></dict>');
    assert.ok(mail && !('IncomingPassword' in mail));
  });

  test('throws a TypeError without an address or without anything to set up', () => {
    assert.throws(() => renderMobileconfig(settingsFor(example, undefined)), TypeError);
    const empty = domain.parse({ name: 'empty.example', imap: { host: 'imap.empty.example' } });
    assert.throws(() => renderMobileconfig(settingsFor(empty, 'a@empty.example')), /nothing to put in a profile/);
  });
});
