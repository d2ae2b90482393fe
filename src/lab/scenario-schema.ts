/** The scenario document: its header fields and its sections, as one zod schema (also the published JSON schema). */
import { z } from 'zod';
import { emailAddress } from '../settings/schema.js';
import { directorySchema } from './scenario-directory.js';
import { dnsSchema } from './scenario-dns.js';
import { hostSchema } from './scenario-hosts.js';

const profileName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a client profile name such as outlook');

export const headerFields = {
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lower-case letters, digits and "-", e.g. website-cert-mismatch')
    .describe('Short id of the scenario.'),
  title: z
    .string()
    .min(1)
    .max(200)
    .refine((t) => !/[\r\n]/.test(t), { message: 'the title is one line (put the story in description)' }),
  description: z.string().default('').describe('The story: what is wrong, what the client meets, how to fix it.'),
  email: emailAddress.describe('The address to look up.'),
  expect: z
    .record(profileName, z.enum(['settings', 'prompt', 'failed']))
    .optional()
    .describe('Expected outcome per client profile, for regression tests.'),
};

export const scenarioSchema = z.strictObject({
  ...headerFields,
  dns: dnsSchema.default({ zones: [], faults: [] }),
  hosts: z.array(hostSchema).default([]),
  directory: directorySchema.optional(),
});

export type Scenario = z.output<typeof scenarioSchema>;
/** What a person writes (before defaults are applied). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
