/** `plan --csr <dir>`: a private key and a PKCS#10 request carrying exactly the plan's certificate names. */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutodiscoError } from '../errors.js';
import { createCsr } from '../pki/csr.js';
import type { KeyType } from '../pki/keys.js';
import { csrNames, type Plan } from './plan.js';

export const KEY_FILE = 'key.pem';
export const CSR_FILE = 'request.csr';

export interface CsrWritten {
  directory: string;
  key: string;
  request: string;
  keyType: KeyType;
  /** The SAN entries, in plan order; the subject CN is the first. */
  names: string[];
  /** Required names left out because no public CA issues them (unless includeInternal). */
  leftOut: string[];
}

/**
 * Creates the --csr folder itself, not its parents: a mistyped path then fails here instead of leaving a trail of
 * folders (and a private key) somewhere unexpected. An existing folder is fine.
 */
async function makeFolder(directory: string): Promise<void> {
  try {
    await mkdir(directory);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EEXIST' && (await stat(directory)).isDirectory()) return;
    const why =
      code === 'EEXIST'
        ? 'a file of that name exists; give a folder'
        : code === 'ENOENT'
          ? 'its parent folder does not exist (only the last folder is created)'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a folder'
            : `cannot create the folder (${code})`;
    throw new AutodiscoError('ADK_ERR_OUTPUT', `--csr ${directory}: ${why}`, { cause });
  }
}

export async function writePlanCsr(
  plan: Plan,
  directory: string,
  options: { keyType?: KeyType; includeInternal?: boolean } = {},
): Promise<CsrWritten> {
  const includeInternal = options.includeInternal ?? false;
  const names = csrNames(plan, includeInternal);
  const leftOut = csrNames(plan, true).filter((n) => !names.includes(n));
  if (names.length === 0) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `--csr ${directory}: no name a public CA would issue is required (${leftOut.join(', ') || 'none'}); add --include-internal to request them from your own CA`,
    );
  }
  const keyType = options.keyType ?? 'rsa';
  const csr = await createCsr({ dnsNames: names, keyType });
  await makeFolder(directory);
  const key = join(directory, KEY_FILE);
  const request = join(directory, CSR_FILE);
  try {
    // 'wx': never overwrite a key someone may already have sent a request for.
    await writeFile(key, csr.keyPem, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'EEXIST'
        ? `${KEY_FILE} already exists there (it is never overwritten)`
        : `cannot write ${KEY_FILE} (${code})`;
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `--csr ${directory}: ${why}`, { cause });
  }
  try {
    await writeFile(request, csr.csrPem);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new AutodiscoError('ADK_ERR_OUTPUT', `--csr ${directory}: cannot write ${CSR_FILE} (${code})`, { cause });
  }
  return { directory, key, request, keyType, names, leftOut };
}
