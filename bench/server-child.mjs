/**
 * One server for the benchmark, in its own process so the load generator does not share its event loop.
 * Plain JavaScript over the BUILT code (dist/, `npm run bench` builds first): no TypeScript loader runs in the
 * measured process, for the bare baseline and autodisco alike.
 * Modes: `bare` (node:http answering a constant body: the baseline) or `autodisco` with N stored users.
 * Prints {"port":…} on stdout once listening.
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';

const [mode = 'bare', usersText = '0', dbPath = ':memory:'] = process.argv.slice(2);
// A normal exit on SIGTERM, so `node --cpu-prof bench/server-child.mjs …` writes its profile.
process.on('SIGTERM', () => process.exit(0));

/** @param {import('node:net').AddressInfo | string | null} address */
const announce = (address) =>
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);

if (mode === 'bare') {
  const body = readFileSync(new URL('./fixtures/bare-response.xml', import.meta.url));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': body.length });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => announce(server.address()));
} else {
  const { parse } = await import('yaml');
  const { startServer } = await import('../dist/server/listen.js');
  const { createLogger } = await import('../dist/server/logger.js');
  const { ServerMetrics } = await import('../dist/server/metrics.js');
  const { validateConfig } = await import('../dist/settings/validate.js');
  const { SqliteStore } = await import('../dist/store/sqlite.js');
  const users = Number(usersText);
  // A postgres:// URL (bench/postgres.ts) is served from PostgreSQL, as `serve --db postgres://…` does.
  const store = dbPath.startsWith('postgres://')
    ? await (await import('../dist/store/postgres/store.js')).PostgresStore.open(dbPath, { create: true, listen: true })
    : new SqliteStore(dbPath);
  const config = validateConfig(parse(readFileSync(new URL('../examples/example.test.yaml', import.meta.url), 'utf8')));
  await store.replaceAll(config);
  await store.upsertUsers(
    (function* () {
      for (let i = 0; i < users; i++)
        yield { email: `user${i}@example.test`, displayName: `User ${i}`, loginName: `u${i}` };
    })(),
  );
  // Logs go nowhere: the benchmark measures the server, not the terminal.
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, done) => done() }) });
  // Metrics as `autodisco serve` keeps them: every request counted, process metrics collected; the /metrics
  // listener itself (serve --metrics, off by default) is not part of what is measured.
  const running = await startServer(
    { store, logger, metrics: new ServerMetrics({ processMetrics: true }) },
    { http: { host: '127.0.0.1', port: 0, mode: 'full' } },
  );
  process.stdout.write(`${JSON.stringify({ port: Number(new URL(running.urls.http ?? '').port) })}\n`);
}
