/**
 * `autodisco publish scp`: writes each Client Access server's Autodiscover SCP into the directory over LDAP, as an
 * Exchange server's setup does (docs/protocol.md §1.1), or prints it as LDIF. The directory sets whenCreated.
 */
import { Client, NoSuchObjectError, ResultCodeError } from 'ldapts';
import { AutodiscoError } from '../errors.js';
import { parseDn } from '../ldap/dn.js';
import type { PlanInput, PlanServer } from './input.js';
import {
  CONFIG_NC_PLACEHOLDER,
  type LdifRecord,
  scpAttributes,
  scpKeywords,
  scpPath,
  toLdif,
  underConfiguration,
} from './scp.js';

export interface PublishOptions {
  /** ldap://host[:port] or ldaps://…; absent only with dryRun (then configNc is required). */
  url?: string;
  bindDn?: string;
  password?: string;
  /** Configuration naming context; default: read from the root DSE. */
  configNc?: string;
  dryRun: boolean;
  timeoutMs?: number;
  /** Extra trusted roots for ldaps://. */
  ca?: readonly string[];
}

export type EntryOutcome =
  /** Written (or, with dryRun, would be). */
  | 'added'
  /** The SCP is already there with the same URL and keywords. */
  | 'unchanged'
  /** An SCP is already there with another URL or keywords: left alone. */
  | 'differs'
  | 'failed';

export interface PublishedEntry {
  dn: string;
  kind: 'container' | 'scp';
  server: string;
  outcome: EntryOutcome;
  detail?: string;
}

export interface PublishReport {
  configNc: string;
  dryRun: boolean;
  entries: PublishedEntry[];
  /** What was (or would be) added, as LDIF change records. */
  ldif: string;
  ok: boolean;
}

interface ScpRecord {
  server: PlanServer;
  dn: string;
  attributes: Record<string, string[]>;
}

function scpRecords(input: PlanInput, configNc: string): ScpRecord[] {
  return input.servers.map((server) => {
    const keywords = scpKeywords(server.siteScope, server.domains);
    return {
      server,
      dn: underConfiguration(scpPath(input.organization, server.name).scp, configNc),
      attributes: scpAttributes(server.name, server.url, keywords),
    };
  });
}

function ldapFailure(dn: string, err: unknown): string {
  if (err instanceof ResultCodeError) return `${dn}: LDAP result ${err.code}: ${err.message}`;
  return `${dn}: ${err instanceof Error ? err.message : String(err)}`;
}

/** One attribute as ldapts returns it, as strings. */
function valuesOf(entry: Record<string, unknown>, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v) => b.some((w) => w.toLowerCase() === v.toLowerCase()));

/** LDIF for a dry run without a directory: the SCPs only, parents assumed (Exchange setup creates them). */
export function scpLdif(input: PlanInput, configNc: string = CONFIG_NC_PLACEHOLDER): string {
  return toLdif(
    scpRecords(input, configNc).map((r) => ({
      dn: r.dn,
      attributes: r.attributes,
      comments: [
        `Autodiscover SCP of ${r.server.name} (whenCreated is set by the directory)`,
        'its parent containers are not included: Exchange setup creates them (publish scp --ldap adds missing ones)',
      ],
    })),
  );
}

export async function publishScp(input: PlanInput, options: PublishOptions): Promise<PublishReport> {
  if (input.servers.length === 0) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', 'the deployment has no servers: there is no SCP to publish');
  }
  if (options.url === undefined) {
    if (!options.dryRun || options.configNc === undefined) {
      throw new AutodiscoError(
        'ADK_ERR_INVALID_ARGUMENT',
        '--ldap is required, except with --dry-run and --config-nc (then the LDIF assumes the parent containers exist)',
      );
    }
    const records = scpRecords(input, options.configNc);
    return {
      configNc: options.configNc,
      dryRun: true,
      entries: records.map((r) => ({ dn: r.dn, kind: 'scp', server: r.server.name, outcome: 'added' })),
      ldif: scpLdif(input, options.configNc),
      ok: true,
    };
  }

  const client = new Client({
    url: options.url,
    timeout: options.timeoutMs ?? 10_000,
    connectTimeout: options.timeoutMs ?? 10_000,
    ...(options.ca === undefined || options.ca.length === 0 ? {} : { tlsOptions: { ca: [...options.ca] } }),
  });
  try {
    try {
      if (options.bindDn !== undefined) await client.bind(options.bindDn, options.password ?? '');
    } catch (err) {
      throw new AutodiscoError(
        'ADK_ERR_INVALID_ARGUMENT',
        `--bind-dn ${options.bindDn}: the bind failed (${ldapFailure(options.url, err)})`,
        { cause: err },
      );
    }
    const configNc = options.configNc ?? (await readConfigNc(client, options.url));
    return await publishWith(client, input, configNc, options.dryRun);
  } finally {
    await client.unbind().catch(() => {});
  }
}

