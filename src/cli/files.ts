/** Files the commands write: one line naming the option, the path and the reason when that fails, never a stack. */
import { writeFile } from 'node:fs/promises';
import { AutodiscoError } from '../errors.js';
import { fileReason } from '../text/file-reason.js';

export { fileReason };

export async function writeOutputFile(path: string, text: string, option: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (cause) {
    throw new AutodiscoError('ADK_ERR_OUTPUT', `${option} ${path}: cannot write the file: ${fileReason(cause)}`, {
      cause,
    });
  }
}
