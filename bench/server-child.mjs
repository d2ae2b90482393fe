/**
 * Helpers of `npm run bench` that run in their own process, over the BUILT code (dist/): no TypeScript loader in
 * a measured process.
 *   bare <bodies.json>       node:http answering, per path, the exact bytes autodisco answered (the baseline);
 *                            prints {"port":…} on stdout once listening.
 *   prepare <db> <users>     writes a store with examples/example.test.yaml plus `users` generated users, then exits.
 * The measured autodisco server is not started here: the bench runs the real `autodisco serve` command.
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [mode = 'bare', ...args] = process.argv.slice(2);
// A normal exit on SIGTERM, so `node --cpu-prof bench/server-child.mjs …` writes its profile.
process.on('SIGTERM', () => process.exit(0));

if (mode === 'bare') {
  /** @type {Record<string, {type: string, body: string}>} path prefix → answer */
  const answers = JSON.parse(readFileSync(args[0] ?? '', 'utf8'));
  const routes = Object.entries(answers).map(([prefix, a]) => ({
    prefix,
    type: a.type,
    body: Buffer.from(a.body),
  }));
  const server = createServer((req, res) => {
    const route = routes.find((r) => req.url?.startsWith(r.prefix)) ?? routes[0];
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': route.type, 'content-length': route.body.length });
      res.end(route.body);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  });
} else if (mode === 'prepare') {
  const [dbPath = '', usersText = '0'] = args;
  const { parse } = await import('yaml');
  const { validateConfig } = await import('../dist/settings/validate.js');
  const { SqliteStore } = await import('../dist/store/sqlite.js');
  const users = Number(usersText);
  // A postgres:// URL (bench/postgres.ts) is served from PostgreSQL, as `serve --db postgres://…` does.
  const store = dbPath.startsWith('postgres://')
    ? await (await import('../dist/store/postgres/store.js')).PostgresStore.open(dbPath, { create: true })
    : new SqliteStore(dbPath);
  const config = validateConfig(parse(readFileSync(new URL('../examples/example.test.yaml', import.meta.url), 'utf8')));
  // One transaction, users read one at a time, as `autodisco import` writes them. Users as a provider stores
  // them: a display name, a login name, a legacy DN (a LegacyDN request finds them).
  await store.replaceStreaming({
    domains: config.domains,
    users: function* () {
      yield* config.users;
      for (let i = 0; i < users; i++) {
        yield {
          email: `user${i}@example.test`,
          displayName: `User ${i}`,
          loginName: `u${i}`,
          legacyDN: `/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user${i}`,
        };
      }
    },
  });
  await store.close();
} else {
  process.stderr.write(`server-child: unknown mode ${mode}\n`);
  process.exit(2);
}
