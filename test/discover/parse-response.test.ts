import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { autoconfigToProtocols } from '../../src/discover/autoconfig-settings.js';
import {
  decodeServerVersion,
  lowerCamel,
  type ParsedResponse,
  parseAutodiscoverResponse,
  RESPONSE_LIMITS,
} from '../../src/discover/parse-response.js';
import { parseAutoconfig } from '../../src/formats/autoconfig.js';
import { expandPlaceholders } from '../../src/settings/resolve.js';

const OUTER = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
const OUTLOOK = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const MOBILESYNC = 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006';

/** An Outlook answer: `inner` goes inside `<Response xmlns=outlook 2006a>`. */
function outlook(inner: string, outer = OUTER, responseNs = OUTLOOK): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="${outer}">
  <Response xmlns="${responseNs}">${inner}</Response>
</Autodiscover>`;
}

function account(inner: string): string {
  return outlook(`<Account><AccountType>email</AccountType>${inner}</Account>`);
}

function settingsOf(result: ParsedResponse) {
  assert.equal(result.kind, 'settings', JSON.stringify(result));
  return result as Extract<ParsedResponse, { kind: 'settings' }>;
}

// docs/protocol.md §3.5, with the MAPI/HTTP block of the same section added to the Account.
const EXCHANGE_SETTINGS = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <User>
      <DisplayName>Chris Gray</DisplayName>
      <LegacyDN>/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=chris</LegacyDN>
      <AutoDiscoverSMTPAddress>chris@contoso.com</AutoDiscoverSMTPAddress>
      <DeploymentId>644560b8-a1ce-429c-8ace-23395843f701</DeploymentId>
    </User>
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
      <MicrosoftOnline>False</MicrosoftOnline>
      <Protocol>
        <Type>EXCH</Type>
        <Server>9f6b2c1e-…@contoso.com</Server>
        <ServerDN>/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=9f6b2c1e-…@contoso.com</ServerDN>
        <ServerVersion>73C189CB</ServerVersion>
        <AuthPackage>Kerb</AuthPackage>
        <ASUrl>https://mail.contoso.com/EWS/Exchange.asmx</ASUrl>
        <EwsUrl>https://mail.contoso.com/EWS/Exchange.asmx</EwsUrl>
        <EcpUrl>https://mail.contoso.com/owa/</EcpUrl>
        <OOFUrl>https://mail.contoso.com/EWS/Exchange.asmx</OOFUrl>
        <OABUrl>https://mail.contoso.com/OAB/d29844a9-724e-468c-8820-0f7b345b767b/</OABUrl>
        <ServerExclusiveConnect>off</ServerExclusiveConnect>
      </Protocol>
      <Protocol>
        <Type>EXPR</Type>
        <Server>mail.contoso.com</Server>
        <SSL>On</SSL>
        <AuthPackage>Ntlm</AuthPackage>
        <ASUrl>https://mail.contoso.com/EWS/Exchange.asmx</ASUrl>
        <EwsUrl>https://mail.contoso.com/EWS/Exchange.asmx</EwsUrl>
        <OABUrl>https://mail.contoso.com/OAB/d29844a9-724e-468c-8820-0f7b345b767b/</OABUrl>
        <ServerExclusiveConnect>on</ServerExclusiveConnect>
        <CertPrincipalName>msstd:mail.contoso.com</CertPrincipalName>
      </Protocol>
      <Protocol>
        <Type>WEB</Type>
        <External><OWAUrl AuthenticationMethod="Fba">https://mail.contoso.com/owa/</OWAUrl>
          <Protocol><Type>EXPR</Type><ASUrl>https://mail.contoso.com/EWS/Exchange.asmx</ASUrl></Protocol></External>
        <Internal><OWAUrl AuthenticationMethod="Basic, Fba">https://mail.contoso.com/owa/</OWAUrl>
          <Protocol><Type>EXCH</Type><ASUrl>https://mail.contoso.com/EWS/Exchange.asmx</ASUrl></Protocol></Internal>
      </Protocol>
      <Protocol Type="mapiHttp" Version="1">
        <MailStore><InternalUrl>https://mail.Contoso.com/mapi/emsmdb/?MailboxId=416c6368-656d-794a-6f45-57615272456e@Contoso.com</InternalUrl></MailStore>
        <AddressBook><InternalUrl>https://mail.Contoso.com/mapi/nspi/?MailboxId=416c6368-656d-794a-6f45-57615272456e@Contoso.com</InternalUrl></AddressBook>
      </Protocol>
    </Account>
  </Response>
</Autodiscover>`;

const EWS = 'https://mail.contoso.com/EWS/Exchange.asmx';
const OAB = 'https://mail.contoso.com/OAB/d29844a9-724e-468c-8820-0f7b345b767b/';

