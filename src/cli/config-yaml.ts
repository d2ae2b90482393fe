/**
 * Writing the stored configuration as the YAML file `import` reads (export's output and import's snapshots),
 * a piece at a time with backpressure: a million users are never one string in memory.
 *
 * Domains are few and rich: they are written by the YAML library, in block style. Users are written one per
 * line, as flow mappings whose values are JSON strings (a JSON string is a YAML double-quoted scalar, so every
 * value, whatever its characters, reads back unchanged); the library would take ~40 µs per user.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { stringify } from 'yaml';
import type { DomainSettings, UserRecord } from '../settings/schema.js';

const HEADER = '# autodisco configuration (JSON schema: schemas/config.schema.json in the autodisco-mail package)\n';
const USER_KEYS = [
  'email',
  'displayName',
  'loginName',
  'mailboxServer',
  'legacyDN',
  'mailboxId',
  'redirectAddr',
  'redirectUrl',
] as const satisfies readonly (keyof UserRecord)[];
/** Lines are gathered into chunks of about this size before a write. */
const CHUNK = 64 * 1024;

/** `  - { email: "chris@example.test", displayName: "Chris Gray" }` */
export function userLine(user: UserRecord): string {
  const fields: string[] = [];
  for (const key of USER_KEYS) {
    const value = user[key];
    if (value !== undefined) fields.push(`${key}: ${JSON.stringify(value)}`);
  }
  return `  - { ${fields.join(', ')} }\n`;
}

/** The configuration file, in chunks. */
export function* configChunks(domains: readonly DomainSettings[], users: Iterable<UserRecord>): Generator<string> {
  yield `${HEADER}${stringify({ domains })}`;
  const chunks = new UserChunks();
  for (const user of users) {
    const full = chunks.add(user);
    if (full !== undefined) yield full;
  }
  yield chunks.end();
}

/** The users' part of the file, gathered into chunks of about CHUNK characters. */
class UserChunks {
  #chunk = '';
  #any = false;

  /** Adds a user's line; returns the chunk when it is full. */
  add(user: UserRecord): string | undefined {
    if (!this.#any) this.#chunk = 'users:\n';
    this.#any = true;
    this.#chunk += userLine(user);
    if (this.#chunk.length < CHUNK) return undefined;
    const full = this.#chunk;
    this.#chunk = '';
    return full;
  }

  /** The last chunk (`users: []` when there was none). */
  end(): string {
    return this.#any ? this.#chunk : 'users: []\n';
  }
}

/** configChunks for users read from a database server (or SQLite: both kinds of iterable). */
export async function* streamConfigChunks(
  domains: readonly DomainSettings[],
  users: Iterable<UserRecord> | AsyncIterable<UserRecord>,
): AsyncGenerator<string> {
  yield `${HEADER}${stringify({ domains })}`;
  const chunks = new UserChunks();
  for await (const user of users) {
    const full = chunks.add(user);
    if (full !== undefined) yield full;
  }
  yield chunks.end();
}

/** The whole file as one string: for small configurations (tests, the lab). */
export function renderConfigYaml(config: { domains: readonly DomainSettings[]; users: Iterable<UserRecord> }): string {
  return [...configChunks(config.domains, config.users)].join('');
}

/** Writes every chunk, waiting for the stream to drain when its buffer is full. Rejects with the stream's error. */
export async function writeChunks(stream: Writable, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  let failure: Error | undefined;
  const onError = (err: Error) => {
    failure ??= err;
  };
  stream.on('error', onError);
  try {
    for await (const chunk of chunks) {
      if (failure) throw failure;
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
    if (failure) throw failure;
  } finally {
    stream.off('error', onError);
  }
}

/** Writes the chunks to a new file (`flags`: 'w' replaces, 'wx' refuses an existing file) and closes it. */
export async function writeFileChunks(
  path: string,
  chunks: Iterable<string> | AsyncIterable<string>,
  options: { flags: 'w' | 'wx'; mode?: number },
): Promise<void> {
  const stream = createWriteStream(path, { flags: options.flags, mode: options.mode ?? 0o666 });
  await once(stream, 'open');
  try {
    await writeChunks(stream, chunks);
  } catch (err) {
    stream.destroy();
    throw err;
  }
  stream.end();
  await once(stream, 'close');
}
