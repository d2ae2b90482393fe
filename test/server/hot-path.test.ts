/**
 * What the hot path of issue 12 must keep doing while it got faster: a LegacyDN request reads its user once; a
 * change to the store made through another connection is answered, with the compiled answer of the new settings.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { validateConfig } from '../../src/settings/validate.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { SettingsStore } from '../../src/store/store.js';
import { exampleDocument, exampleStore, fixture } from '../helpers/app.js';

const silent = createLogger({ level: 'silent' });

describe('serve hot path', () => {
  test('a LegacyDN request reads the user row once, by LegacyDN', async () => {
    const store = await exampleStore();
    const calls: string[] = [];
    const counting: SettingsStore = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(name));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const app = buildApp({ store: counting, logger: silent, metrics: new ServerMetrics() }, { transport: 'https' });
    const res = await app.inject({
      method: 'POST',
      url: '/autodiscover/autodiscover.xml',
      payload: fixture('requests/outlook-legacydn.xml'),
    });
    assert.match(res.body, /<AutoDiscoverSMTPAddress>chris@example\.test</);
    assert.deepEqual(
      calls.filter((c) => c.startsWith('findUser')),
      ['findUserByLegacyDN'],
    );
    await app.close();
    await store.close();
  });

  test('an import through another connection is answered with the new settings', async () => {
    const db = join(await mkdtemp(join(tmpdir(), 'autodisco-hot-')), 'db.sqlite');
    const serving = new SqliteStore(db);
    const importing = new SqliteStore(db);
    const doc = exampleDocument();
    await importing.replaceAll(validateConfig(doc, 'example'));
    const app = buildApp({ store: serving, logger: silent, metrics: new ServerMetrics() }, { transport: 'https' });
    const ask = async () =>
      (await app.inject({ method: 'GET', url: '/mail/config-v1.1.xml?emailaddress=chris%40example.test' })).body;
    assert.match(await ask(), /<displayName>Example Mail<\/displayName>/);
    const renamed = exampleDocument();
    ((renamed.domains ?? [])[0] as { displayName?: string }).displayName = 'Renamed Mail';
    await importing.replaceAll(validateConfig(renamed, 'example'));
    // The serving store checks for other connections' commits once per turn of the event loop; a request from the
    // network always arrives in a later turn than the commit it follows (here: the next turn).
    await new Promise((resolve) => setImmediate(resolve));
    // The compiled answer of the old settings is not used for the new ones.
    assert.match(await ask(), /<displayName>Renamed Mail<\/displayName>/);
    await app.close();
    await serving.close();
    await importing.close();
  });
});
