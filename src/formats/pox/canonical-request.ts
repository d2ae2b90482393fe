/**
 * A lean, strict reader for the one shape nearly every POX request has:
 *
 *   <?xml version="1.0" encoding="utf-8"?>
 *   <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/…/requestschema/2006">
 *     <Request><EMailAddress>…</EMailAddress><AcceptableResponseSchema>…</AcceptableResponseSchema></Request>
 *   </Autodiscover>
 *
 * It accepts only that shape (unprefixed names, no attribute but the root's xmlns, plain text without `&`, `<`,
 * `>`, carriage returns, control characters or characters outside the Basic Multilingual Plane, at most 4 KiB,
 * at most 16 elements in the Request) and answers undefined for anything else, which the full parser (saxes, with
 * every limit and the DTD refusal) then reads. What it accepts is well-formed by construction and contains no
 * DTD, so nothing is refused that the full parser would accept and nothing is accepted that it would refuse
 * (test/formats/canonical-request.test.ts compares both on generated documents). The tree it returns is the full
 * parser's, except that container elements carry no whitespace text (nothing reads it).
 */
import type { XmlElement } from '../xml.js';

const MAX_CHARS = 4096;
const MAX_CHILDREN = 16;
const DECLARATION = /<\?xml version=(?:"1\.0"|'1\.0')(?: encoding=(?:"utf-8"|'utf-8'|"UTF-8"|'UTF-8'))? ?\?>/y;
const WHITESPACE = /[ \t\r\n]*/y;
/** The root with, optionally, a default namespace from Microsoft's Autodiscover schemas. */
const ROOT =
  /<Autodiscover(?:[ \t\r\n]+xmlns=(?:"(https?:\/\/schemas\.microsoft\.com\/exchange\/autodiscover\/[A-Za-z0-9/._-]*)"|'(https?:\/\/schemas\.microsoft\.com\/exchange\/autodiscover\/[A-Za-z0-9/._-]*)'))?[ \t\r\n]*>[ \t\r\n]*<Request[ \t\r\n]*>/y;
/** One child of Request: a simple name, text without markup, references, line ends or non-BMP characters. */
const LEAF =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  /[ \t\r\n]*<([A-Za-z][A-Za-z0-9]{0,63})>([^<&>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]*)<\/\1[ \t\r\n]*>/y;
const END = /[ \t\r\n]*<\/Request[ \t\r\n]*>[ \t\r\n]*<\/Autodiscover[ \t\r\n]*>[ \t\r\n]*$/y;

/** The request's tree when it has the canonical shape; undefined otherwise (read it with parseXml). */
export function readCanonicalRequest(text: string): XmlElement | undefined {
  if (text.length > MAX_CHARS) return undefined;
  let at = 0;
  DECLARATION.lastIndex = 0;
  if (DECLARATION.test(text)) at = DECLARATION.lastIndex;
  WHITESPACE.lastIndex = at;
  WHITESPACE.test(text);
  ROOT.lastIndex = WHITESPACE.lastIndex;
  const root = ROOT.exec(text);
  if (!root) return undefined;
  at = ROOT.lastIndex;
  const ns = root[1] ?? root[2] ?? '';
  const children: XmlElement[] = [];
  for (;;) {
    LEAF.lastIndex = at;
    const leaf = LEAF.exec(text);
    if (!leaf) break;
    if (children.length === MAX_CHILDREN) return undefined;
    children.push({ name: leaf[1] ?? '', ns, attributes: Object.create(null), children: [], text: leaf[2] ?? '' });
    at = LEAF.lastIndex;
  }
  END.lastIndex = at;
  if (!END.test(text)) return undefined;
  const request: XmlElement = { name: 'Request', ns, attributes: Object.create(null), children, text: '' };
  return { name: 'Autodiscover', ns, attributes: Object.create(null), children: [request], text: '' };
}
