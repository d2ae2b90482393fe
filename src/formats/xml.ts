/**
 * Small, safe XML helpers shared by the codecs: an escaping writer (nothing reaches the output unescaped) and
 * a strict parser that refuses any DTD before parsing, so no entity is ever expanded.
 */
import { SaxesParser } from 'saxes';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeChar = (c: string) => ENTITIES[c] ?? c;

/** Anything escapeXml changes: one test of this decides whether the text can be used as it is. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NEEDS_ESCAPING = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

export function escapeXml(text: string): string {
  // Most values (host names, URLs, ports) have nothing to escape: they are returned as they are.
  if (!NEEDS_ESCAPING.test(text)) return text;
  return text.replace(/[&<>"']/g, escapeChar).replace(
    // Characters XML 1.0 cannot carry at all: drop them rather than emit a document no client can parse.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of this expression
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g,
    '',
  );
}

export type XmlChild = string | XmlNode | undefined | false | null;
export interface XmlNode {
  readonly xml: string;
}

/** An element: `el('Server', {}, 'mail.example.com')`. Text children are escaped; undefined children are skipped. */
export function el(
  name: string,
  attributes: Record<string, string | undefined> = {},
  ...children: XmlChild[]
): XmlNode {
  let attrs = '';
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) attrs += ` ${key}="${escapeXml(value)}"`;
  }
  let inner = '';
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    inner += typeof child === 'string' ? escapeXml(child) : child.xml;
  }
  return { xml: inner === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${inner}</${name}>` };
}

/** An element with text content, or nothing when the value is undefined. Written as el(name, {}, text) would. */
export function textEl(name: string, value: string | number | undefined): XmlNode | undefined {
  if (value === undefined) return undefined;
  const text = escapeXml(String(value));
  return { xml: text === '' ? `<${name}/>` : `<${name}>${text}</${name}>` };
}

export function xmlDocument(root: XmlNode): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${root.xml}\n`;
}

/** A parsed element: local name, namespace URI, attributes by local name, children and direct text. */
export interface XmlElement {
  name: string;
  ns: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export class XmlRejected extends Error {
  override name = 'XmlRejected';
  constructor(
    message: string,
    readonly reason: 'doctype' | 'malformed' | 'too-deep' | 'too-large',
  ) {
    super(message);
  }
}

/** Any DTD or entity declaration, looked for in the raw text before a parser sees it. */
const DTD_PATTERN = /<!\s*(DOCTYPE|ENTITY)/i;

export function containsDtd(text: string): boolean {
  return DTD_PATTERN.test(text);
}

/**
 * Limits on an untrusted document. Each one stops the parse the moment it is crossed: saxes resolves a namespace
 * prefix by walking every open element, so a document that kept going past the depth limit would cost time
 * quadratic in its nesting (21,800 unclosed `<a>` in 64 KiB took seconds).
 */
export interface XmlLimits {
  /** Elements may nest this deep (the root is level 1). */
  maxDepth: number;
  /** Longer documents are refused before parsing (characters). */
  maxChars: number;
  /** Elements in the whole document. */
  maxElements: number;
  /** Attributes (namespace declarations included) on one element. */
  maxAttributes: number;
}

export const XML_LIMITS: XmlLimits = {
  maxDepth: 32,
  // discover reads answers of up to 256 KiB (src/discover/http.ts) and the server takes 64 KiB bodies.
  maxChars: 1_048_576,
  // A real Autodiscover or autoconfig document has a few hundred elements (an Exchange answer with every
  // protocol, about 300).
  maxElements: 4096,
  maxAttributes: 64,
};

/** Thrown from inside a saxes handler: saxes calls handlers synchronously, so this unwinds write() at once. */
class Stop extends Error {}

/**
 * Parses a whole document into a tree. Refuses DTDs (before parsing), malformed XML (at the first error) and any
 * document over the limits (at the element that crosses one). Only the five predefined entities and character
 * references are decoded. `limits` may be a number: the maximum depth, as before.
 */
export function parseXml(text: string, limits: Partial<XmlLimits> | number = {}): XmlElement {
  const { maxDepth, maxChars, maxElements, maxAttributes } = {
    ...XML_LIMITS,
    ...(typeof limits === 'number' ? { maxDepth: limits } : limits),
  };
  if (text.length > maxChars) {
    throw new XmlRejected(`the document is ${text.length} characters long; at most ${maxChars} are read`, 'too-large');
  }
  if (containsDtd(text)) throw new XmlRejected('a DTD or entity declaration is not allowed', 'doctype');
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: Error | undefined;
  let elements = 0;
  let attributeCount = 0;
  const stop = (err: Error): never => {
    failure ??= err;
    throw new Stop();
  };
  // saxes reports an error and goes on; the first one is enough, and going on is where the cost is.
  parser.on('error', (err) => stop(err));
  parser.on('doctype', () => stop(new XmlRejected('a DTD is not allowed', 'doctype')));
  parser.on('opentagstart', () => {
    // Before saxes resolves the new element's namespace (the walk over the open elements).
    if (stack.length >= maxDepth) stop(new XmlRejected(`elements nest deeper than ${maxDepth}`, 'too-deep'));
    if (++elements > maxElements) stop(new XmlRejected(`more than ${maxElements} elements`, 'too-large'));
    attributeCount = 0;
  });
  parser.on('attribute', () => {
    if (++attributeCount > maxAttributes) {
      stop(new XmlRejected(`an element has more than ${maxAttributes} attributes`, 'too-large'));
    }
  });
  parser.on('opentag', (tag) => {
    // No prototype: an attribute named __proto__ or constructor is just an attribute.
    const attributes: Record<string, string> = Object.create(null);
    for (const attr of Object.values(tag.attributes)) {
      if (typeof attr === 'string') continue;
      if (attr.prefix === 'xmlns' || attr.name === 'xmlns') continue;
      attributes[attr.local] = attr.value;
    }
    const node: XmlElement = { name: tag.local ?? tag.name, ns: tag.uri ?? '', attributes, children: [], text: '' };
    const parent = stack.at(-1);
    if (parent) parent.children.push(node);
    else root ??= node;
    stack.push(node);
  });
  parser.on('text', (t) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  parser.on('cdata', (t) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  try {
    parser.write(text).close();
  } catch (err) {
    if (!(err instanceof Stop)) failure ??= err as Error;
  }
  if (failure) {
    if (failure instanceof XmlRejected) throw failure;
    throw new XmlRejected(`malformed XML: ${failure.message}`, 'malformed');
  }
  if (!root) throw new XmlRejected('malformed XML: no root element', 'malformed');
  return root;
}

/** The first child element with this local name (case-sensitive, as XML is). */
export function child(parent: XmlElement | undefined, name: string): XmlElement | undefined {
  return parent?.children.find((c) => c.name === name);
}

export function children(parent: XmlElement | undefined, name: string): XmlElement[] {
  return parent?.children.filter((c) => c.name === name) ?? [];
}

export function childText(parent: XmlElement | undefined, name: string): string | undefined {
  const c = child(parent, name);
  return c === undefined ? undefined : c.text.trim();
}
