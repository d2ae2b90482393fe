/**
 * Reading YAML an attacker may have written, in time linear in its size and within 50 ms of CPU per 64 KiB
 * (issue 9). One pass of the `yaml` library's lexer (iterative) first refuses deep nesting, tags and too many
 * aliases, so nothing recursive meets a hostile depth. The document is then loaded by js-yaml: the `yaml`
 * library's composer took 30-130 ms for 64 KiB (plain users, or a broken file it reported an error per token
 * for), js-yaml 3-16 ms, stopping at the first error and finding duplicate keys with one lookup per key.
 */
import { CORE_SCHEMA, type LoadOptions, load, YAMLException } from 'js-yaml';
import { Lexer } from 'yaml';

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

/**
 * Values a document may expand to once its aliases are followed. js-yaml shares one object for every `*alias` of
 * an anchor, so nothing is expanded while parsing; whoever walks the result later (validation) would pay for every
 * repetition: nine aliases of nine aliases of ... is an exponential walk. Counted here, stopping at the limit: a
 * document may expand to as many values as its text has characters (no value takes less than one), or 10,000.
 */
export function expansionLimit(text: string): number {
  return Math.max(10_000, text.length);
}

/** Whether `root`, walked as validation walks it (aliases repeated), has more than `limit` values. */
function expandsTooFar(root: unknown, limit: number): boolean {
  let count = 0;
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (++count > limit) return true;
    if (Array.isArray(value)) pending.push(...value);
    else if (value !== null && typeof value === 'object') pending.push(...Object.values(value));
  }
  return false;
}

/** js-yaml's refusal in this module's words: what, and where (1-based line and column). */
function refusalOf(err: YAMLException, text: string): YamlRefused {
  const { line, column, position } = err.mark;
  if (err.reason === 'duplicated mapping key') {
    const key = /^(?:"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'|([^:\n]*?))\s*:/.exec(text.slice(position, position + 200));
    const name = (key?.[1] ?? key?.[2] ?? key?.[3] ?? '').slice(0, 80);
    return new YamlRefused(`duplicate key "${name}" (line ${line + 1})`);
  }
  return new YamlRefused(`${err.reason} at line ${line + 1}, column ${column + 1}`);
}

/**
 * The 1.2 core schema; `maxDepth` is js-yaml's own stack guard (4.3; its type definitions predate it), above the
 * scan's, which already refused deeper documents.
 */
const LOAD_OPTIONS: LoadOptions & { maxDepth: number } = { schema: CORE_SCHEMA, maxDepth: YAML_LIMITS.maxDepth * 2 };

/**
 * Parses YAML (JSON is YAML) within YAML_LIMITS; duplicate keys are an error. Throws YamlRefused.
 * The YAML 1.2 core schema, as the `yaml` library reads it (`yes` and dates stay text; no `<<` merge keys).
 */
export function parseYamlGuarded(text: string): unknown {
  scan(text);
  let value: unknown;
  try {
    value = load(text, LOAD_OPTIONS);
  } catch (err) {
    if (err instanceof YAMLException) throw refusalOf(err, text);
    throw err;
  }
  const limit = expansionLimit(text);
  if (expandsTooFar(value, limit)) {
    throw new YamlRefused(
      `aliases (*name) expand to more than ${limit.toLocaleString('en')} values; write the repeated values out`,
    );
  }
  return value;
}
