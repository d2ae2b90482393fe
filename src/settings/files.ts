/** Reading the YAML (or JSON) files admins write: one way to fail, the same words for every kind of file. */
import { readFile } from 'node:fs/promises';
import { AutodiscoError } from '../errors.js';
import { fileReason } from '../text/file-reason.js';
import { parseYamlGuarded } from './yaml-guard.js';

/**
 * Parses YAML (JSON is YAML); duplicate keys are an error. Unparseable text, and text over the limits of
 * yaml-guard.ts (nesting, aliases, tags), is ADK_ERR_CONFIG_UNREADABLE.
 */
export function parseYamlText(text: string, source: string): unknown {
  try {
    return parseYamlGuarded(text);
  } catch (cause) {
    // The parser's message ends with a code frame over several lines; its first line already says where.
    const message = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]?.replace(/:$/, '');
    throw new AutodiscoError('ADK_ERR_CONFIG_UNREADABLE', `${source}: not valid YAML: ${message}`, { cause });
  }
}

export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new AutodiscoError(
      'ADK_ERR_CONFIG_UNREADABLE',
      `${path}: cannot read the file: ${fileReason(cause, 'read')}`,
      {
        cause,
      },
    );
  }
}
