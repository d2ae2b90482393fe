/**
 * The deployment file `autodisco plan` reads: an Exchange-like organisation described the way its administrator
 * knows it (accepted domains, namespaces, virtual-directory URLs, Outlook Anywhere, Client Access servers and their
 * AutoDiscoverServiceInternalUri, sites), plus where the names should point in DNS. docs/protocol.md §8 lists where each
 * setting ends up. The JSON schema in schemas/deployment.schema.json is generated from this one.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { AutodiscoError, type Problem } from '../errors.js';
import { parseYamlText, readTextFile } from '../settings/files.js';
import { publishedSchema } from '../settings/published-schema.js';
import { hostName, httpsUrl } from '../settings/schema.js';
import { formatPath } from '../settings/validate.js';

export const DEFAULT_ORGANIZATION = 'First Organization';
export const DEFAULT_SITE = 'Default-First-Site-Name';

const ipAddress = z.string().refine((v) => isIP(v) !== 0, { message: 'expected an IPv4 or IPv6 address' });

/** A virtual directory's InternalUrl / ExternalUrl. Absent: derived from the namespaces. `null`: not set ($null). */
const serviceUrls = z.strictObject({
  internal: httpsUrl.nullable().optional(),
  external: httpsUrl.nullable().optional(),
});
export type ServiceUrlsInput = z.input<typeof serviceUrls>;

/** Exchange's SCP ordering field is set by the directory; here it only orders the plan and documents intent. */
const whenCreated = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

const netbiosName = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?$/,
    'expected a NetBIOS computer name: 1 to 15 letters, digits and inner hyphens (e.g. CASServer)',
  );

export const deploymentServer = z.strictObject({
  /** The server's NetBIOS name (what Exchange names its SCP and its default SCP URL after). */
  name: netbiosName,
  /** The server's own DNS name, e.g. cas01.domain.local. Not needed on the certificate unless a URL uses it. */
  fqdn: hostName.optional(),
  /** The Active Directory site the server is in. */
  site: z.string().min(1).default(DEFAULT_SITE),
  /** AutoDiscoverSiteScope: the sites whose clients should use this SCP (Site= keywords). Default: [site]. */
  siteScope: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Set-ClientAccessService -AutoDiscoverServiceInternalUri. Default as Exchange setup writes it:
   * https://<name>/Autodiscover/Autodiscover.xml (the NetBIOS name, which no public CA certifies).
   */
  autoDiscoverServiceInternalUri: httpsUrl.optional(),
  /** Domain= keywords on the SCP (optional, rarely used on URL SCPs). */
  domains: z.array(hostName).optional(),
  whenCreated: whenCreated.optional(),
});

