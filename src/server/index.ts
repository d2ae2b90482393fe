export { loadConfigFile, parseConfigText, validateConfig } from '../settings/validate.js';
export { PostgresStore, type PostgresStoreOptions } from '../store/postgres/store.js';
export { SqliteStore } from '../store/sqlite.js';
export type { ManagedStore, SettingsStore, StoreHealth } from '../store/store.js';
export { type AppDeps, type AppOptions, buildApp } from './app.js';
export { DEFAULT_TIMEOUTS, type ListenOptions, type RunningServer, startServer, type Timeouts } from './listen.js';
export { createLogger } from './logger.js';
export { ServerMetrics } from './metrics.js';
