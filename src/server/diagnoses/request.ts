/** What a diagnosis is asked for, in the API (the `discover` options that make sense from a browser). */
import { z } from 'zod';
import { PROFILE_NAMES } from '../../discover/profiles.js';
import type { ProfileName } from '../../discover/report.js';
import { SITE_EXPECTED, SITE_NAME } from '../../discover/site.js';

export const EXCLUDABLE = ['scp', 'root-domain', 'autodiscover-domain', 'http-redirect', 'srv'] as const;

export const diagnosisRequest = z
  .strictObject({
    email: z.string().min(3).max(320).describe('the address to look up'),
    client: z.enum([...(PROFILE_NAMES as [ProfileName, ...ProfileName[]]), 'all']).default('all'),
    accept: z
      .array(z.enum(['redirect', 'certificate']))
      .default([])
      .describe('answer prompts in advance, as --accept'),
    exclude: z.array(z.enum(EXCLUDABLE)).default([]).describe('steps to skip, as --exclude'),
    site: z
      .string()
      .regex(SITE_NAME, { message: SITE_EXPECTED })
      .optional()
      .describe(
        "the client's directory site, as discover --site: Outlook prefers the SCPs of this site (needs a server started with --diagnose-ldap)",
      ),
    user: z.string().min(1).max(256).optional().describe('user name for the POST (sent once, never stored or logged)'),
    password: z.string().min(1).max(1024).optional().describe('password (sent once, never stored or logged)'),
  })
  .refine((r) => (r.user === undefined) === (r.password === undefined), {
    message: 'give user and password together',
    path: ['password'],
  });

export type DiagnosisRequest = z.infer<typeof diagnosisRequest>;

/** What is kept of a request: never the credentials, only whether there were any. */
export function storableRequest(r: DiagnosisRequest) {
  return {
    email: r.email,
    client: r.client,
    accept: r.accept,
    exclude: r.exclude,
    ...(r.site ? { site: r.site } : {}),
    credentials: r.user !== undefined,
  };
}
