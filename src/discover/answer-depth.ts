/**
 * A linear look at how deep an answer's elements nest, before any XML parser sees it. Every answer `discover`
 * reads (POX responses, autoconfig files) comes from a server the user may not control: a 256 KiB answer of
 * unclosed elements must cost milliseconds, whatever the parser does with depth (issue 9). Real answers nest
 * six or seven levels; the limit is the XML parser's own (src/formats/xml.ts). JSON answers are never parsed:
 * parse-response.ts recognises them by their first character and reports them as not Autodiscover.
 */
export const MAX_ANSWER_DEPTH = 32;

/** The depth at which `text` first nests deeper than `limit`, or undefined. Over-counts, never under-counts. */
export function tooDeep(text: string, limit = MAX_ANSWER_DEPTH): number | undefined {
  let depth = 0;
  let i = text.indexOf('<');
  while (i !== -1) {
    const next = text.charCodeAt(i + 1);
    let end: number;
    if (text.startsWith('<!--', i)) end = text.indexOf('-->', i + 4);
    else if (text.startsWith('<![CDATA[', i)) end = text.indexOf(']]>', i + 9);
    else {
      end = text.indexOf('>', i + 1);
      if (next === 0x2f /* / */) depth--;
      else if (next !== 0x3f /* ? */ && next !== 0x21 /* ! */ && end !== -1 && text.charCodeAt(end - 1) !== 0x2f) {
        depth++;
        if (depth > limit) return depth;
      }
    }
    if (end === -1) return undefined; // unterminated: the parser says what is wrong, in linear time
    i = text.indexOf('<', end + 1);
  }
  return undefined;
}
