import { FINDINGS, RETIRED_FINDING_CODES } from '../src/diagnose/catalogue.js';
import { discoveryComparison, discoveryReport } from '../src/discover/report-schema.js';
import { ERROR_CATALOGUE, RETIRED_ERROR_CODES } from '../src/errors.js';
import { SCENARIO_SCHEMA_PATH, scenarioSchemaJson } from '../src/lab/json-schema.js';
import { deploymentSchemaJson } from '../src/plan/deployment.js';
import { openApiJson } from '../src/server/api/openapi.js';
import { publishedSchema } from '../src/settings/published-schema.js';
import { configFile } from '../src/settings/schema.js';

export function configSchemaJson(): string {
  return publishedSchema(
    configFile,
    'config.schema.json',
    'autodisco configuration',
    'Domains and users served by autodisco (autodisco import FILE, autodisco serve --config FILE).',
  );
}

export function reportSchemaJson(): string {
  return publishedSchema(
    discoveryReport,
    'discovery-report.schema.json',
    'autodisco discover --json report',
    'The public, scriptable report of `autodisco discover --json` (docs/discover-contract.md). It is stable: fields may be added freely, but none listed here is ever renamed, removed or changes meaning. Additional properties are therefore allowed everywhere. Generated from src/discover/report-schema.ts.',
    { nullableAsType: true },
  );
}

export function comparisonSchemaJson(): string {
  return publishedSchema(
    discoveryComparison,
    'discovery-comparison.schema.json',
    'autodisco discover --client all --json',
    'Every client’s report side by side (`autodisco discover <email> --client all --json`, `autodisco lab run <scenario> --client all --json`): each item of `reports` is a report of discovery-report.schema.json. Generated from src/discover/report-schema.ts.',
    { nullableAsType: true },
  );
}

export function errorsMarkdown(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from src/errors.ts by `npm run generate`. Do not edit by hand. -->',
    '',
    'Every error autodisco raises carries one of these codes (`err.code`; the CLI prints it in brackets).',
    'Match on the code, not on the message. Codes are never reused.',
    '',
    '| Code | What happened | What to do |',
    '| --- | --- | --- |',
  ];
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE))
    lines.push(`| \`${code}\` | ${entry.title} | ${entry.fix} |`);
  lines.push(
    '',
    `Retired codes: ${RETIRED_ERROR_CODES.length === 0 ? 'none yet' : RETIRED_ERROR_CODES.join(', ')}.`,
    '',
  );
  return lines.join('\n');
}

export function findingsMarkdown(): string {
  const lines = [
    '# Finding codes',
    '',
    '<!-- Generated from src/diagnose/catalogue.ts by `npm run generate`. Do not edit by hand. -->',
    '',
    'The diagnosis fills `findings` in the discovery report (`autodisco discover --json`) with these codes.',
    'Codes are stable and never reused. Text in {braces} is filled with the hosts, URLs and names of the case.',
    '',
  ];
  for (const [code, f] of Object.entries(FINDINGS)) {
    lines.push(
      `## \`${code}\``,
      '',
      `Severity: ${f.severity}. ${f.when}`,
      '',
      `> ${f.title}`,
      '>',
      `> ${f.detail}`,
      '',
      'Fixes, preferred first:',
      '',
    );
    f.fixes.forEach((fix, i) => {
      lines.push(`${i + 1}. ${fix}`);
    });
    if (f.references.length > 0) lines.push('', `References: ${f.references.join('; ')}.`);
    lines.push('');
  }
  lines.push(
    `Retired codes: ${RETIRED_FINDING_CODES.length === 0 ? 'none yet' : RETIRED_FINDING_CODES.join(', ')}.`,
    '',
  );
  return lines.join('\n');
}

export const GENERATED: Record<string, () => string> = {
  'docs/findings.md': findingsMarkdown,
  'schemas/config.schema.json': configSchemaJson,
  'docs/errors.md': errorsMarkdown,
  [SCENARIO_SCHEMA_PATH]: scenarioSchemaJson,
  'schemas/deployment.schema.json': deploymentSchemaJson,
  'schemas/discovery-report.schema.json': reportSchemaJson,
  'schemas/discovery-comparison.schema.json': comparisonSchemaJson,
  'schemas/openapi.json': openApiJson,
};
