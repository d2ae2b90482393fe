/** Files the commands write: one line naming the option, the path and the reason when that fails, never a stack. */
import { writeFile } from 'node:fs/promises';
import { AutodiscoError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

/** The errno code and what it means to the person who typed the path: `its folder does not exist (ENOENT)`. */
export function fileReason(cause: unknown, use: 'read' | 'write' = 'write'): string {
  const code = (cause as NodeJS.ErrnoException).code ?? 'error';
  const reason = use === 'read' && code === 'ENOENT' ? 'it does not exist' : REASONS[code];
  return reason ? `${reason} (${code})` : code;
}

export async function writeOutputFile(path: string, text: string, option: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (cause) {
    throw new AutodiscoError('ADK_ERR_OUTPUT', `${option} ${path}: cannot write the file: ${fileReason(cause)}`, {
      cause,
    });
  }
}
