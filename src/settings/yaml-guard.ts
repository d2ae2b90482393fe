/**
 * Reading YAML an attacker may have written, in time linear in its size. The `yaml` library composes nodes
 * recursively (64 KiB of `[` overflowed the stack, and a second such file aborted the process), checks duplicate
 * keys pairwise (7,000 keys in one map: 0.45 s) and reports each unknown tag as a process warning. So: one pass
 * of its lexer (iterative) first refuses deep nesting, tags and too many aliases; the document is then composed
 * without its pairwise duplicate check, and duplicates are found with one Set per map.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, Lexer, type Node, parseDocument } from 'yaml';

export const YAML_LIMITS = {
  /** Collections may nest this deep (flow brackets, block indentation and `- - x` chains all count). */
  maxDepth: 64,
  /** `*alias` references in one file (the library's own bomb check counts expanded nodes, later). */
  maxAliases: 1000,
} as const;

/** A problem found before or after composing: the message, and where (1-based) when known. */
export class YamlRefused extends Error {
  override name = 'YamlRefused';
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** One lexer pass: depth, tags and aliases, before anything recursive runs. */
function scan(text: string): void {
  let offset = 0;
  let flow = 0;
  let lineChain = 0; // `-` and `?` indicators since the start of the line: `- - - x` nests
  let atLineStart = true;
  let column = 0;
  const indents: number[] = [];
  let aliases = 0;
  const refuse = (why: string): never => {
    throw new YamlRefused(`${why} (line ${lineOf(text, offset)})`);
  };
  let closedAtTop = false;
  let scalarText = false; // the token after the lexer's SCALAR marker is a scalar's source, not structure
  for (const token of new Lexer().lex(text)) {
    offset += token.length;
    const first = token.charAt(0);
    if (token === '\n' || token === '\r\n') {
      closedAtTop = false;
      atLineStart = true;
      column = 0;
      lineChain = 0;
      continue;
    }
    // The lexer's markers (document, scalar, flow end, BOM) are control characters; they are not in the text.
    if (token.length === 1 && (first < ' ' || first === '\uFEFF')) {
      offset -= token.length;
      scalarText ||= token === '\u001f';
      continue;
    }
    if (/^[ \t]*$/.test(token)) {
      if (atLineStart) column = token.length;
      continue;
    }
    if (atLineStart && flow === 0 && first !== '#') {
      // Block structure: the open indentation levels are the ones smaller than this line's.
      while (indents.length > 0 && (indents.at(-1) as number) >= column) indents.pop();
      indents.push(column);
    }
    atLineStart = false;
    // After a flow collection closes in block context, only `:` (it was a key) or a comment may follow on its line;
    // the library would report every further `[]` as one more error (30,000 of them in 64 KiB).
    if (closedAtTop && first !== ':' && first !== '#')
      refuse(`unexpected ${JSON.stringify(token.slice(0, 20))} after a closed collection`);
    closedAtTop = false;
    if (scalarText) {
      scalarText = false;
      continue;
    }
    if (first === '[' || first === '{') flow++;
    else if (first === ']' || first === '}') {
      // A close with nothing open: the library would report it, and every one after it, one error each.
      if (flow === 0) refuse(`"${first}" closes nothing`);
      flow--;
      closedAtTop = flow === 0;
    } else if ((first === '-' || first === '?') && token.length === 1) lineChain++;
    else if (first === '!') refuse(`YAML tags such as ${token.slice(0, 40)} are not used here`);
    else if (first === '*' && ++aliases > YAML_LIMITS.maxAliases) {
      refuse(`more than ${YAML_LIMITS.maxAliases} aliases (*name)`);
    }
    if (flow + indents.length + lineChain > YAML_LIMITS.maxDepth) {
      refuse(`collections nest deeper than ${YAML_LIMITS.maxDepth} levels`);
    }
  }
}

/** Duplicate keys, one Set per map, walked without recursion. */
function findDuplicateKey(root: unknown, text: string): string | undefined {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined) {
          if (seen.has(key)) {
            const at = (pair.key as Node).range?.[0];
            return `duplicate key "${key.slice(0, 80)}"${at === undefined ? '' : ` (line ${lineOf(text, at)})`}`;
          }
          seen.add(key);
        }
        pending.push(pair.value);
      }
    } else if (isSeq(node)) {
      pending.push(...node.items);
    } else if (isAlias(node)) {
      // Aliases point at nodes already walked where they were defined.
    }
  }
  return undefined;
}

/** Parses YAML (JSON is YAML) within YAML_LIMITS; duplicate keys are an error. Throws YamlRefused or the library's error. */
export function parseYamlGuarded(text: string): unknown {
  scan(text);
  // A broken file can make the library report an error per token (60,000 for 64 KiB): each one without a stack
  // trace, and without its "pretty" excerpt (which costs a pass over the text each); the first one is shown.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, logLevel: 'error' });
  } finally {
    Error.stackTraceLimit = limit;
  }
  const error = doc.errors[0];
  if (error) {
    const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more problems)` : '';
    throw new YamlRefused(`${error.message} (line ${lineOf(text, error.pos[0])})${more}`);
  }
  const duplicate = findDuplicateKey(doc.contents, text);
  if (duplicate) throw new YamlRefused(duplicate);
  return doc.toJS({ maxAliasCount: 100 });
}