describe('parseAutodiscoverResponse: Outlook answers from docs/protocol.md §3.5', () => {
  test('settings: EXCH, EXPR, WEB and mapiHttp, one entry per <Protocol>, lower-camel keys, typed values', () => {
    const result = parseAutodiscoverResponse(EXCHANGE_SETTINGS, 'outlook');
    assert.deepEqual(result, {
      kind: 'settings',
      user: {
        displayName: 'Chris Gray',
        legacyDN: '/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=chris',
        autoDiscoverSMTPAddress: 'chris@contoso.com',
      },
      protocols: [
        {
          type: 'EXCH',
          server: '9f6b2c1e-…@contoso.com',
          serverDN:
            '/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=9f6b2c1e-…@contoso.com',
          serverVersion: '73C189CB',
          serverVersionDecoded: '15.1.2507',
          authPackage: 'kerb',
          asUrl: EWS,
          ewsUrl: EWS,
          ecpUrl: 'https://mail.contoso.com/owa/',
          oofUrl: EWS,
          oabUrl: OAB,
          serverExclusiveConnect: false,
        },
        {
          type: 'EXPR',
          server: 'mail.contoso.com',
          ssl: true,
          authPackage: 'ntlm',
          asUrl: EWS,
          ewsUrl: EWS,
          oabUrl: OAB,
          serverExclusiveConnect: true,
          certPrincipalName: 'msstd:mail.contoso.com',
        },
        {
          type: 'WEB',
          external: { owaUrl: 'https://mail.contoso.com/owa/', authenticationMethod: 'Fba', asUrl: EWS },
          internal: { owaUrl: 'https://mail.contoso.com/owa/', authenticationMethod: 'Basic, Fba', asUrl: EWS },
        },
        {
          type: 'mapiHttp',
          version: '1',
          mailStore: {
            internalUrl:
              'https://mail.Contoso.com/mapi/emsmdb/?MailboxId=416c6368-656d-794a-6f45-57615272456e@Contoso.com',
            externalUrl: null,
          },
          addressBook: {
            internalUrl:
              'https://mail.Contoso.com/mapi/nspi/?MailboxId=416c6368-656d-794a-6f45-57615272456e@Contoso.com',
            externalUrl: null,
          },
        },
      ],
    });
  });

  test('keeps the order of the document, for protocols and for keys', () => {
    const { protocols } = settingsOf(parseAutodiscoverResponse(EXCHANGE_SETTINGS, 'outlook'));
    assert.deepEqual(
      protocols.map((p) => p.type),
      ['EXCH', 'EXPR', 'WEB', 'mapiHttp'],
    );
    assert.deepEqual(Object.keys(protocols[0] ?? {}), [
      'type',
      'server',
      'serverDN',
      'serverVersion',
      'serverVersionDecoded',
      'authPackage',
      'asUrl',
      'ewsUrl',
      'ecpUrl',
      'oofUrl',
      'oabUrl',
      'serverExclusiveConnect',
    ]);
    assert.deepEqual(Object.keys(protocols[2] ?? {}), ['type', 'external', 'internal']);
  });

  test('IMAP and SMTP (non-Exchange hosts): ports as numbers, on/off as booleans', () => {
    const body = account(`<Action>settings</Action>
      <Protocol><Type>IMAP</Type><Server>imap.example.com</Server><Port>993</Port>
        <DomainRequired>off</DomainRequired><LoginName>chris@example.com</LoginName>
        <SPA>off</SPA><SSL>on</SSL><AuthRequired>on</AuthRequired></Protocol>
      <Protocol><Type>SMTP</Type><Server>smtp.example.com</Server><Port>465</Port>
        <SPA>off</SPA><SSL>on</SSL><AuthRequired>on</AuthRequired><UsePOPAuth>on</UsePOPAuth><SMTPLast>off</SMTPLast></Protocol>`);
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'settings',
      user: { displayName: null, legacyDN: null, autoDiscoverSMTPAddress: null },
      protocols: [
        {
          type: 'IMAP',
          server: 'imap.example.com',
          port: 993,
          domainRequired: false,
          loginName: 'chris@example.com',
          spa: false,
          ssl: true,
          authRequired: true,
        },
        {
          type: 'SMTP',
          server: 'smtp.example.com',
          port: 465,
          spa: false,
          ssl: true,
          authRequired: true,
          usePOPAuth: true,
          smtpLast: false,
        },
      ],
    });
  });

  test('the other documented elements: TTL and directory ports, fragments, Encryption, MdbDN, unknown ones', () => {
    const body = account(`<Action>settings</Action>
      <Protocol><Type>EXCH</Type><Server>ex.contoso.com</Server><MdbDN>/o=Contoso/cn=DB01</MdbDN>
        <Port>0</Port><DirectoryPort>6004</DirectoryPort><ReferralPort>6002</ReferralPort><TTL>1</TTL>
        <UMUrl>https://mail.contoso.com/UnifiedMessaging/Service.asmx</UMUrl>
        <EcpUrl>https://mail.contoso.com/ecp/</EcpUrl><EcpUrl-um>?p=customize/voicemail.aspx</EcpUrl-um>
        <EcpUrl-tmEditing>?p=x</EcpUrl-tmEditing><PublicFolderServer>pf.contoso.com</PublicFolderServer>
        <GroupingInformation>Site1</GroupingInformation>
        <NetworkRequirements><IPv4Start>10.0.0.0</IPv4Start><IPv4End>10.255.255.255</IPv4End></NetworkRequirements>
      </Protocol>
      <Protocol><Type>POP3</Type><Server>pop.contoso.com</Server><Port>995</Port><Encryption>SSL</Encryption>
        <SSL>True</SSL><SPA>false</SPA><TTL>0</TTL></Protocol>`);
    assert.deepEqual(settingsOf(parseAutodiscoverResponse(body, 'outlook')).protocols, [
      {
        type: 'EXCH',
        server: 'ex.contoso.com',
        mdbDN: '/o=Contoso/cn=DB01',
        port: 0,
        directoryPort: 6004,
        referralPort: 6002,
        ttl: 1,
        umUrl: 'https://mail.contoso.com/UnifiedMessaging/Service.asmx',
        ecpUrl: 'https://mail.contoso.com/ecp/',
        'ecpUrl-um': '?p=customize/voicemail.aspx',
        'ecpUrl-tmEditing': '?p=x',
        publicFolderServer: 'pf.contoso.com',
        groupingInformation: 'Site1',
        networkRequirements: { ipv4Start: '10.0.0.0', ipv4End: '10.255.255.255' },
      },
      {
        type: 'POP3',
        server: 'pop.contoso.com',
        port: 995,
        encryption: 'SSL',
        ssl: true,
        spa: false,
        ttl: 0,
      },
    ]);
  });

  test('values an element does not allow are left out and named in warnings', () => {
    const body = account(`<Action>settings</Action>
      <Protocol><Type>IMAP</Type><SSL>yes</SSL><Port>99999</Port><TTL>-1</TTL><SPA/>
        <ServerVersion>15.1</ServerVersion><Server>imap.example.com</Server><Server>other</Server></Protocol>
      <Protocol><Server>nameless.example.com</Server></Protocol>`);
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'settings',
      user: { displayName: null, legacyDN: null, autoDiscoverSMTPAddress: null },
      protocols: [
        { type: 'IMAP', serverVersion: '15.1', server: 'imap.example.com' },
        { type: '', server: 'nameless.example.com' },
      ],
      warnings: [
        'Protocol[0]/SSL is "yes", not on or off; ignored',
        'Protocol[0]/Port is "99999", not a whole number from 0 to 65535; ignored',
        'Protocol[0]/TTL is "-1", not a whole number from 0 to 1000000; ignored',
        'Protocol[0]/SPA is "", not on or off; ignored',
        'Protocol[0]/ServerVersion is "15.1", not 8 hex digits; not decoded',
        'Protocol[0]: <Server> is repeated; the first one is kept',
        'Protocol[1] has no Type',
      ],
    });
  });

  test('redirectAddr', () => {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <Action>redirectAddr</Action>
      <RedirectAddr>user@subdomain.contoso.com</RedirectAddr>
    </Account>
  </Response>
</Autodiscover>`;
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'redirectAddr',
      address: 'user@subdomain.contoso.com',
    });
  });

  test('a redirectUrl to http:// is still a redirectUrl (the client refusing it is a step result)', () => {
    const body = account('<Action>redirectUrl</Action><RedirectUrl>http://cas2.contoso.com/x.xml</RedirectUrl>');
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'redirectUrl',
      url: 'http://cas2.contoso.com/x.xml',
    });
  });

  test('redirectUrl', () => {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <Action>redirectUrl</Action>
      <RedirectUrl>https://cas2.contoso.com/autodiscover/autodiscover.xml</RedirectUrl>
    </Account>
  </Response>
</Autodiscover>`;
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'redirectUrl',
      url: 'https://cas2.contoso.com/autodiscover/autodiscover.xml',
    });
  });

  test('error 500 as Exchange Online sends it: <Response> without a namespace of its own', () => {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response>
    <Error Time="12:03:32.8803744" Id="2422600485">
      <ErrorCode>500</ErrorCode>
      <Message>The email address can't be found.</Message>
      <DebugData />
    </Error>
  </Response>
</Autodiscover>`;
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'error',
      code: '500',
      message: "The email address can't be found.",
    });
    // An error is an error whichever schema was asked for.
    assert.deepEqual(parseAutodiscoverResponse(body, 'mobilesync'), {
      kind: 'error',
      code: '500',
      message: "The email address can't be found.",
    });
  });

  test('error 600 as the POX reference shows it: the outer namespace repeated on <Response>', () => {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
    <Error Time="16:38:35.6504123" Id="1054815124">
      <ErrorCode>600</ErrorCode>
      <Message>Invalid Request</Message>
      <DebugData />
    </Error>
  </Response>
</Autodiscover>`;
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'error',
      code: '600',
      message: 'Invalid Request',
    });
  });

  test('error under <Account>, and in the outlook namespace', () => {
    const body = account(
      '<Action>settings</Action><Error><ErrorCode>501</ErrorCode><Message>Bad Address</Message></Error>',
    );
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'error',
      code: '501',
      message: 'Bad Address',
    });
  });

  test('an <Error> without code or message', () => {
    assert.deepEqual(parseAutodiscoverResponse(outlook('<Error/>'), 'outlook'), {
      kind: 'error',
      code: '',
      message: '',
    });
  });
});