export const deploymentSchema = z
  .strictObject({
    $schema: z.string().optional(),
    /** The Exchange organisation name (CN=<organization>,CN=Microsoft Exchange,CN=Services,…). */
    organization: z.string().min(1).default(DEFAULT_ORGANIZATION),
    /** Accepted (SMTP) domains; the first is the primary one. Every address domain needs Autodiscover. */
    acceptedDomains: z.array(hostName).min(1),
    namespaces: z.strictObject({
      /** The one name clients use for OWA, EWS, OAB, ActiveSync, MAPI/HTTP and Outlook Anywhere, e.g. webmail.domain.com. */
      mail: hostName,
      /** Autodiscover's own name. Default autodiscover.<primary domain>. */
      autodiscover: hostName.optional(),
      /** The name inside the network. Default: the mail namespace (split-brain DNS, as Microsoft recommends). */
      internal: hostName.optional(),
    }),
    /** Virtual-directory URLs; each absent one is derived from the namespaces (https://<namespace>/owa, …). */
    services: z
      .strictObject({
        owa: serviceUrls.optional(),
        ecp: serviceUrls.optional(),
        ews: serviceUrls.optional(),
        oab: serviceUrls.optional(),
        activeSync: serviceUrls.optional(),
        mapi: serviceUrls.optional(),
      })
      .default({}),
    /** Set-OutlookAnywhere -InternalHostname / -ExternalHostname. Default: the internal and mail namespaces. */
    outlookAnywhere: z
      .strictObject({
        internalHostname: hostName.nullable().optional(),
        externalHostname: hostName.nullable().optional(),
      })
      .optional(),
    /** The Active Directory sites (optional: when given, every server's site and site scope must be one of them). */
    sites: z.array(z.string().min(1)).optional(),
    /** Client Access servers: one Autodiscover SCP each. */
    servers: z.array(deploymentServer).default([]),
    dns: z
      .strictObject({
        /** TTL of the planned records, in seconds. */
        ttl: z.number().int().min(0).max(2_147_483_647).default(3600),
        /** Public addresses of the mail namespace (A / AAAA records). */
        externalAddresses: z.array(ipAddress).min(1).optional(),
        /** Or a load balancer's host name: the mail namespace becomes a CNAME to it. */
        loadBalancer: hostName.optional(),
        /** Addresses inside the network, for the internal (split-brain) zone. */
        internalAddresses: z.array(ipAddress).min(1).optional(),
        /** Also publish autoconfig.<domain> (Thunderbird), when something serves it (autodisco does). */
        autoconfig: z.boolean().default(false),
      })
      .default({ ttl: 3600, autoconfig: false }),
    /**
     * Should https://<domain>/autodiscover/autodiscover.xml answer (Outlook's first DNS candidate)? Usually not: the
     * bare domain is the website. When true, every accepted domain goes on the certificate.
     */
    rootDomain: z.boolean().default(false),
  })
  .superRefine((d, ctx) => {
    const sites = d.sites === undefined ? undefined : new Set(d.sites.map((s) => s.toLowerCase()));
    const names = new Map<string, number>();
    d.servers.forEach((s, i) => {
      const first = names.get(s.name.toLowerCase());
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['servers', i, 'name'],
          message: `"${s.name}" is already servers[${first}] (each server publishes one SCP)`,
        });
      } else names.set(s.name.toLowerCase(), i);
      if (sites === undefined) return;
      if (!sites.has(s.site.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['servers', i, 'site'], message: `"${s.site}" is not one of sites` });
      }
      (s.siteScope ?? []).forEach((scope, j) => {
        if (!sites.has(scope.toLowerCase())) {
          ctx.addIssue({
            code: 'custom',
            path: ['servers', i, 'siteScope', j],
            message: `"${scope}" is not one of sites`,
          });
        }
      });
    });
    const seen = new Map<string, number>();
    d.acceptedDomains.forEach((name, i) => {
      const first = seen.get(name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['acceptedDomains', i],
          message: `"${name}" is already acceptedDomains[${first}]`,
        });
      } else seen.set(name, i);
    });
    if (d.dns.externalAddresses !== undefined && d.dns.loadBalancer !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['dns', 'loadBalancer'],
        message: 'give externalAddresses or loadBalancer, not both (a name with a CNAME has no other records)',
      });
    }
  });

export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentInput = z.input<typeof deploymentSchema>;
export type DeploymentServer = z.infer<typeof deploymentServer>;

function problemsOf(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    else if ('input' in issue && issue.input !== undefined && typeof issue.input !== 'object') {
      const shown = JSON.stringify(issue.input);
      if (!message.includes(shown)) message += ` (got ${shown})`;
    }
    return { path: formatPath(issue.path), message };
  });
}

/** Validates a parsed document; every problem at once, each with its path. */
export function validateDeployment(document: unknown, source = 'deployment'): Deployment {
  const result = deploymentSchema.safeParse(document ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const problems = problemsOf(result.error);
  throw new AutodiscoError('ADK_ERR_CONFIG_INVALID', `${source}: ${problems.length} problem(s)`, { problems });
}

export function parseDeploymentText(text: string, source: string): Deployment {
  return validateDeployment(parseYamlText(text, source), source);
}

export async function loadDeploymentFile(path: string): Promise<Deployment> {
  return parseDeploymentText(await readTextFile(path), path);
}

/** The JSON schema's exact text (schemas/deployment.schema.json; `npm run generate` writes it). */
export function deploymentSchemaJson(): string {
  return publishedSchema(
    deploymentSchema,
    'deployment.schema.json',
    'autodisco deployment',
    'An Exchange-like deployment for `autodisco plan`: accepted domains, namespaces, service URLs, Outlook Anywhere, Client Access servers (SCP) and DNS targets.',
  );
}
