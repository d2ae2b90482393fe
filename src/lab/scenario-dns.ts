/**
 * The DNS section of a scenario: the zones the lab's DNS server serves (A records may name a lab host as
 * `host:<id>`) and the faults it injects.
 */
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { type Zone, zoneRecordSchema } from '../dns/zone.js';
import { HOST_REFERENCE } from './scenario-hosts.js';

const [, , cnameRecord, srvRecord, mxRecord, txtRecord] = zoneRecordSchema.options;
const recordCommon = {
  name: z.string().min(1).describe('Relative to the origin unless it ends with "." or in the origin; @ is the origin.'),
  ttl: z.number().int().min(0).max(2_147_483_647).optional(),
};

const aRecord = z.strictObject({
  ...recordCommon,
  type: z.literal('A'),
  value: z
    .string()
    .refine((v) => isIPv4(v) || HOST_REFERENCE.test(v), {
      message: 'expected an IPv4 address or host:<id of a host in this scenario>',
    })
    .describe('An IPv4 address, or host:<id>: the address the lab gave that host.'),
});
const aaaaRecord = z.strictObject({
  ...recordCommon,
  type: z.literal('AAAA'),
  value: z.ipv6({ message: 'expected an IPv6 address (host:<id> is for A records: lab hosts have IPv4 addresses)' }),
});

export const recordSchema = z.discriminatedUnion('type', [
  aRecord,
  aaaaRecord,
  cnameRecord,
  srvRecord,
  mxRecord,
  txtRecord,
]);

export const dnsSchema = z.strictObject({
  zones: z
    .array(
      z.strictObject({
        origin: z.string().min(1).optional().describe('The zone apex, e.g. contoso.test.'),
        records: z.array(recordSchema).default([]),
      }),
    )
    .default([]),
  faults: z
    .array(
      z.strictObject({
        name: z.string().min(1).describe('Exact name (no wildcards).'),
        type: z
          .enum(['A', 'AAAA', 'CNAME', 'SRV', 'MX', 'TXT'])
          .optional()
          .describe('Only this type; all when absent.'),
        action: z.enum(['drop', 'servfail']).describe('drop: never answer (a timeout); servfail: answer SERVFAIL.'),
      }),
    )
    .default([]),
});

export type DnsSpec = z.output<typeof dnsSchema>;
export type RecordSpec = z.output<typeof recordSchema>;

/** Scenario zones as DNS zones, each `host:<id>` replaced by `addressOf(id)`; unknown ids are left to validation. */
export function scenarioZones(dns: DnsSpec, addressOf: (id: string) => string | undefined): Zone[] {
  return dns.zones.map((zone) => ({
    ...(zone.origin === undefined ? {} : { origin: zone.origin }),
    records: zone.records.map((r) => {
      if (r.type !== 'A') return r;
      const ref = HOST_REFERENCE.exec(r.value);
      if (ref === null) return r;
      return { ...r, value: addressOf((ref[1] ?? '').toLowerCase()) ?? '0.0.0.0' };
    }),
  }));
}
