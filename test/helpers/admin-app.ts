/** An app with the admin layer (API + UI) over the example store, an account, and a logged-in session. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { FleetSource } from '../../src/audit/fleet-source.js';
import { Auth } from '../../src/auth/auth.js';
import { hashPassword } from '../../src/auth/password.js';
import { SqliteAdminStore } from '../../src/auth/sqlite-admin-store.js';
import { importConfig } from '../../src/cli/store.js';
import type { DiscoverPorts } from '../../src/discover/context.js';
import { createNodePorts } from '../../src/discover/node-ports.js';
import type { AdminOptions } from '../../src/server/api/context.js';
import { buildApp } from '../../src/server/app.js';
import { guardPorts } from '../../src/server/diagnoses/address-guard.js';
import { Diagnoses } from '../../src/server/diagnoses/diagnoses.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { exampleStore, logSink } from './app.js';

export const PASSWORD = 'correct horse battery staple';

export interface AdminApp {
  app: FastifyInstance;
  store: SqliteStore;
  adminStore: SqliteAdminStore;
  /** Where API imports keep their snapshots. */
  snapshots: string;
  auth: Auth;
  logs: string[];
  /** Cookie header and CSRF token of a session of the account "alice". */
  session: { cookie: string; csrf: string };
}

export async function adminApp(
  options: Partial<AdminOptions> & {
    allowPrivate?: boolean;
    dns?: string[];
    ca?: string[];
    maxConcurrent?: number;
    ports?: () => DiscoverPorts;
    transport?: 'http' | 'https';
    fleet?: FleetSource;
    /** A directory for the SCP step (serve --diagnose-ldap); sets the `directory` option. */
    ldap?: { url: string };
  } = {},
): Promise<AdminApp> {
  const store = await exampleStore();
  const adminStore = new SqliteAdminStore(':memory:');
  await adminStore.addAccount('alice', await hashPassword(PASSWORD), new Date());
  const auth = new Auth(adminStore);
  const ports =
    options.ports ??
    (() => {
      const p = createNodePorts({ dnsServers: options.dns ?? [], timeoutMs: 2000 });
      return options.allowPrivate ? p : guardPorts(p);
    });
  const diagnoses = new Diagnoses(adminStore, {
    ports,
    ca: options.ca ?? [],
    ...(options.ldap ? { ldap: options.ldap } : {}),
    timeoutMs: 2000,
    maxConcurrent: options.maxConcurrent ?? 4,
    perRequester: 10,
    windowMs: 60_000,
  });
  const { lines, logger } = logSink();
  const snapshots = mkdtempSync(join(tmpdir(), 'adk-api-import-'));
  const app = buildApp(
    {
      store,
      logger,
      metrics: new ServerMetrics(),
      admin: {
        adminStore,
        auth,
        diagnoses,
        options: {
          ui: options.ui ?? true,
          publicDiagnose: options.publicDiagnose ?? false,
          directory: options.ldap !== undefined,
        },
        ...(options.fleet ? { fleet: options.fleet } : {}),
        // Snapshots of API imports go to a temporary folder, as if the database were there.
        importer: (config, allowEmpty) =>
          importConfig(store, config, {
            db: join(snapshots, 'db.sqlite'),
            source: 'the uploaded configuration',
            allowEmpty,
          }),
      },
    },
    { transport: options.transport ?? 'https' },
  );
  await app.ready();
  const started = await auth.startSession('alice');
  return {
    app,
    store,
    adminStore,
    snapshots,
    auth,
    logs: lines,
    session: { cookie: `adk_session=${started.sessionId}`, csrf: started.session.csrfToken },
  };
}

/** Headers of a session's state-changing request. */
export const asSession = (s: AdminApp['session']) => ({ cookie: s.cookie, 'x-csrf-token': s.csrf });
