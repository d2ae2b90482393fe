/**
 * Reading a JSON configuration file (`*.json`) of any size in bounded memory, as stream.ts does for YAML: the
 * elements of the top-level object's `"users"` array are cut out one by one while the file is read, each parsed
 * on its own (by the same guarded reader as everything else, so duplicate keys are still an error) and handed
 * over at once; the rest of the document, with `"users": []` in its place, is parsed at the end.
 *
 * The cutter only needs what JSON's grammar guarantees: strings (with `\` escapes) are the only place where
 * brackets, braces and commas are not structure. Whatever else is wrong with the text is left to the parser of the
 * piece that holds it, which names the file's line.
 */
import { createReadStream } from 'node:fs';
import { AutodiscoError } from '../errors.js';
import { fileReason } from '../text/file-reason.js';
import { MAX_ITEM_BYTES, parsePiece, type UserItem } from './stream.js';

function unreadable(message: string, cause?: unknown): AutodiscoError {
  return new AutodiscoError('ADK_ERR_CONFIG_UNREADABLE', message, cause === undefined ? {} : { cause });
}

/** Where the cutter is: in the top document, or inside the users array (between items, or in one). */
type Mode = 'top' | 'between-users' | 'in-user';

/**
 * Reads the JSON file at `path`, calling `onUser` for each element of the top-level `"users"` array as soon as it
 * is complete, and returns the rest of the document, parsed.
 */
export async function readJsonConfigStream(
  path: string,
  source: string,
  onUser: (item: UserItem) => void,
): Promise<{ top: unknown }> {
  let top = '';
  let mode: Mode = 'top';
  let depth = 0; // brackets and braces open, in the whole document
  let inString = false;
  let escaped = false;
  let line = 1;
  // In the top document: the last string closed at depth 1 in key position, to see `"users": [` coming.
  let keyAtDepth1 = false;
  let lastKey: string | undefined;
  let keyText = '';
  let afterUsersColon = false;
  // The user being cut out.
  let item = '';
  let itemLine = 0;
  let index = 0;

  const flush = () => {
    const start = itemLine;
    const text = item;
    item = '';
    const parsed = parsePiece(text, source, (n) => start + n - 1);
    onUser({ index, line: start, lines: text.split('\n'), raw: parsed });
    index++;
  };

  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  try {
    let first = true;
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = chunk;
      if (first && text.startsWith('\uFEFF')) text = text.slice(1);
      first = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i] as string;
        if (c === '\n') {
          line++;
          // The top document keeps every line break, so that the parser's line numbers are the file's.
          if (mode !== 'top') top += '\n';
        }
        if (mode === 'in-user') {
          item += c;
          if (item.length > MAX_ITEM_BYTES) {
            throw unreadable(`${source}: users[${index}] (line ${itemLine}) is larger than 1 MiB; no user record is`);
          }
          if (inString) {
            if (escaped) escaped = false;
            else if (c === '\\') escaped = true;
            else if (c === '"') inString = false;
            continue;
          }
          if (c === '"') inString = true;
          else if (c === '{' || c === '[') depth++;
          else if (c === '}' || c === ']') {
            depth--;
            if (depth === 1) {
              // The array itself closed: the item before it ended at the bracket.
              item = item.slice(0, -1);
              if (item.trim() !== '') flush();
              item = '';
              mode = 'top';
              top += '[]';
            }
          } else if (c === ',' && depth === 2) {
            item = item.slice(0, -1);
            flush();
            mode = 'between-users';
          }
          continue;
        }
        if (mode === 'between-users') {
          if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
          if (c === ']') {
            depth--;
            mode = 'top';
            top += '[]';
            continue;
          }
          mode = 'in-user';
          itemLine = line;
          item = '';
          i--; // the item's first character, read again in its mode
          continue;
        }
        // The top document.
        top += c;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') {
            inString = false;
            if (keyAtDepth1) lastKey = keyText;
          } else if (keyAtDepth1) keyText += c;
          continue;
        }
        if (c === '"') {
          inString = true;
          keyText = '';
          continue;
        }
        if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
        if (afterUsersColon) {
          afterUsersColon = false;
          if (c === '[' && depth === 1) {
            depth++;
            top = top.slice(0, -1); // `[]` is written when the array closes
            mode = 'between-users';
            keyAtDepth1 = false;
            continue;
          }
        }
        if (c === ':' && depth === 1 && keyAtDepth1) {
          afterUsersColon = lastKey === 'users';
          keyAtDepth1 = false;
          continue;
        }
        if (c === '{' || c === '[') {
          depth++;
          keyAtDepth1 = depth === 1 && c === '{';
        } else if (c === '}' || c === ']') depth--;
        else if (c === ',' && depth === 1) keyAtDepth1 = true;
        lastKey = keyAtDepth1 ? undefined : lastKey;
      }
    }
  } catch (cause) {
    if (cause instanceof AutodiscoError) throw cause;
    throw unreadable(`${path}: cannot read the file: ${fileReason(cause, 'read')}`, cause);
  } finally {
    stream.destroy();
  }
  if (mode !== 'top') {
    throw unreadable(`${source}: not valid JSON: the file ends inside the "users" array (line ${line})`);
  }
  return { top: parsePiece(top, source, (n) => n) };
}