describe('parseAutodiscoverResponse: mobilesync (docs/protocol.md §3.6)', () => {
  const wrap = (inner: string) => outlook(inner, OUTER, MOBILESYNC);

  test('settings: one entry per <Server>, MobileSync and CertEnroll', () => {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Culture>en:us</Culture>
    <User>
      <DisplayName>Chris Gray</DisplayName>
      <EMailAddress>chris@contoso.com</EMailAddress>
    </User>
    <Action>
      <Settings>
        <Server>
          <Type>MobileSync</Type>
          <Url>https://mail.contoso.com/Microsoft-Server-ActiveSync</Url>
          <Name>https://mail.contoso.com/Microsoft-Server-ActiveSync</Name>
        </Server>
        <Server>
          <Type>CertEnroll</Type>
          <Url>https://cert.contoso.com/CertEnroll</Url>
          <ServerData>EASDevice</ServerData>
        </Server>
      </Settings>
    </Action>
  </Response>
</Autodiscover>`;
    assert.deepEqual(parseAutodiscoverResponse(body, 'mobilesync'), {
      kind: 'settings',
      user: { displayName: 'Chris Gray', legacyDN: null, autoDiscoverSMTPAddress: 'chris@contoso.com' },
      protocols: [
        {
          type: 'MobileSync',
          url: 'https://mail.contoso.com/Microsoft-Server-ActiveSync',
          name: 'https://mail.contoso.com/Microsoft-Server-ActiveSync',
        },
        { type: 'CertEnroll', url: 'https://cert.contoso.com/CertEnroll', serverData: 'EASDevice' },
      ],
    });
  });

  test('redirect: the address whose domain the device restarts with', () => {
    const body = wrap('<Culture>en:us</Culture><Action><Redirect>chris@contoso.net</Redirect></Action>');
    assert.deepEqual(parseAutodiscoverResponse(body, 'mobilesync'), {
      kind: 'redirectAddr',
      address: 'chris@contoso.net',
    });
  });

  test('Action/Error with Status (MS-ASCMD §4.2.2)', () => {
    const body = wrap(
      '<Action><Error><Status>2</Status><Message>The directory service could not be reached</Message><DebugData>MailUser</DebugData></Error></Action>',
    );
    assert.deepEqual(parseAutodiscoverResponse(body, 'mobilesync'), {
      kind: 'error',
      code: '2',
      status: '2',
      message: 'The directory service could not be reached',
    });
  });

  test('Response/Error: a framework error (601)', () => {
    const body = wrap(
      '<Error Time="10:00:00.0000000" Id="1"><ErrorCode>601</ErrorCode><Message>Provider is not available</Message></Error>',
    );
    assert.deepEqual(parseAutodiscoverResponse(body, 'mobilesync'), {
      kind: 'error',
      code: '601',
      message: 'Provider is not available',
    });
  });

  test('an Action the client does not know, an empty Action, an empty Redirect', () => {
    assert.deepEqual(parseAutodiscoverResponse(wrap('<Action><Reconfigure/></Action>'), 'mobilesync'), {
      kind: 'invalid',
      reason: '<Action> holds <Reconfigure>, which a client does not know (Settings, Redirect, Error)',
    });
    assert.deepEqual(parseAutodiscoverResponse(wrap('<Action/>'), 'mobilesync'), {
      kind: 'invalid',
      reason: '<Action> is empty',
    });
    assert.deepEqual(parseAutodiscoverResponse(wrap('<Action><Redirect> </Redirect></Action>'), 'mobilesync'), {
      kind: 'invalid',
      reason: '<Redirect> is empty',
    });
    assert.deepEqual(parseAutodiscoverResponse(wrap('<Culture>en:us</Culture>'), 'mobilesync'), {
      kind: 'invalid',
      reason: '<Response> has no <Action>',
    });
  });

  test('settings without a <Server> are settings with a warning', () => {
    assert.deepEqual(parseAutodiscoverResponse(wrap('<Action><Settings/></Action>'), 'mobilesync'), {
      kind: 'settings',
      user: { displayName: null, legacyDN: null, autoDiscoverSMTPAddress: null },
      protocols: [],
      warnings: ['<Settings> has no <Server>'],
    });
  });
});

describe('parseAutodiscoverResponse: namespaces', () => {
  test('https:// spellings are accepted, and said so', () => {
    const body = outlook(
      `<Account><Action>redirectAddr</Action><RedirectAddr>a@b.test</RedirectAddr></Account>`,
      OUTER.replace('http:', 'https:'),
      OUTLOOK.replace('http:', 'https:'),
    );
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'redirectAddr',
      address: 'a@b.test',
      namespaceWarning:
        'the response uses https:// namespaces ("https://schemas.microsoft.com/exchange/autodiscover/responseschema/2006", "https://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"); Exchange and the specifications use http://, and strict clients may not accept https://',
    });
  });

  test('only the inner namespace in https://', () => {
    const body = outlook(
      `<Account><Action>redirectAddr</Action><RedirectAddr>a@b.test</RedirectAddr></Account>`,
      OUTER,
      OUTLOOK.replace('http:', 'https:'),
    );
    const result = parseAutodiscoverResponse(body, 'outlook');
    assert.equal(result.kind, 'redirectAddr');
    assert.match(result.namespaceWarning ?? '', /^the response uses https:\/\/ namespaces \("https:.*outlook/);
  });

  test('other spelling differences (case, trailing slash) are accepted with a warning', () => {
    const body = outlook(
      `<Account><Action>redirectAddr</Action><RedirectAddr>a@b.test</RedirectAddr></Account>`,
      `${OUTER}/`,
      OUTLOOK.toUpperCase(),
    );
    const result = parseAutodiscoverResponse(body, 'outlook');
    assert.equal(result.kind, 'redirectAddr');
    assert.match(result.namespaceWarning ?? '', /^the response spells its namespaces differently/);
  });

  test('a root without a namespace, or in another one', () => {
    assert.deepEqual(parseAutodiscoverResponse('<Autodiscover><Response/></Autodiscover>', 'outlook'), {
      kind: 'invalid',
      reason: `<Autodiscover> has no namespace; it must be ${OUTER}`,
    });
    assert.deepEqual(parseAutodiscoverResponse(outlook('', OUTLOOK), 'outlook'), {
      kind: 'invalid',
      reason: `<Autodiscover> is in the namespace "${OUTLOOK}", not ${OUTER}`,
    });
  });

  test('an unknown <Response> namespace', () => {
    const body = outlook('<Account/>', OUTER, 'http://example.com/response');
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'invalid',
      reason: '<Response> is in the namespace "http://example.com/response", which no client knows',
    });
  });

  test('settings in the outer namespace are not settings', () => {
    const body = outlook('<Account><Action>settings</Action></Account>', OUTER, OUTER);
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'invalid',
      reason: `<Response> is in the outer namespace ${OUTER}, not a settings schema`,
    });
  });

  test('an answer in the other schema', () => {
    const mobile = outlook('<Action><Redirect>a@b.test</Redirect></Action>', OUTER, MOBILESYNC);
    assert.deepEqual(parseAutodiscoverResponse(mobile, 'outlook'), {
      kind: 'invalid',
      reason: 'the response is in the mobilesync schema, but the request asked for outlook',
    });
    assert.deepEqual(parseAutodiscoverResponse(EXCHANGE_SETTINGS, 'mobilesync'), {
      kind: 'invalid',
      reason: 'the response is in the outlook schema, but the request asked for mobilesync',
    });
  });
});

describe('parseAutodiscoverResponse: not an answer', () => {
  const cases: [string, string, string][] = [
    ['empty', '  \n', 'the body is empty'],
    [
      'an IIS page',
      '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>IIS Windows Server</title></head><body></body></html>',
      'an HTML page ("IIS Windows Server"), not an Autodiscover response',
    ],
    [
      'XHTML after a declaration and a comment',
      '<?xml version="1.0"?>\n<!-- x --><html><body/></html>',
      'an HTML page, not an Autodiscover response',
    ],
    ['an upper-case HTML page', '<HTML><BODY>It works!</BODY></HTML>', 'an HTML page, not an Autodiscover response'],
    ['JSON', '{"Protocol":"AutodiscoverV1","Url":"x"}', 'a JSON document, not an Autodiscover (XML) response'],
    ['plain text', 'Not Found', 'not an Autodiscover response: malformed XML: 1:9: text data outside of root node.'],
    [
      'unclosed XML',
      '<Autodiscover xmlns="x">',
      'not an Autodiscover response: malformed XML: 1:24: unclosed tag: Autodiscover',
    ],
    [
      'a Thunderbird document',
      '<clientConfig version="1.1"><emailProvider id="x"/></clientConfig>',
      'the root element is <clientConfig>, not <Autodiscover>',
    ],
    ['no <Response>', `<Autodiscover xmlns="${OUTER}"/>`, '<Autodiscover> has no <Response>'],
    ['no <Account>', outlook('<User/>'), '<Response> has no <Account>'],
    ['no <Action>', account('<Protocol><Type>IMAP</Type></Protocol>'), '<Account> has no <Action>'],
    [
      'an unknown Action',
      account('<Action>Settings</Action>'),
      'Action "Settings" is not one a client knows (settings, redirectAddr, redirectUrl)',
    ],
    [
      'redirectAddr without its target',
      account('<Action>redirectAddr</Action>'),
      'Action is redirectAddr but <RedirectAddr> is missing or empty',
    ],
    [
      'redirectUrl without its target',
      account('<Action>redirectUrl</Action><RedirectUrl/>'),
      'Action is redirectUrl but <RedirectUrl> is missing or empty',
    ],
    [
      'redirectAddr that is not an address',
      account('<Action>redirectAddr</Action><RedirectAddr>contoso.com</RedirectAddr>'),
      'the redirect address "contoso.com" is not an email address',
    ],
    [
      'redirectUrl that is not a URL',
      account('<Action>redirectUrl</Action><RedirectUrl>cas2.contoso.com</RedirectUrl>'),
      '<RedirectUrl> "cas2.contoso.com" is not a URL',
    ],
    [
      'redirectUrl to another scheme',
      account('<Action>redirectUrl</Action><RedirectUrl>file:///etc/passwd</RedirectUrl>'),
      '<RedirectUrl> "file:///etc/passwd" is not an http(s) URL',
    ],
  ];
  for (const [name, body, reason] of cases) {
    test(name, () => {
      assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), { kind: 'invalid', reason });
    });
  }

  test('settings without a <Protocol> are settings with a warning', () => {
    assert.deepEqual(parseAutodiscoverResponse(account('<Action>settings</Action>'), 'outlook'), {
      kind: 'settings',
      user: { displayName: null, legacyDN: null, autoDiscoverSMTPAddress: null },
      protocols: [],
      warnings: ['Action is settings but there is no <Protocol>'],
    });
  });

  test('a byte-order mark is not in the way', () => {
    const result = parseAutodiscoverResponse(`\uFEFF${EXCHANGE_SETTINGS}`, 'outlook');
    assert.equal(result.kind, 'settings');
  });
});

describe('parseAutodiscoverResponse: hostile bodies', () => {
  test('a DTD (billion laughs, XXE) is refused before parsing', () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Autodiscover xmlns="${OUTER}"><Response><Error><ErrorCode>&lol2;</ErrorCode></Error></Response></Autodiscover>`;
    const xxe = `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><Autodiscover xmlns="${OUTER}">&x;</Autodiscover>`;
    for (const body of [laughs, xxe]) {
      assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
        kind: 'invalid',
        reason: 'not an Autodiscover response: it has a DTD, which clients refuse',
      });
    }
  });

  test('1,000 protocols: the first 64 are read, and the warning says so', () => {
    let protocols = '';
    for (let i = 0; i < 1_000; i++) protocols += `<Protocol><Type>IMAP</Type><Server>imap${i}.test</Server></Protocol>`;
    const result = settingsOf(parseAutodiscoverResponse(account(`<Action>settings</Action>${protocols}`), 'outlook'));
    assert.equal(result.protocols.length, RESPONSE_LIMITS.maxProtocols);
    assert.equal(RESPONSE_LIMITS.maxProtocols, 64);
    assert.deepEqual(result.protocols[0], { type: 'IMAP', server: 'imap0.test' });
    assert.deepEqual(result.protocols[63], { type: 'IMAP', server: 'imap63.test' });
    assert.deepEqual(result.warnings, ['the response has 1000 <Protocol> elements; only the first 64 are read']);
  });

  test('an answer of more than 4,096 elements is not read at all (the parse stops at the limit)', () => {
    const protocols = '<Protocol><Type>IMAP</Type><Server>imap.test</Server></Protocol>'.repeat(10_000);
    const result = parseAutodiscoverResponse(account(`<Action>settings</Action>${protocols}`), 'outlook');
    assert.deepEqual(result, { kind: 'invalid', reason: 'not an Autodiscover response: more than 4096 elements' });
  });

  test('1,000 mobilesync servers are capped the same way', () => {
    const servers = '<Server><Type>MobileSync</Type></Server>'.repeat(1_000);
    const body = outlook(`<Action><Settings>${servers}</Settings></Action>`, OUTER, MOBILESYNC);
    const result = settingsOf(parseAutodiscoverResponse(body, 'mobilesync'));
    assert.equal(result.protocols.length, 64);
    assert.deepEqual(result.warnings, ['the response has 1000 <Server> elements; only the first 64 are read']);
  });

  test('element names never become prototype keys', () => {
    const body = account(`<Action>settings</Action>
      <Protocol><Type>IMAP</Type><__proto__><polluted>yes</polluted></__proto__><constructor>x</constructor>
        <Constructor>y</Constructor><prototype>z</prototype><toString>t</toString><HasOwnProperty>h</HasOwnProperty>
        <NetworkRequirements><__proto__><polluted>yes</polluted></__proto__><IPv4Start>10.0.0.0</IPv4Start></NetworkRequirements>
        <ServerVersionDecoded>99.9.9</ServerVersionDecoded><Server>imap.example.com</Server></Protocol>`);
    const result = settingsOf(parseAutodiscoverResponse(body, 'outlook'));
    assert.deepEqual(result.protocols, [
      { type: 'IMAP', networkRequirements: { ipv4Start: '10.0.0.0' }, server: 'imap.example.com' },
    ]);
    const [protocol] = result.protocols;
    assert.equal(Object.getPrototypeOf(protocol), Object.prototype);
    assert.equal(Object.getPrototypeOf(protocol?.['networkRequirements']), Object.prototype);
    assert.equal(Object.hasOwn(protocol ?? {}, '__proto__'), false);
    assert.equal(typeof protocol?.toString, 'function');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual(result.warnings, [
      'Protocol[0]: <__proto__> is not a usable name; ignored',
      'Protocol[0]: <constructor> is not a usable name; ignored',
      'Protocol[0]: <Constructor> is not a usable name; ignored',
      'Protocol[0]: <prototype> is not a usable name; ignored',
      'Protocol[0]: <toString> is not a usable name; ignored',
      'Protocol[0]: <HasOwnProperty> is not a usable name; ignored',
      'Protocol[0]/NetworkRequirements: <__proto__> is not a usable name; ignored',
      'Protocol[0]: <ServerVersionDecoded> is not a usable name; ignored',
    ]);
    // The same in a mobilesync <Server>.
    const mobile = outlook(
      '<Action><Settings><Server><Type>MobileSync</Type><__proto__>x</__proto__></Server></Settings></Action>',
      OUTER,
      MOBILESYNC,
    );
    const server = settingsOf(parseAutodiscoverResponse(mobile, 'mobilesync')).protocols[0];
    assert.deepEqual(server, { type: 'MobileSync' });
    assert.equal(Object.getPrototypeOf(server), Object.prototype);
  });

  test('huge strings are cut to 2048 characters, with a warning', () => {
    const huge = 'a'.repeat(100_000);
    const body = outlook(`<User><DisplayName>${huge}</DisplayName></User>
      <Account><Action>settings</Action><Protocol><Type>IMAP</Type><Server>${huge}</Server></Protocol></Account>`);
    const result = settingsOf(parseAutodiscoverResponse(body, 'outlook'));
    assert.equal(RESPONSE_LIMITS.maxStringChars, 2048);
    assert.equal(result.user.displayName, 'a'.repeat(2048));
    assert.equal(result.protocols[0]?.['server'], 'a'.repeat(2048));
    assert.deepEqual(result.warnings, [
      'Protocol[0]/Server is 100000 characters long; only the first 2048 are kept',
      'User/DisplayName is 100000 characters long; only the first 2048 are kept',
    ]);

    const error = parseAutodiscoverResponse(
      outlook(`<Error><ErrorCode>500</ErrorCode><Message>${huge}</Message></Error>`),
      'outlook',
    );
    assert.equal(error.kind === 'error' && error.message.length, 2048);
  });

  test('a huge redirect target is refused rather than cut', () => {
    const url = `https://x.test/${'a'.repeat(5000)}`;
    assert.deepEqual(
      parseAutodiscoverResponse(account(`<Action>redirectUrl</Action><RedirectUrl>${url}</RedirectUrl>`), 'outlook'),
      { kind: 'invalid', reason: '<RedirectUrl> is 5015 characters long, more than a client accepts' },
    );
    const address = `${'a'.repeat(5000)}@x.test`;
    assert.deepEqual(
      parseAutodiscoverResponse(
        account(`<Action>redirectAddr</Action><RedirectAddr>${address}</RedirectAddr>`),
        'outlook',
      ),
      { kind: 'invalid', reason: 'the redirect address is 5007 characters long, more than a client accepts' },
    );
  });

  test('a body over the size limit is not parsed', () => {
    const body = account(`<Action>settings</Action>${' '.repeat(RESPONSE_LIMITS.maxBodyChars)}`);
    assert.deepEqual(parseAutodiscoverResponse(body, 'outlook'), {
      kind: 'invalid',
      reason: `the body is ${body.length} characters long; a client reads at most 1000000`,
    });
  });

  test('keys and warnings are capped too; a very long element name is ignored', () => {
    let elements = '';
    for (let i = 0; i < 100; i++) elements += `<X${i}>v</X${i}>`;
    const longName = `L${'o'.repeat(200)}ng`;
    const body = account(
      `<Action>settings</Action><Protocol><Type>IMAP</Type><${longName}>v</${longName}>${elements}</Protocol>`,
    );
    const result = settingsOf(parseAutodiscoverResponse(body, 'outlook'));
    const protocol = result.protocols[0] ?? { type: '' };
    assert.equal(Object.keys(protocol).length, RESPONSE_LIMITS.maxKeys);
    assert.equal(protocol['x62'], 'v');
    assert.equal(protocol['x63'], undefined);
    assert.equal(result.warnings?.length, RESPONSE_LIMITS.maxWarnings + 1);
    assert.equal(result.warnings?.[0], 'Protocol[0]: an element name of 203 characters is ignored');
    assert.equal(result.warnings?.[1], 'Protocol[0]: more than 64 elements; <X63> and later ones are ignored');
    assert.equal(result.warnings?.at(-1), '… and 18 more warnings');
  });

  test('deep nesting is refused', () => {
    const deep = `${'<A>'.repeat(40)}${'</A>'.repeat(40)}`;
    assert.deepEqual(parseAutodiscoverResponse(account(`<Action>settings</Action>${deep}`), 'outlook'), {
      kind: 'invalid',
      reason: 'not an Autodiscover response: elements nest deeper than 32',
    });
  });

  test('a long wrong root name is cut in the reason', () => {
    const name = `R${'x'.repeat(500)}`;
    const result = parseAutodiscoverResponse(`<${name}/>`, 'outlook');
    assert.equal(result.kind, 'invalid');
    assert.ok(result.kind === 'invalid' && result.reason.length < 120);
  });
});

