import assert from 'node:assert/strict';
import { webcrypto, X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import * as x509 from '../../src/pki/x509.js';
import { basicsOf, commonNames, formatName, isIssuedBy, parsed } from '../../src/tls/certificate.js';
import { readDerFields, readSimpleName } from '../../src/tls/der-fields.js';

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);

async function selfSigned(name: string, notBefore: Date, notAfter: Date): Promise<X509Certificate> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: '0102', name, notBefore, notAfter, keys, signingAlgorithm: algorithm },
    webcrypto,
  );
  return new X509Certificate(Buffer.from(cert.rawData));
}

/** What the full @peculiar parse says: the path basicsOf replaced, and still its fallback. */
function fullParse(cert: X509Certificate) {
  const p = parsed(cert);
  return {
    subject: formatName(p.subjectName),
    issuer: formatName(p.issuerName),
    commonNames: commonNames(p),
    notBefore: p.notBefore,
    notAfter: p.notAfter,
  };
}

const CASES: [string, string, string, string][] = [
  ['a plain CN', 'CN=www.contoso.test', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
  [
    'several RDNs and two CNs',
    'CN=a.test, CN=b.test, OU=Mail, O=Contoso, C=DE',
    '2026-03-04T05:06:07Z',
    '2027-01-01T00:00:00Z',
  ],
  ['a multi-valued RDN', 'CN=mail.contoso.test+OU=Exchange, O=Contoso', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
  [
    'characters RFC 4514 escapes',
    'CN=Contoso\\, Ltd., O=A \\"quoted\\" \\+ plus',
    '2026-01-01T00:00:00Z',
    '2027-01-01T00:00:00Z',
  ],
  [
    'attributes the library does not name',
    'CN=x.test, 2.5.4.5=1234, 2.5.4.9=Main, 0.9.2342.19200300.100.1.1=u1',
    '2026-01-01T00:00:00Z',
    '2027-01-01T00:00:00Z',
  ],
  ['a date before 2000 (UTCTime 19xx)', 'CN=old.test', '1999-12-31T23:59:59Z', '2027-01-01T00:00:00Z'],
  ['a date after 2049 (GeneralizedTime)', 'CN=long.test', '2026-01-01T00:00:00Z', '2051-06-30T12:00:00Z'],
  ['no CN at all', 'O=Contoso, C=DE', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
  ['non-ASCII values', 'CN=müller.test, O=Zürich AG', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
  [
    'DC and e-mail attributes',
    'CN=x.test, DC=contoso, DC=test, E=admin@contoso.test',
    '2026-01-01T00:00:00Z',
    '2027-01-01T00:00:00Z',
  ],
  [
    'an attribute type neither reader names',
    'CN=y.test, 2.5.4.97=VATDE-123',
    '2026-01-01T00:00:00Z',
    '2027-01-01T00:00:00Z',
  ],
];

for (const [what, name, from, to] of CASES) {
  test(`basicsOf reads what the full parse reads: ${what}`, async () => {
    const cert = await selfSigned(name, new Date(from), new Date(to));
    const fields = readDerFields(new Uint8Array(cert.raw));
    assert.ok(fields, 'the DER walk reads the certificate');
    assert.deepEqual(basicsOf(cert), fullParse(cert));
    assert.equal(basicsOf(cert).notBefore.toISOString(), new Date(from).toISOString());
    assert.equal(basicsOf(cert).notAfter.toISOString(), new Date(to).toISOString());
  });
}

test('the validity is the one node:crypto reads too', async () => {
  const cert = await selfSigned('CN=v.test', new Date('2030-02-03T04:05:06Z'), new Date('2060-07-08T09:10:11Z'));
  assert.equal(basicsOf(cert).notBefore.getTime(), Date.parse(cert.validFrom));
  assert.equal(basicsOf(cert).notAfter.getTime(), Date.parse(cert.validTo));
});

test('a DER of unexpected shape gives null, never a wrong answer', async () => {
  const cert = await selfSigned('CN=t.test', new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'));
  const der = new Uint8Array(cert.raw);
  // Cut anywhere inside the TBSCertificate: every element must fit within its parent.
  for (const length of [0, 1, 2, 10, 40, 80, der.length - 100]) {
    assert.equal(readDerFields(der.subarray(0, length)), null, `cut at ${length}`);
  }
  assert.equal(readDerFields(Buffer.from('not a certificate at all')), null);
  // The serial number's INTEGER tag changed: the walk refuses rather than reading the wrong fields.
  const serialAt = Buffer.from(der).indexOf(Buffer.from([0x02, 0x02, 0x01, 0x02]));
  assert.ok(serialAt > 0);
  const bent = Uint8Array.from(der);
  bent[serialAt] = 0x04;
  assert.equal(readDerFields(bent), null);
});

test('the simple names are read without the library; any other shape is left to it', async () => {
  const subjectOf = async (name: string) =>
    readDerFields(
      new Uint8Array((await selfSigned(name, new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'))).raw),
    )?.subject ?? new Uint8Array();
  // In encoding order (the generator encodes a name string in the order it is written).
  assert.deepEqual(readSimpleName(await subjectOf('CN=a.test, O=Contoso, C=DE')), [
    { type: 'CN', value: 'a.test' },
    { type: 'O', value: 'Contoso' },
    { type: 'C', value: 'DE' },
  ]);
  assert.deepEqual(readSimpleName(await subjectOf('CN=x.test, 2.5.4.5=1234')), [
    { type: 'CN', value: 'x.test' },
    { type: 'SERIALNUMBER', value: '1234' },
  ]);
  assert.equal(readSimpleName(await subjectOf('CN=m.test+OU=Exchange')), null, 'several attributes in one RDN');
  assert.equal(readSimpleName(await subjectOf('CN=müller.test')), null, 'a byte above 0x7F');
  assert.equal(readSimpleName(await subjectOf('CN=y.test, 2.5.4.97=VATDE-123')), null, 'a type it does not name');
  assert.equal(readSimpleName(Buffer.from([0x30, 0x03, 0x31, 0x01])), null, 'cut short');
});

test('issuer and subject names compare as OpenSSL compares them: case and inner spaces do not count', async () => {
  const rootKeys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const leafKeys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const dates = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') };
  const node = async (cert: x509.X509Certificate) => new X509Certificate(Buffer.from(cert.rawData));
  const rootOf = async (name: string) =>
    node(
      await x509.X509CertificateGenerator.createSelfSigned(
        { serialNumber: '01', name, ...dates, keys: rootKeys, signingAlgorithm: algorithm },
        webcrypto,
      ),
    );
  const leafUnder = async (issuer: string) =>
    node(
      await x509.X509CertificateGenerator.create(
        {
          serialNumber: '02',
          subject: 'CN=leaf.test',
          issuer,
          ...dates,
          signingKey: rootKeys.privateKey,
          publicKey: leafKeys.publicKey,
          signingAlgorithm: algorithm,
        },
        webcrypto,
      ),
    );
  const root = await rootOf('CN=Name Test Root, O=Contoso');
  for (const [issuer, expected] of [
    ['CN=Name Test Root, O=Contoso', true],
    ['CN=NAME  test ROOT, O=contoso', true],
    ['CN=Name Test Root, O=Contoso Ltd', false],
    ['CN=Other Root, O=Contoso', false],
  ] as const) {
    const leaf = await leafUnder(issuer);
    assert.equal(leaf.checkIssued(root), expected, `OpenSSL on "${issuer}"`);
    assert.equal(isIssuedBy(leaf, root), expected, `isIssuedBy on "${issuer}"`);
  }
  // Not of the simple shape (a byte above 0x7F): OpenSSL alone decides, as before.
  const zurich = await rootOf('CN=Wurzel Zürich');
  const under = await leafUnder('CN=WURZEL   Zürich');
  assert.equal(under.checkIssued(zurich), true);
  assert.equal(isIssuedBy(under, zurich), true);
});
