/**
 * Validates a discovery report against schemas/discovery-report.schema.json (the published contract), for
 * tests. ajv is CommonJS: under `module: nodenext` a default import is its `module.exports`, whose type is the
 * module namespace, so the class is `.default` (which ajv also sets at run time).
 */
import { AssertionError } from 'node:assert';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';

export const REPORT_SCHEMA_PATH = new URL('../../schemas/discovery-report.schema.json', import.meta.url);

export const reportSchema: Record<string, unknown> = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8'));

// Strict about the schema itself (an unknown keyword is a typo), not about ajv's own type lint: nullable
// objects share their definition through `$ref` next to `type: ["object", "null"]`, which is plain 2020-12.
// `format` is an annotation here: ajv-formats is not a dependency, and the schema checks dates with a pattern.
const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictTypes: false, validateFormats: false });
const validate = ajv.compile(reportSchema);

export interface ReportSchemaError {
  /** JSON Pointer into the report ("" for the root). */
  path: string;
  message: string;
  /** The schema keyword that failed (required, enum, pattern, type, …). */
  keyword: string;
  /** For `required`: the property that is missing. */
  missingProperty?: string;
}

/** Every schema violation of `report`; empty when it is valid. */
export function reportSchemaErrors(report: unknown): ReportSchemaError[] {
  if (validate(report)) return [];
  return (validate.errors ?? []).map((e) => {
    const error: ReportSchemaError = {
      path: e.instancePath,
      keyword: e.keyword,
      message: e.keyword === 'enum' ? `${e.message}: ${JSON.stringify(e.params['allowedValues'])}` : (e.message ?? ''),
    };
    const missing = e.params['missingProperty'];
    if (e.keyword === 'required' && typeof missing === 'string') error.missingProperty = missing;
    return error;
  });
}

/** Throws an AssertionError listing every violation, one per line, each with its instance path. */
export function assertValidReport(report: unknown): void {
  const errors = reportSchemaErrors(report);
  if (errors.length === 0) return;
  const lines = errors.map((e) => `  ${e.path === '' ? '(root)' : e.path}: ${e.message}`);
  throw new AssertionError({
    message: `the report does not match ${REPORT_SCHEMA_PATH.pathname.split('/').pop()}:\n${lines.join('\n')}`,
    actual: errors,
    expected: [],
    operator: 'assertValidReport',
  });
}
