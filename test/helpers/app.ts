import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { type AppOptions, buildApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { ConfigInput } from '../../src/settings/schema.js';
import { validateConfig } from '../../src/settings/validate.js';
import { SqliteStore } from '../../src/store/sqlite.js';

export const EXAMPLE_CONFIG = fileURLToPath(new URL('../../examples/example.test.yaml', import.meta.url));
export const FIXED_NOW = new Date('2026-11-26T12:03:32.880Z');

export function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), 'utf8');
}

/** Collects log lines so tests can check what was (and was not) logged. */
export function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination: stream }) };
}

/** The example configuration as a plain document, for tests that change a detail before validating. */
export function exampleDocument(): ConfigInput {
  return parseYaml(readFileSync(EXAMPLE_CONFIG, 'utf8')) as ConfigInput;
}

export async function exampleStore(change?: (doc: ConfigInput) => void): Promise<SqliteStore> {
  const doc = exampleDocument();
  change?.(doc);
  const store = new SqliteStore(':memory:');
  await store.replaceAll(validateConfig(doc, 'example'));
  return store;
}

export async function exampleApp(
  options: Partial<AppOptions> = {},
  store?: SqliteStore,
): Promise<{ app: FastifyInstance; store: SqliteStore; logs: string[]; metrics: ServerMetrics }> {
  const s = store ?? (await exampleStore());
  const { lines, logger } = logSink();
  const metrics = new ServerMetrics();
  const app = buildApp({ store: s, logger, metrics, now: () => FIXED_NOW }, { transport: 'https', ...options });
  await app.ready();
  return { app, store: s, logs: lines, metrics };
}
