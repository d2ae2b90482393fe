/**
 * A report's JSON, made once per report object: the audit's output (NDJSON or JSON) and the results store (the
 * kept report) both need it, for the same report, in the same turn. JSON.stringify of a report (about 5 KB) was
 * a tenth of the SQLite store's CPU per kept report. Reports are not changed once handed to the outputs
 * (run.ts adds the cross-client findings before), so the text made first is the text of the report.
 */
import type { DiscoveryReport } from '../discover/report.js';

const made = new WeakMap<DiscoveryReport, string>();

export function reportJson(report: DiscoveryReport): string {
  let json = made.get(report);
  if (json === undefined) {
    json = JSON.stringify(report);
    made.set(report, json);
  }
  return json;
}
