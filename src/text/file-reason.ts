/** Why a file could not be used, in the words of the person who typed its path, with the errno code after them. */

const REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

/** `it does not exist (ENOENT)` for a read, `its folder does not exist (ENOENT)` for a write. */
export function fileReason(cause: unknown, use: 'read' | 'write' = 'write'): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  const reason = use === 'read' && code === 'ENOENT' ? 'it does not exist' : REASONS[code];
  return reason ? `${reason} (${code})` : code;
}
