/**
 * The lean POX reader (src/formats/pox/canonical-request.ts) against the full parser: on every generated document
 * the lean reader accepts, the full parser must accept it too and read the same tree; on everything else the lean
 * reader must stand aside (undefined), so the full parser, with its limits and its DTD refusal, decides.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { readCanonicalRequest } from '../../src/formats/pox/canonical-request.js';
import { parsePoxRequest } from '../../src/formats/pox/request.js';
import { parseXml, type XmlElement } from '../../src/formats/xml.js';
import { fixture } from '../helpers/app.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10) * 300;
const OUTLOOK_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
const RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

/** What the POX reading relies on: names, namespaces, attributes, children, and the text of Request's children. */
interface Shape {
  name: string;
  ns: string;
  attributes: Record<string, string>;
  text: string;
  children: Shape[];
}
function shape(e: XmlElement, depth = 0): Shape {
  return {
    name: e.name,
    ns: e.ns,
    attributes: { ...e.attributes },
    text: depth >= 2 ? e.text : '',
    children: e.children.map((c) => shape(c, depth + 1)),
  };
}

function full(text: string): Shape | 'rejected' {
  try {
    return shape(parseXml(text));
  } catch {
    return 'rejected';
  }
}

/** Mostly one of `usual` (so that whole documents often have the canonical shape), sometimes one of `odd`. */
function mostly<T>(usual: T[], odd: T[]): fc.Arbitrary<T> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...usual), weight: 12 },
    { arbitrary: fc.constantFrom(...odd), weight: 1 },
  );
}

const ws = fc.constantFrom('', ' ', '\n', '\r\n', '\t', '  \n  ', '\u00a0', '\r');
const declaration = mostly(
  ['', '<?xml version="1.0" encoding="utf-8"?>', "<?xml version='1.0' encoding='UTF-8'?>", '<?xml version="1.0"?>'],
  [
    '<?xml version="1.0" encoding="utf-8" ?>',
    '<?xml version="1.1" encoding="utf-8"?>',
    '<?xml version="1.0" encoding="utf-8" standalone="yes"?>',
    ' <?xml version="1.0"?>',
    '\ufeff<?xml version="1.0"?>',
    '<!DOCTYPE a [<!ENTITY e "x">]>',
    '<!-- comment -->',
  ],
);
const rootOpen = mostly(
  [
    `<Autodiscover xmlns="${OUTLOOK_NS}">`,
    `<Autodiscover xmlns='${OUTLOOK_NS}'>`,
    '<Autodiscover>',
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006" >',
  ],
  [
    '<Autodiscover xmlns="urn:other">',
    '<Autodiscover xmlns="">',
    `<a:Autodiscover xmlns:a="${OUTLOOK_NS}">`,
    `<Autodiscover xmlns="${OUTLOOK_NS}" x="1">`,
    '<autodiscover>',
    '<Autodiscover xmlns="http://www.w3.org/XML/1998/namespace">',
  ],
);
const rootClose = mostly(['</Autodiscover>', '</Autodiscover >'], ['</autodiscover>', '</a:Autodiscover>', '']);
const requestOpen = mostly(['<Request>', '<Request >'], ['<Request x="y">', '<request>', '<Request/>']);
const requestClose = mostly(['</Request>', '</Request\n>'], ['</Requests>', '']);
const name = mostly(
  ['EMailAddress', 'LegacyDN', 'AcceptableResponseSchema'],
  ['Foo', 'E-Mail', 'xmlThing', 'a:EMailAddress', 'EMailAddress '],
);
const text = fc.oneof(
  { arbitrary: fc.constantFrom('chris@example.test', RESPONSE_NS, ' x@example.test\n'), weight: 10 },
  fc.constantFrom(
    'chris@example.test',
    RESPONSE_NS,
    '/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=chris',
    ' chris@example.test ',
    '',
    'a&amp;b',
    'a&b',
    'a<b',
    'a>b',
    ']]>',
    '<![CDATA[x]]>',
    '\u0001',
    '📫',
    '\ud800',
    'a\r\nb',
    '&#x41;',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const leaf = fc
  .tuple(ws, name, text, mostly([false], [true]), mostly([''], ['X']))
  .map(([w, n, t, selfClose, typo]) => (selfClose && t === '' ? `${w}<${n}/>` : `${w}<${n}>${t}</${n.trim()}${typo}>`));
const document = fc
  .tuple(
    declaration,
    ws,
    rootOpen,
    ws,
    requestOpen,
    fc.array(leaf, { maxLength: 5 }),
    ws,
    requestClose,
    ws,
    rootClose,
    ws,
    mostly([''], ['<x/>', '<!-- c -->', 'junk', '<?pi x?>']),
  )
  .map((parts) => parts.flat().join(''));

describe('lean POX request reader', () => {
  test('reads the canonical request (the fixture Outlook sends) itself', () => {
    const body = fixture('requests/outlook.xml');
    const lean = readCanonicalRequest(body);
    assert.ok(lean, 'the canonical request takes the lean path');
    assert.deepEqual(shape(lean), full(body));
    assert.deepEqual(parsePoxRequest(body), {
      ok: true,
      request: { schema: 'outlook', emailAddress: 'chris@example.test' },
    });
  });

  test('stands aside for DTDs, malformed and oversized documents', () => {
    const canonical = fixture('requests/outlook.xml');
    for (const body of [
      canonical.replace('<?xml version="1.0" encoding="utf-8"?>', '<!DOCTYPE Autodiscover [<!ENTITY x "y">]>'),
      canonical.replace('</Request>', ''),
      canonical.replace('chris@example.test', 'chris&example.test'),
      canonical.replace('chris@example.test', `${'x'.repeat(5000)}@example.test`),
      canonical.replace('<EMailAddress>', '<EMailAddress a="1">'),
      canonical.replace('</EMailAddress>', '</EmailAddress>'),
      `${canonical}<more/>`,
    ]) {
      assert.equal(readCanonicalRequest(body), undefined, body.slice(0, 200));
    }
  });

  test('agrees with the full parser on generated documents', () => {
    let lean = 0;
    fc.assert(
      fc.property(document, (doc) => {
        const fast = readCanonicalRequest(doc);
        if (fast === undefined) return;
        lean++;
        assert.deepEqual(shape(fast), full(doc), doc);
      }),
      { numRuns: RUNS },
    );
    // The generator must reach the lean path often enough for the comparison to mean something.
    assert.ok(lean > RUNS / 50, `only ${lean} of ${RUNS} documents took the lean path`);
  });

  test('gives the same POX reading as the full parser, request by request', () => {
    fc.assert(
      fc.property(document, (doc) => {
        if (readCanonicalRequest(doc) === undefined) return;
        // The same document with a comment the lean reader does not take: read by the full parser only.
        const viaFull = parsePoxRequest(doc.replace('<Request', '<!-- full --><Request'));
        assert.deepEqual(parsePoxRequest(doc), viaFull, doc);
      }),
      { numRuns: RUNS },
    );
  });
});
