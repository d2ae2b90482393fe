/**
 * Exchange versions as SOAP Autodiscover names them: the RequestedServerVersion a client asks for, the
 * ServerVersionInfo header, CasVersion and EwsSupportedSchemas (docs/protocol.md §4.3).
 */
import type { ServerVersionInfo } from './response.js';

/**
 * ExchangeVersion names in release order. RequestedServerVersion (SOAP) lists Exchange2007_SP1 to Exchange2013_SP1;
 * later EWS clients send the later names.
 */
const NAMED = [
  'Exchange2007',
  'Exchange2007_SP1',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2015',
  'Exchange2016',
  'Exchange2019',
] as const;

/** SOAP Autodiscover came with Exchange 2010: a request without RequestedServerVersion is answered as for it. */
export const DEFAULT_REQUESTED_VERSION = 'Exchange2010';

/** Used for ServerVersionInfo and CasVersion when the domain names no exchange.serverVersion: Exchange 2013 SP1. */
export const DEFAULT_SERVER_BUILD = '15.0.847';

/**
 * Sort key of a version name, or undefined when it is not one. Dated EWS versions (V2015_10_05, sent by newer
 * EWS clients) come after every named one.
 */
export function versionRank(name: string): number | undefined {
  const index = (NAMED as readonly string[]).indexOf(name);
  if (index >= 0) return index;
  const dated = /^V(\d{4})_(\d{2})_(\d{2})$/.exec(name);
  return dated ? 100 + Number(`${dated[1]}${dated[2]}${dated[3]}`) / 1e8 : undefined;
}

export const atLeast = (name: string, minimum: string) => (versionRank(name) ?? -1) >= (versionRank(minimum) ?? 0);

/** `15.1.2507` → its parts; missing parts are 0. */
function buildParts(build: string): [number, number, number, number] {
  const [a = 0, b = 0, c = 0, d = 0] = build.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return [a, b, c, d];
}

/** The newest ExchangeVersion name a server of this build speaks. */
export function versionNameOfBuild(build: string): string {
  const [major, minor, majorBuild] = buildParts(build);
  if (major < 14) return 'Exchange2007_SP1';
  if (major === 14) return minor === 0 ? 'Exchange2010' : minor === 1 ? 'Exchange2010_SP1' : 'Exchange2010_SP2';
  // 15.0.847 is Exchange 2013 SP1; later builds still answer Autodiscover with the last name the protocol defines.
  return minor === 0 && majorBuild < 847 ? 'Exchange2013' : 'Exchange2013_SP1';
}

/**
 * The header of an answer: the server's build, and the version the answer is written for, which is the one the
 * client asked for unless the server is older.
 */
export function serverVersionInfo(build: string, requested: string): ServerVersionInfo {
  const [majorVersion, minorVersion, majorBuildNumber, minorBuildNumber] = buildParts(build);
  const own = versionNameOfBuild(build);
  return {
    majorVersion,
    minorVersion,
    majorBuildNumber,
    minorBuildNumber,
    version: atLeast(own, requested) ? requested : own,
  };
}

/** CasVersion as Exchange writes it: `15.01.2507.000`. */
export function casVersion(build: string): string {
  const [a, b, c, d] = buildParts(build);
  return `${a}.${String(b).padStart(2, '0')}.${String(c).padStart(4, '0')}.${String(d).padStart(3, '0')}`;
}

/** EwsSupportedSchemas: every EWS schema up to the server's own, comma-separated as Exchange lists them. */
export function ewsSupportedSchemas(build: string): string {
  const own = versionRank(versionNameOfBuild(build)) ?? 0;
  return NAMED.slice(0, own + 1).join(', ');
}
