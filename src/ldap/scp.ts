/**
 * Builds an Active Directory-shaped tree holding Exchange Autodiscover Service Connection Points (docs/protocol.md §1.1),
 * ready for createDirectoryServer: the domain head, the Configuration naming context, the Exchange containers and
 * one SCP per entry in `scps`.
 */

import { AutodiscoError, type Problem } from '../errors.js';
import type { DirectoryEntry } from './directory.js';
import { escapeRdnValue, parseDn } from './dn.js';
import { toGeneralizedTime } from './time.js';

/** keywords value marking an SCP whose serviceBindingInformation is an Autodiscover URL ("URI map GUID"). */
export const SCP_URL_KEYWORD = '77378F46-2C66-4aa9-A6A6-3E7A48B19596';
/** keywords value marking an SCP whose serviceBindingInformation is `LDAP://host[:port]` ("directory service map GUID"). */
export const SCP_POINTER_KEYWORD = '67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68';
export const SCP_SERVICE_CLASS_NAME = 'ms-Exchange-AutoDiscover-Service';
/** The fixed legacy name of the administrative group every Exchange 2007+ organisation has. */
export const EXCHANGE_ADMIN_GROUP = 'Exchange Administrative Group (FYDIBOHF23SPDLT)';
export const DEFAULT_ORGANIZATION = 'First Organization';

/** MS-OXDISCO §2.2.1.2's filter (note its upper-case `67661D7F`: keyword matching must ignore case). */
export const SCP_FILTER_SPEC =
  '(&(objectcategory=serviceConnectionPoint)(|(keywords=67661D7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';
/** The filter of Microsoft's sample code and the EWS Managed API. */
export const SCP_FILTER_EWS =
  '(&(objectClass=serviceConnectionPoint)(|(keywords=67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68)(keywords=77378F46-2C66-4aa9-A6A6-3E7A48B19596)))';

export interface ScpSpec {
  /** Client Access server name; also the SCP's CN. */
  server: string;
  /** URL SCP: `https://…/Autodiscover/Autodiscover.xml`. Give exactly one of url and pointer. */
  url?: string;
  /** Pointer SCP: `LDAP://host[:port]`. */
  pointer?: string;
  /** Each becomes a `Site=<name>` keyword (AutoDiscoverSiteScope). */
  sites?: readonly string[];
  /** Each becomes a `Domain=<name>` keyword. */
  domains?: readonly string[];
  whenCreated: Date;
}

export interface ScpDirectoryOptions {
  /** Domain naming context, e.g. `DC=contoso,DC=test`. */
  baseDN: string;
  organization?: string;
  scps: readonly ScpSpec[];
}

export function configurationDn(baseDN: string): string {
  return `CN=Configuration,${baseDN}`;
}

/** `CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),…,CN=Configuration,<base>` */
export function exchangeServersDn(baseDN: string, organization = DEFAULT_ORGANIZATION): string {
  const org = `CN=${escapeRdnValue(organization)},CN=Microsoft Exchange,CN=Services,${configurationDn(baseDN)}`;
  return `CN=Servers,CN=${EXCHANGE_ADMIN_GROUP},CN=Administrative Groups,${org}`;
}

/** Where Exchange puts a server's SCP: `CN=<server>,CN=Autodiscover,CN=Protocols,CN=<server>,CN=Servers,…`. */
export function scpDn(baseDN: string, server: string, organization = DEFAULT_ORGANIZATION): string {
  const cn = `CN=${escapeRdnValue(server)}`;
  return `${cn},CN=Autodiscover,CN=Protocols,${cn},${exchangeServersDn(baseDN, organization)}`;
}

function validate(options: ScpDirectoryOptions): void {
  const problems: Problem[] = [];
  const base = parseDn(options.baseDN);
  if (base === undefined || base.length === 0)
    problems.push({ path: 'baseDN', message: `"${options.baseDN}" is not a DN` });
  const seen = new Set<string>();
  options.scps.forEach((scp, i) => {
    if (scp.server.trim() === '') problems.push({ path: `scps[${i}].server`, message: 'is empty' });
    if (seen.has(scp.server.toLowerCase())) {
      problems.push({ path: `scps[${i}].server`, message: `"${scp.server}" is used twice (the DN would repeat)` });
    }
    seen.add(scp.server.toLowerCase());
    if ((scp.url === undefined) === (scp.pointer === undefined)) {
      problems.push({ path: `scps[${i}]`, message: 'give exactly one of url and pointer' });
    }
    if (Number.isNaN(scp.whenCreated.getTime()))
      problems.push({ path: `scps[${i}].whenCreated`, message: 'is not a valid date' });
  });
  if (problems.length > 0) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', 'the SCP directory description has problems', { problems });
  }
}

const container = (dn: string, cn: string): DirectoryEntry => ({
  dn,
  attributes: { objectClass: ['top', 'container'], cn },
});

/**
 * The entries, parents before children. Intermediate Exchange containers are plain `container` objects here (real AD
 * uses msExch* classes); Autodiscover clients never read them.
 */
export function buildScpDirectory(options: ScpDirectoryOptions): DirectoryEntry[] {
  validate(options);
  const { baseDN, scps } = options;
  const organization = options.organization ?? DEFAULT_ORGANIZATION;
  const config = configurationDn(baseDN);
  const first = parseDn(baseDN)?.[0]?.[0];
  const services = `CN=Services,${config}`;
  const exchange = `CN=Microsoft Exchange,${services}`;
  const org = `CN=${escapeRdnValue(organization)},${exchange}`;
  const adminGroups = `CN=Administrative Groups,${org}`;
  const adminGroup = `CN=${EXCHANGE_ADMIN_GROUP},${adminGroups}`;
  const servers = exchangeServersDn(baseDN, organization);
  const category = `CN=Service-Connection-Point,CN=Schema,${config}`;

  const entries: DirectoryEntry[] = [
    {
      dn: baseDN,
      attributes: {
        objectClass: ['top', 'domain', 'domainDNS'],
        ...(first ? { [first.type.toLowerCase()]: first.value } : {}),
      },
    },
    { dn: config, attributes: { objectClass: ['top', 'configuration'], cn: 'Configuration' } },
    container(services, 'Services'),
    container(exchange, 'Microsoft Exchange'),
    container(org, organization),
    container(adminGroups, 'Administrative Groups'),
    container(adminGroup, EXCHANGE_ADMIN_GROUP),
    container(servers, 'Servers'),
  ];
  for (const scp of scps) {
    const serverDn = `CN=${escapeRdnValue(scp.server)},${servers}`;
    const protocols = `CN=Protocols,${serverDn}`;
    const autodiscover = `CN=Autodiscover,${protocols}`;
    const isPointer = scp.pointer !== undefined;
    entries.push(
      container(serverDn, scp.server),
      container(protocols, 'Protocols'),
      container(autodiscover, 'Autodiscover'),
    );
    entries.push({
      dn: scpDn(baseDN, scp.server, organization),
      attributes: {
        objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'],
        cn: scp.server,
        serviceClassName: SCP_SERVICE_CLASS_NAME,
        serviceBindingInformation: [scp.pointer ?? scp.url ?? ''],
        keywords: [
          isPointer ? SCP_POINTER_KEYWORD : SCP_URL_KEYWORD,
          ...(scp.sites ?? []).map((s) => `Site=${s}`),
          ...(scp.domains ?? []).map((d) => `Domain=${d}`),
        ],
        whenCreated: toGeneralizedTime(scp.whenCreated),
        objectCategory: category,
      },
    });
  }
  return entries;
}
