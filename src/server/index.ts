export { loadConfigFile, parseConfigText, validateConfig } from '../settings/validate.js';
export { SqliteStore } from '../store/sqlite.js';
export type { SettingsStore } from '../store/store.js';
export { type AppDeps, type AppOptions, buildApp } from './app.js';
export { DEFAULT_TIMEOUTS, type ListenOptions, type RunningServer, startServer, type Timeouts } from './listen.js';
export { createLogger } from './logger.js';
export { ServerMetrics } from './metrics.js';
