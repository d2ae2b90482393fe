export { AutodiscoError, ERROR_CATALOGUE, type ErrorCode, type Problem } from './errors.js';
export * from './formats/index.js';
export * from './server/index.js';
export type { Answer, ResolvedServer, ResolvedSettings } from './settings/resolve.js';
export { resolveAnswer } from './settings/resolve.js';
export type { Config, DomainSettings, UserRecord } from './settings/schema.js';