async function readConfigNc(client: Client, url: string): Promise<string> {
  let value: string | undefined;
  try {
    const { searchEntries } = await client.search('', { scope: 'base', attributes: ['configurationNamingContext'] });
    value = valuesOf(searchEntries[0] ?? {}, 'configurationNamingContext')[0];
  } catch (err) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `${url}: cannot read the root DSE (${ldapFailure('root DSE', err)})`,
      { cause: err },
    );
  }
  if (value === undefined || value === '') {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `${url}: the root DSE names no configurationNamingContext; give --config-nc (e.g. CN=Configuration,DC=contoso,DC=com)`,
    );
  }
  return value;
}

/** The entry at `dn`, null when it does not exist. */
async function read(client: Client, dn: string): Promise<Record<string, unknown> | null> {
  try {
    const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)' });
    return searchEntries[0] ?? null;
  } catch (err) {
    if (err instanceof NoSuchObjectError) return null;
    throw err;
  }
}

async function publishWith(
  client: Client,
  input: PlanInput,
  configNc: string,
  dryRun: boolean,
): Promise<PublishReport> {
  const entries: PublishedEntry[] = [];
  const ldif: LdifRecord[] = [];
  const org = underConfiguration(scpPath(input.organization, input.servers[0]?.name ?? 'x').organization, configNc);
  let orgEntry: Record<string, unknown> | null;
  try {
    orgEntry = await read(client, org);
  } catch (err) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `cannot search the directory: ${ldapFailure(org, err)} (bind with --bind-dn?)`,
      { cause: err },
    );
  }
  if (orgEntry === null) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `the directory has no Exchange organization "${input.organization}" (${org}); check organization in the deployment file and --config-nc`,
    );
  }
  const created = new Set<string>();
  for (const record of scpRecords(input, configNc)) {
    const server = record.server.name;
    const path = scpPath(input.organization, server);
    let current: { dn: string; kind: PublishedEntry['kind'] } = { dn: record.dn, kind: 'scp' };
    try {
      for (const below of path.chain) {
        const dn = underConfiguration(below, configNc);
        if (created.has(dn.toLowerCase()) || (await read(client, dn)) !== null) continue;
        const cn = parseDn(below)?.[0]?.[0]?.value ?? below;
        const attributes = { objectClass: ['top', 'container'], cn: [cn] };
        current = { dn, kind: 'container' };
        if (!dryRun) await client.add(dn, attributes);
        created.add(dn.toLowerCase());
        entries.push({ dn, kind: 'container', server, outcome: 'added' });
        ldif.push({ dn, attributes, comments: [`container on the way to ${server}'s SCP (missing in the directory)`] });
      }
      const existing = await read(client, record.dn);
      if (existing !== null) {
        const url = valuesOf(existing, 'serviceBindingInformation');
        const keywords = valuesOf(existing, 'keywords');
        const same =
          sameSet(url, record.attributes['serviceBindingInformation'] ?? []) &&
          sameSet(keywords, record.attributes['keywords'] ?? []);
        entries.push({
          dn: record.dn,
          kind: 'scp',
          server,
          outcome: same ? 'unchanged' : 'differs',
          ...(same
            ? {}
            : {
                detail: `the directory has ${url.join(', ') || 'no URL'} with keywords ${keywords.join(', ') || '(none)'}; left alone`,
              }),
        });
        continue;
      }
      current = { dn: record.dn, kind: 'scp' };
      if (!dryRun) await client.add(record.dn, record.attributes);
      entries.push({ dn: record.dn, kind: 'scp', server, outcome: 'added' });
      ldif.push({
        dn: record.dn,
        attributes: record.attributes,
        comments: [`Autodiscover SCP of ${server} (whenCreated is set by the directory)`],
      });
    } catch (err) {
      entries.push({ ...current, server, outcome: 'failed', detail: ldapFailure(current.dn, err) });
    }
  }
  return {
    configNc,
    dryRun,
    entries,
    ldif: toLdif(ldif),
    ok: entries.every((e) => e.outcome === 'added' || e.outcome === 'unchanged'),
  };
}
