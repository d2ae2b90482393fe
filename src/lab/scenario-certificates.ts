/**
 * The TLS side of a lab host, described by intent: which names its certificates carry, who issued them, whether the
 * intermediate is sent, their validity and key type (src/lab/certificates.ts turns the intent into certificates),
 * and the ports it listens on.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

export const port = z.number().int().min(1).max(65535);

/** A certificate name: a DNS name (wildcards such as `*.contoso.test` allowed) or an IP address (an IP SAN). */
const certificateName = z
  .string()
  .min(1)
  .refine((v) => !/\s/.test(v), { message: 'a certificate name contains no spaces' });

/** A name a client may send in SNI; `*.contoso.test` matches exactly one label below contoso.test. */
const sniName = z
  .string()
  .min(1)
  .refine((v) => !/\s/.test(v) && isIP(v) === 0, { message: 'expected a DNS name (SNI carries no IP addresses)' });

export const certificateSchema = z
  .strictObject({
    names: z
      .array(certificateName)
      .default([])
      .describe(
        'Subject alternative names: DNS names (wildcards allowed) and IP addresses. Empty: a CN-only certificate.',
      ),
    commonName: z.string().min(1).optional().describe('Subject CN. Default: the first name.'),
    issuer: z
      .enum(['lab', 'untrusted', 'self-signed'])
      .default('lab')
      .describe('lab: the root clients are given (caFile); untrusted: a root no client trusts; self-signed.'),
    via: z
      .enum(['root', 'intermediate'])
      .default('intermediate')
      .describe('Issued by the root itself or by the intermediate under it (ignored when self-signed).'),
    sendIntermediate: z
      .boolean()
      .default(true)
      .describe('false: the server sends the leaf alone (the "missing intermediate" misconfiguration).'),
    validity: z
      .enum(['valid', 'expired', 'not-yet-valid', 'expiring'])
      .default('valid')
      .describe('expiring: valid now, expires in 7 days.'),
    keyType: z.enum(['ecdsa', 'rsa']).default('ecdsa'),
  })
  .refine((c) => c.names.length > 0 || c.commonName !== undefined, {
    message: 'give names (or at least a commonName, for a certificate without subject alternative names)',
    path: ['names'],
  });

export const httpsSchema = z.strictObject({
  port: port.default(443),
  certificate: certificateSchema.describe('The default certificate: sent when no sni entry matches the client SNI.'),
  sni: z
    .array(
      z.strictObject({
        names: z
          .array(sniName)
          .min(1)
          .optional()
          .describe("SNI names that select this certificate. Default: the certificate's DNS names."),
        certificate: certificateSchema,
      }),
    )
    .default([])
    .describe('Further certificates chosen by the name the client sends in SNI (virtual hosting).'),
});

export const httpSchema = z.strictObject({ port: port.default(80) });

export type CertificateSpec = z.output<typeof certificateSchema>;