describe('decodeServerVersion and lowerCamel', () => {
  test('ServerVersion bit layout (docs/protocol.md §3.3)', () => {
    assert.equal(decodeServerVersion('73C189CB'), '15.1.2507');
    assert.equal(decodeServerVersion('738180DA'), '14.1.218');
    assert.equal(decodeServerVersion('72008287'), '8.0.647');
    assert.equal(decodeServerVersion('73c189cb'), '15.1.2507');
    assert.equal(decodeServerVersion('15.1'), null);
    assert.equal(decodeServerVersion('73C189CB0'), null);
  });

  test('element names to keys', () => {
    const cases: [string, string][] = [
      ['Type', 'type'],
      ['SSL', 'ssl'],
      ['ASUrl', 'asUrl'],
      ['OABUrl', 'oabUrl'],
      ['OOFUrl', 'oofUrl'],
      ['UMUrl', 'umUrl'],
      ['EwsUrl', 'ewsUrl'],
      ['ServerDN', 'serverDN'],
      ['MdbDN', 'mdbDN'],
      ['SMTPLast', 'smtpLast'],
      ['UsePOPAuth', 'usePOPAuth'],
      ['EcpUrl-um', 'ecpUrl-um'],
      ['OWAUrl', 'owaUrl'],
      ['TTL', 'ttl'],
      ['camel', 'camel'],
    ];
    for (const [name, key] of cases) assert.equal(lowerCamel(name), key, name);
  });
});

