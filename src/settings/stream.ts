/**
 * Reading a configuration file of any size in bounded memory. The `yaml` library parses whole documents (an
 * 80 MiB file of a million users needed more than 4 GiB), so the file is read as a stream of lines and cut
 * where YAML's own structure allows it:
 * - the block sequence under a top-level `users:` key is cut into its items (each `- ` at the sequence's
 *   indentation starts one); each item is parsed on its own by the same library and handed over at once;
 * - every other line (domains, `$schema`, comments) forms the top document, parsed whole at the end, with
 *   `users: []` in place of the sequence (so a second `users:` key is still a duplicate key).
 * Anything else (a flow `users: [...]`, JSON inside a .yaml file) is simply all top document: read whole, as
 * before. A `*.json` file is cut by its own grammar instead (stream-json.ts).
 * Line numbers in messages are the file's. Anchors cannot point from one user item into another.
 */
import { open } from 'node:fs/promises';
import { AutodiscoError } from '../errors.js';
import { fileReason } from '../text/file-reason.js';
import { parseYamlText } from './files.js';

/** One user item, as parsed, with its position in the sequence and its first line in the file. */
export interface UserItem {
  index: number;
  line: number;
  raw: unknown;
  /** The item's lines (for the line of a field named in a problem). */
  lines: readonly string[];
}

/** The file line of `key` in an item (its first line when the key is not found at the start of a line). */
export function lineOfKey(item: Pick<UserItem, 'line' | 'lines'>, key: string): number {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^[\\s-]*["']?${escaped}["']?\\s*:`);
  const at = item.lines.findIndex((l) => pattern.test(l));
  return item.line + Math.max(at, 0);
}

/** An item larger than this is refused: no user record comes near it, and it would be held in memory. */
export const MAX_ITEM_BYTES = 1024 * 1024;

function unreadable(message: string, cause?: unknown): AutodiscoError {
  return new AutodiscoError('ADK_ERR_CONFIG_UNREADABLE', message, cause === undefined ? {} : { cause });
}

/** Parses a piece of the file, moving the library's `line N` (counted in the piece) to the file's line. */
export function parsePiece(text: string, source: string, fileLine: (pieceLine: number) => number): unknown {
  try {
    return parseYamlText(text, source);
  } catch (err) {
    if (!(err instanceof AutodiscoError)) throw err;
    const message = err.message.replace(/\bline (\d+)/g, (_, n: string) => `line ${fileLine(Number(n))}`);
    throw unreadable(message, err);
  }
}

/**
 * Reads `path`, calling `onUser` for each item of the top-level `users:` block sequence as soon as it is read,
 * and returns the rest of the document, parsed.
 */
export async function readConfigStream(
  path: string,
  source: string,
  onUser: (item: UserItem) => void,
): Promise<{ top: unknown }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
    // Opening a folder succeeds on Linux; reading it is what fails: say so now, as readFile did.
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
  } catch (cause) {
    throw unreadable(`${path}: cannot read the file: ${fileReason(cause, 'read')}`, cause);
  }

  const topLines: string[] = [];
  const topLineAt: number[] = []; // file line of each top line
  let inUsers = false;
  let seqIndent = -1;
  let item: { line: number; lines: string[]; bytes: number } | undefined;
  let index = 0;
  let lineNo = 0;

  const flush = () => {
    if (!item) return;
    const { line: start, lines } = item;
    const parsed = parsePiece(lines.join('\n'), source, (n) => start + n - 1);
    item = undefined;
    onUser({ index, line: start, lines, raw: Array.isArray(parsed) && parsed.length === 1 ? parsed[0] : parsed });
    index++;
  };

  try {
    for await (let line of handle.readLines({ encoding: 'utf8' })) {
      lineNo++;
      if (lineNo === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
      if (inUsers) {
        const content = line.trimStart();
        const indent = line.length - content.length;
        if (content === '' || content.startsWith('#')) {
          item?.lines.push(line);
          continue;
        }
        const startsItem = /^-(\s|$)/.test(content);
        if (startsItem && (seqIndent === -1 || indent === seqIndent)) {
          seqIndent = indent;
          flush();
          item = { line: lineNo, lines: [line], bytes: line.length };
          continue;
        }
        if (item && indent > seqIndent) {
          item.lines.push(line);
          item.bytes += line.length + 1;
          if (item.bytes > MAX_ITEM_BYTES) {
            throw unreadable(`${source}: users[${index}] (line ${item.line}) is larger than 1 MiB; no user record is`);
          }
          continue;
        }
        if (indent > 0 || startsItem) {
          throw unreadable(
            `${source}: not valid YAML: under users:, expected a list with one "- " item per user (line ${lineNo})`,
          );
        }
        // Back at the left margin: the sequence is over, the rest belongs to the top document.
        flush();
        inUsers = false;
      }
      if (/^users[ \t]*:[ \t]*(#.*)?$/.test(line)) {
        inUsers = true;
        seqIndent = -1;
        topLines.push('users: []');
      } else {
        topLines.push(line);
      }
      topLineAt.push(lineNo);
    }
    flush();
  } catch (cause) {
    if (cause instanceof AutodiscoError) throw cause;
    throw unreadable(`${path}: cannot read the file: ${fileReason(cause, 'read')}`, cause);
  } finally {
    // readLines closes the handle at the end of the file; this closes it on an early exit.
    await handle.close().catch(() => undefined);
  }
  const top = parsePiece(topLines.join('\n'), source, (n) => topLineAt[n - 1] ?? n);
  return { top };
}
