/** The directory section of a scenario: an Active Directory with Exchange SCP entries, and who may bind. */
import { z } from 'zod';
import { port } from './scenario-certificates.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const isoDate = z.string().refine((v) => ISO_DATE.test(v) && !Number.isNaN(Date.parse(v)), {
  message: 'expected an ISO 8601 date such as 2019-03-04T05:06:07Z',
});

export const directorySchema = z.strictObject({
  baseDN: z.string().min(1).describe('Domain naming context, e.g. DC=contoso,DC=test.'),
  organization: z.string().min(1).optional().describe('Exchange organisation name. Default: First Organization.'),
  clientSite: z
    .string()
    .min(1)
    .optional()
    .describe("The directory site of the client machine: what `lab run` passes as discover's --site."),
  port: port.default(389),
  scps: z
    .array(
      z.strictObject({
        server: z.string().min(1).describe('Client Access server name (the SCP CN).'),
        url: z.string().min(1).optional().describe('URL SCP: https://…/Autodiscover/Autodiscover.xml.'),
        pointer: z.string().min(1).optional().describe('Pointer SCP: LDAP://host[:port].'),
        sites: z.array(z.string().min(1)).default([]).describe('Site=<name> keywords.'),
        domains: z.array(z.string().min(1)).default([]).describe('Domain=<name> keywords.'),
        whenCreated: isoDate.describe('Clients prefer the oldest SCP.'),
      }),
    )
    .default([]),
  bind: z
    .array(z.strictObject({ dn: z.string().min(1), password: z.string() }))
    .optional()
    .describe('Accounts allowed to bind. Absent: anonymous binds read everything.'),
});

export type DirectorySpec = z.output<typeof directorySchema>;

/** The directory section as buildScpDirectory takes it. */
export function scpDirectoryOptions(directory: DirectorySpec) {
  return {
    baseDN: directory.baseDN,
    ...(directory.organization === undefined ? {} : { organization: directory.organization }),
    scps: directory.scps.map((s) => ({
      server: s.server,
      ...(s.url === undefined ? {} : { url: s.url }),
      ...(s.pointer === undefined ? {} : { pointer: s.pointer }),
      sites: s.sites,
      domains: s.domains,
      whenCreated: new Date(s.whenCreated),
    })),
  };
}