describe('autoconfigToProtocols', () => {
  const config = `<?xml version="1.0" encoding="utf-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType>
      <authentication>OAuth2</authentication><authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.com</hostname><port>110</port><socketType>STARTTLS</socketType>
      <authentication>fancy-new-auth</authentication><authentication>password-encrypted</authentication>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <incomingServer type="exchange">
      <hostname>mail.example.com</hostname><port>443</port><socketType>SSL</socketType>
      <authentication>NTLM</authentication><username>%EMAILLOCALPART%@%EMAILDOMAIN%</username>
      <owaURL>https://mail.example.com/owa/</owaURL><ewsURL>https://mail.example.com/EWS/Exchange.asmx</ewsURL>
      <easURL>https://mail.example.com/Microsoft-Server-ActiveSync</easURL>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.com</hostname><port>25</port><socketType>plain</socketType>
      <authentication>client-IP-address</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp2.example.com</hostname><socketType>bogus</socketType><authentication>weird</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>`;

  test('servers in the report shape: incoming then outgoing, placeholders expanded, POX encryption names', () => {
    assert.deepEqual(autoconfigToProtocols(parseAutoconfig(config), 'chris@example.com'), [
      {
        type: 'IMAP',
        server: 'imap.example.com',
        port: 993,
        ssl: true,
        encryption: 'SSL',
        loginName: 'chris@example.com',
        authentication: 'oauth2',
      },
      {
        type: 'POP3',
        server: 'pop.example.com',
        port: 110,
        ssl: true,
        encryption: 'TLS',
        loginName: 'chris',
        authentication: 'password-encrypted',
      },
      {
        type: 'EXCHANGE',
        server: 'mail.example.com',
        port: 443,
        ssl: true,
        encryption: 'SSL',
        loginName: 'chris@example.com',
        authentication: 'ntlm',
        owaUrl: 'https://mail.example.com/owa/',
        ewsUrl: 'https://mail.example.com/EWS/Exchange.asmx',
        easUrl: 'https://mail.example.com/Microsoft-Server-ActiveSync',
      },
      {
        type: 'SMTP',
        server: 'smtp.example.com',
        port: 25,
        ssl: false,
        encryption: 'None',
        authentication: 'client-ip-address',
      },
      { type: 'SMTP', server: 'smtp2.example.com', authentication: 'weird' },
    ]);
  });

  test('placeholders', () => {
    assert.equal(expandPlaceholders('%EMAILLOCALPART%+x@%EMAILDOMAIN%', 'a.b@c.test'), 'a.b+x@c.test');
    assert.equal(expandPlaceholders('%EMAILADDRESS%/%emailaddress%', 'a@c.test'), 'a@c.test/%emailaddress%');
    assert.equal(expandPlaceholders('%EMAILLOCALPART%', '"a@b"@c.test'), '"a@b"');
  });
});
