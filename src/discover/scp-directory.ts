/**
 * One directory server of an SCP lookup: resolve it, connect (scp-connect.ts), bind, read the root DSE's
 * configurationNamingContext and search it for Autodiscover SCP entries. Failures come back as data.
 */

import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Client } from 'ldapts';
import { addressFailure } from '../dns/resolver.js';
import { SCP_FILTER_SPEC } from '../ldap/scp.js';
import { parseGeneralizedTime } from '../ldap/time.js';
import type { LdapTarget } from '../ldap/url.js';
import { addressScope } from './address-scope.js';
import type { StepTls } from './report.js';
import type { ScpLookupOptions } from './scp.js';
import { type Opened, openSocket } from './scp-connect.js';
import { type Failure, operationFailure } from './scp-failure.js';
import type { ScpEntry } from './scp-order.js';

export interface DirectoryAnswer {
  addresses: string[];
  address: string | null;
  boundAs: string | null;
  baseDN: string | null;
  tls?: StepTls;
  entries?: ScpEntry[];
  failure?: Failure;
}

function values(entry: Record<string, unknown>, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

function toScpEntry(entry: Record<string, unknown> & { dn: string }): ScpEntry {
  const created = values(entry, 'whenCreated')[0];
  const whenCreated = created === undefined ? undefined : parseGeneralizedTime(created);
  return {
    dn: entry.dn,
    serviceBindingInformation: values(entry, 'serviceBindingInformation'),
    keywords: values(entry, 'keywords'),
    ...(whenCreated !== undefined ? { whenCreated } : {}),
  };
}

export async function askDirectory(target: LdapTarget, options: ScpLookupOptions): Promise<DirectoryAnswer> {
  const { timeoutMs } = options;
  const deadlineWords = options.deadline ?? `--timeout ${timeoutMs} ms`;
  const resolved = await options.dns.lookupAddresses(target.host);
  // --timeout is a deadline for the directory's whole conversation (connect, TLS, bind, searches, every address),
  // not for each operation: a server dripping its answers cannot stretch it (docs/discover-contract.md).
  const started = performance.now();
  const left = () => Math.max(0, Math.floor(timeoutMs - (performance.now() - started)));
  let expired = false;
  const expiredFailure = (what: string, where: string): Failure => ({
    result: 'timeout',
    detail: `${what} on ${where}: no answer within ${deadlineWords} (one deadline for connect, TLS, bind and searches together)`,
  });
  const none = { addresses: [], address: null, boundAs: null, baseDN: null };
  if (resolved.status !== 'ok') {
    const { result, reason } = addressFailure(resolved);
    return { ...none, failure: { result, detail: `${target.host} ${reason}` } };
  }

  const addresses = resolved.addresses.map((a) => a.address);
  // 0.0.0.0 and :: are no server: on Linux they reach this machine's own listeners (address-scope.ts).
  const usable = addresses.filter((a) => addressScope(a) !== 'unspecified');
  if (usable.length === 0) {
    return {
      ...none,
      addresses,
      failure: {
        result: 'connect-failed',
        detail: `${target.host} resolves only to ${addresses.join(', ')}, an unspecified address: no directory server, not connected to`,
      },
    };
  }
  const boundAs = options.bindDN !== undefined && options.bindDN !== '' ? options.bindDN : null;

  // Like a Windows client, try each address until one accepts a connection.
  let last: Opened | undefined;
  let attempts = 0;
  for (const address of usable) {
    if (left() < 1) break;
    const opened = await openSocket(target, address, left(), options.ca ?? [], deadlineWords);
    last = opened;
    attempts++;
    if (!opened.ok) {
      if (opened.failure.result === 'tls-error') break; // the server is there: another address would not help
      continue;
    }
    const where = `${target.host} (${isIP(address) === 6 ? `[${address}]` : address}:${target.port})`;
    const base = { addresses, address, boundAs, baseDN: null, ...(opened.tls ? { tls: opened.tls } : {}) };
    const socket = opened.socket;
    const client = new Client({
      url: `${target.secure ? 'ldaps' : 'ldap'}://${isIP(address) === 6 ? `[${address}]` : address}:${target.port}`,
      // The deadline below ends the conversation first, so its words (with the operation) are the ones reported.
      timeout: left() + 1000,
      ...(target.secure ? { createSecureConnection: () => socket as TLSSocket } : {}),
      ...(!target.secure ? { createConnection: () => socket } : {}),
    });
    const deadline = setTimeout(() => {
      expired = true;
      socket.destroy();
    }, left());
    try {
      try {
        await client.bind(boundAs ?? '', boundAs === null ? '' : (options.password ?? ''));
      } catch (err) {
        const who = boundAs === null ? 'the anonymous bind' : `the bind as ${boundAs}`;
        return {
          ...base,
          failure: expired
            ? expiredFailure(who, where)
            : operationFailure(err, who, where, deadlineWords, options.password),
        };
      }
      let baseDN: string | undefined;
      try {
        const dse = await client.search('', {
          scope: 'base',
          filter: '(objectClass=*)',
          attributes: ['configurationNamingContext'],
        });
        const first = dse.searchEntries[0];
        baseDN = first === undefined ? undefined : values(first, 'configurationNamingContext')[0];
      } catch (err) {
        return {
          ...base,
          failure: expired
            ? expiredFailure('reading the root DSE', where)
            : operationFailure(err, 'reading the root DSE', where, deadlineWords, options.password),
        };
      }
      if (baseDN === undefined || baseDN === '') {
        return {
          ...base,
          failure: {
            result: 'not-found',
            detail: `the root DSE of ${where} has no configurationNamingContext: not an Active Directory domain controller`,
          },
        };
      }
      try {
        const found = await client.search(baseDN, {
          scope: 'sub',
          filter: SCP_FILTER_SPEC,
          attributes: ['serviceBindingInformation', 'keywords', 'whenCreated'],
          paged: { pageSize: 500 },
        });
        return { ...base, baseDN, entries: found.searchEntries.map(toScpEntry) };
      } catch (err) {
        return {
          ...base,
          baseDN,
          failure: expired
            ? expiredFailure(`the SCP search of ${baseDN}`, where)
            : operationFailure(err, `the SCP search of ${baseDN}`, where, deadlineWords, options.password),
        };
      }
    } finally {
      clearTimeout(deadline);
      if (!expired) await client.unbind().catch(() => {});
      socket.destroy();
    }
  }
  const failure: Failure =
    last !== undefined && !last.ok
      ? last.failure
      : left() < 1
        ? expiredFailure('connecting', target.host)
        : { result: 'not-found' as const, detail: `${target.host} has no address` };
  const tls = last !== undefined && last.tls !== undefined ? { tls: last.tls } : {};
  const tried = attempts > 1 ? ` (${attempts} addresses tried, this was the last)` : '';
  return {
    addresses,
    address: null,
    boundAs,
    baseDN: null,
    ...tls,
    failure: { ...failure, detail: failure.detail + tried },
  };
}
