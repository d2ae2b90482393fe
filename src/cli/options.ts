/** Option helpers shared by the commands: every usage mistake names the option, the value and what was expected. */
import { readFile } from 'node:fs/promises';
import { Option } from 'commander';
import { parseDnsServer } from '../adapters/node/dns.js';
import { AutodiscoError } from '../errors.js';
import { fileReason } from '../text/file-reason.js';

export function usage(message: string): AutodiscoError {
  return new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', message);
}

/** For repeatable options (`--dns a --dns b`). */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `--dns`, as discover, audit and worker take it (read with parseDnsServers). */
export function dnsOption(): Option {
  return new Option('--dns <ip[:port]>', 'resolve every name through this DNS server (repeatable, tried in order)')
    .argParser(collect)
    .default([]);
}

/** `--ca`, as discover, audit and worker take it (read with readCaFiles). */
export function caOption(): Option {
  return new Option('--ca <pem-file>', 'extra trusted root certificates (repeatable; the system roots stay trusted)')
    .argParser(collect)
    .default([]);
}

/** A secret taken from the environment variable an option names (never from the command line, where `ps` shows it). */
export function secretFromEnv(option: string, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (value === undefined || value === '') throw usage(`${option} ${name}: that environment variable is not set`);
  return value;
}

/** An LDAP URL option (`--ldap`, `--diagnose-ldap`): a domain controller, ldap:// or ldaps://, nothing after the host. */
export function checkLdapUrl(option: string, value: string): void {
  if (!/^ldaps?:\/\/[^/]+\/?$/i.test(value)) {
    throw usage(`${option} "${value}": expected ldap://host[:port] or ldaps://host[:port]`);
  }
}

/** `--dns` values (or another option's, named by `option`), each an IP address with an optional port. */
export function parseDnsServers(specs: readonly string[], option = '--dns'): string[] {
  return specs.map((spec) => {
    try {
      return parseDnsServer(spec);
    } catch {
      throw usage(
        `${option} "${spec}": expected an IP address with an optional port, e.g. 127.0.0.53 or 127.0.0.53:5353`,
      );
    }
  });
}

/** --ca files, checked to hold PEM certificates. */
export async function readCaFiles(files: readonly string[]): Promise<string[]> {
  const pems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw usage(`--ca ${file}: cannot read the file: ${fileReason(cause, 'read')}`);
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      throw usage(`--ca ${file}: expected PEM certificates (-----BEGIN CERTIFICATE-----)`);
    }
    pems.push(text);
  }
  return pems;
}

/** `127.0.0.1:8080`, `[::1]:8443` or `8080` (loopback). */
export function parseHostPort(value: string, option: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  if (!m) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `${option} "${value}": expected host:port, e.g. 127.0.0.1:8080`,
    );
  }
  const port = Number(m[3]);
  if (port > 65535) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `${option} "${value}": port ${m[3]} is out of range: expected 0 to 65535 (0 picks a free port)`,
    );
  }
  return { host: m[1] || m[2] || '127.0.0.1', port };
}
