/** Large generated configurations, for bench/import.ts and the streaming import tests. */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** The file's first lines: two domains (one moved), then `users:`; user i is on lines 9 + 3i to 11 + 3i. */
export const CONFIG_HEAD =
  'domains:\n  - name: example.test\n    aliases: [example.net]\n    imap: { host: imap.example.test }\n    smtp: { host: smtp.example.test, port: 587, security: starttls }\n  - name: old.test\n    redirect: { domain: example.test }\nusers:\n';

export const userAddress = (i: number) => `user${String(i).padStart(7, '0')}@example.test`;

/**
 * Writes a valid configuration with `users` users in block style (about 80 bytes each), then `tail` as is.
 * `changed` alters the last user's display name.
 */
export async function writeConfig(path: string, users: number, options: { changed?: boolean; tail?: string } = {}) {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(CONFIG_HEAD);
  let chunk = '';
  for (let i = 0; i < users; i++) {
    const n = String(i).padStart(7, '0');
    const name = options.changed && i === users - 1 ? 'Someone Else' : `User ${n}`;
    chunk += `  - email: ${userAddress(i)}\n    displayName: ${name}\n    loginName: u${n}\n`;
    if (chunk.length > 65536) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk + (options.tail ?? ''));
  out.end();
  await once(out, 'close');
}
