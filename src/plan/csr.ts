/** `plan --csr <dir>`: a private key and a PKCS#10 request carrying exactly the plan's certificate names. */
import { mkdir, writeFile } from 'node:fs/promises';
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
  await mkdir(directory, { recursive: true });
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
  await writeFile(request, csr.csrPem);
  return { directory, key, request, keyType, names, leftOut };
}
