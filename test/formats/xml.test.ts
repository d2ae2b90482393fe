import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { el, escapeXml, parseXml, textEl, XmlRejected, xmlDocument } from '../../src/formats/xml.js';
import { scaled } from '../helpers/cpu-budget.js';

describe('XML writer', () => {
  test('escapeXml returns text with nothing to escape as it is', () => {
    for (const text of ['', 'mail.example.test', 'https://mail.example.test/EWS/Exchange.asmx', 'Chris Gray', '993']) {
      assert.equal(escapeXml(text), text);
    }
    // Tab, line feed and carriage return are allowed in XML and stay.
    assert.equal(escapeXml('a\tb\nc\rd'), 'a\tb\nc\rd');
  });

  test('escapeXml escapes the five markup characters and drops what XML cannot carry', () => {
    assert.equal(
      escapeXml(`<a href="x">Tom & Jerry's</a>`),
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;',
    );
    assert.equal(escapeXml('&amp;'), '&amp;amp;');
    assert.equal(escapeXml('a\u0000b\u0008c\u000Bd\u000Ce\u001Ff\uFFFEg\uFFFFh'), 'abcdefgh');
    assert.equal(escapeXml('\u0001<'), '&lt;');
    // Characters outside the BMP and other Unicode text pass.
    assert.equal(escapeXml('Grüße 📫'), 'Grüße 📫');
  });

  test('el and textEl escape every text and attribute value', () => {
    assert.equal(el('Server', {}, 'mail.example.test').xml, '<Server>mail.example.test</Server>');
    assert.equal(el('Empty').xml, '<Empty/>');
    assert.equal(el('A', { x: 'a"b', y: undefined }, 'c<d', undefined, null, false).xml, '<A x="a&quot;b">c&lt;d</A>');
    assert.equal(
      el('Outer', {}, el('Inner', {}, '&'), textEl('N', 5)).xml,
      '<Outer><Inner>&amp;</Inner><N>5</N></Outer>',
    );
    assert.equal(textEl('T', undefined), undefined);
    assert.equal(textEl('T', '')?.xml, '<T/>');
    assert.equal(textEl('T', '\u0000')?.xml, '<T/>');
    assert.equal(textEl('T', `</T><Evil>`)?.xml, '<T>&lt;/T&gt;&lt;Evil&gt;</T>');
    assert.equal(textEl('T', 0)?.xml, '<T>0</T>');
    assert.equal(xmlDocument(el('R')), '<?xml version="1.0" encoding="utf-8"?>\n<R/>\n');
  });
});

describe('XML parser', () => {
  const good = '<?xml version="1.0"?><a:Root xmlns:a="urn:a" x="1"><Child>t &amp; <![CDATA[<c>]]></Child></a:Root>';

  test('reads names, namespaces, attributes and text', () => {
    const root = parseXml(good);
    assert.equal(root.name, 'Root');
    assert.equal(root.ns, 'urn:a');
    assert.equal(root.attributes['x'], '1');
    assert.equal(root.children[0]?.name, 'Child');
    assert.equal(root.children[0]?.text, 't & <c>');
  });

  test('refuses DTDs, entities, malformed documents and deep nesting', () => {
    const reason = (text: string, maxDepth?: number) => {
      try {
        parseXml(text, maxDepth);
      } catch (err) {
        assert.ok(err instanceof XmlRejected);
        return err.reason;
      }
      return 'accepted';
    };
    assert.equal(reason('<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'), 'doctype');
    assert.equal(reason('<r>&x;</r>'), 'malformed');
    assert.equal(reason('<r><a></r>'), 'malformed');
    assert.equal(reason('<r>'), 'malformed');
    assert.equal(reason(''), 'malformed');
    assert.equal(reason('<r/><r/>'), 'malformed');
    assert.equal(reason('<a><b><c/></b></a>', 2), 'too-deep');
    assert.equal(reason('<a><b><c/></b></a>', 3), 'accepted');
  });

  test('a refused document leaves nothing behind for the next one', () => {
    const broken = [
      '<a:r xmlns:a="urn:evil"><a:open>',
      '<r><unclosed attr="',
      '<r>&x;</r>',
      '<a><b><c><d/></c></b></a>',
      '<r></x>',
      '<r></r>trailing',
    ];
    for (const text of broken) {
      assert.throws(() => parseXml(text, 3), XmlRejected);
      const root = parseXml(good);
      assert.equal(root.name, 'Root');
      assert.equal(root.ns, 'urn:a');
      assert.equal(root.children.length, 1);
      assert.equal(root.children[0]?.text, 't & <c>');
      // A prefix bound by the refused document is not bound here.
      assert.throws(() => parseXml('<a:r/>'), XmlRejected);
    }
    // Depth limits apply per call.
    assert.equal(parseXml('<a><b><c><d/></c></b></a>').name, 'a');
    // An XML 1.1 document (allowed) does not make the next document XML 1.1.
    assert.equal(parseXml('<?xml version="1.1"?><r>&#x1;</r>').text, '\u0001');
    assert.throws(() => parseXml('<r>&#x1;</r>'), XmlRejected);
  });

  test('stops at each limit at once, whatever follows (and says which)', () => {
    const refusal = (text: string, limits?: Parameters<typeof parseXml>[1]) => {
      const start = process.cpuUsage();
      let message = 'accepted';
      try {
        parseXml(text, limits);
      } catch (err) {
        assert.ok(err instanceof XmlRejected);
        message = `${err.reason}: ${err.message}`;
      }
      const used = process.cpuUsage(start);
      return { message, ms: (used.user + used.system) / 1000 };
    };
    // 21,800 unclosed elements in 64 KiB took 6.7 s when the parse went on past the depth limit.
    const deep = refusal('<a>'.repeat(21_800));
    assert.equal(deep.message, 'too-deep: elements nest deeper than 32');
    assert.ok(deep.ms < scaled(50), `${deep.ms} ms`);
    assert.equal(refusal('<r>'.concat('<a/>'.repeat(5000), '</r>')).message, 'too-large: more than 4096 elements');
    assert.equal(refusal('<r>'.concat('<a/>'.repeat(4095), '</r>')).message, 'accepted');
    const attrs = (n: number) => `<r ${Array.from({ length: n }, (_, i) => `a${i}="1"`).join(' ')}/>`;
    assert.equal(refusal(attrs(65)).message, 'too-large: an element has more than 64 attributes');
    assert.equal(refusal(attrs(64)).message, 'accepted');
    assert.equal(
      refusal('<r/>'.padEnd(2000, ' '), { maxChars: 1000 }).message,
      'too-large: the document is 2000 characters long; at most 1000 are read',
    );
    // The first error ends the parse: no walk through thousands of further mistakes.
    assert.match(
      refusal(`<r>${'<a:b/>'.repeat(10_000)}</r>`).message,
      /^malformed: malformed XML: .*unbound namespace prefix/,
    );
  });
});
