/** The published JSON schema of lab scenarios (schemas/lab-scenario.schema.json), generated from the zod schema. */
import { publishedSchema } from '../settings/published-schema.js';
import { scenarioSchema } from './scenario.js';

export const SCENARIO_SCHEMA_PATH = 'schemas/lab-scenario.schema.json';

/** The file's exact text: `npm run generate` writes it, test/lab/schema.test.ts fails when it is stale. */
export function scenarioSchemaJson(): string {
  return publishedSchema(
    scenarioSchema,
    'lab-scenario.schema.json',
    'autodisco lab scenario',
    'An environment `autodisco lab` brings up on loopback: DNS zones, web hosts with their certificates and answers, and an Active Directory with Autodiscover SCP entries.',
  );
}
