import type { DiscoveryReport, Finding, Step } from '../discover/report.js';
import { FINDINGS, type FindingCode, fillTemplate, type Severity } from './catalogue.js';
import { describeNames } from './rules/names.js';

/** What a rule found: a code, the words to fill its templates, and the steps that are the evidence. */
export interface Draft {
  code: FindingCode;
  vars: Record<string, string | number | undefined>;
  steps: number[];
  /** Lower than the catalogue's when this client gets past the problem (e.g. Outlook 2016 at the root domain). */
  severity?: Severity;
  /** Identifies the finding within one report, so that another can name it in `because`. */
  key?: string;
  /** Keys of the certificate facts this finding explains the consequence of (see Finding.because). */
  because?: string[];
}

export interface RuleContext {
  report: DiscoveryReport;
  now: Date;
}

export type Rule = (ctx: RuleContext) => Draft[];

/** The finding without `because`: that needs the final order of all findings (see diagnose()). */
export function toFinding(draft: Draft): Finding {
  const entry = FINDINGS[draft.code];
  return {
    code: draft.code,
    severity: draft.severity ?? entry.severity,
    title: fillTemplate(entry.title, draft.vars),
    detail: fillTemplate(entry.detail, draft.vars),
    fixes: entry.fixes.map((f) => fillTemplate(f, draft.vars)).filter((f) => f.trim() !== ''),
    steps: draft.steps,
  };
}

/** Steps with their index in the report, so findings can point at them. */
export function indexed(report: DiscoveryReport): { step: Step; index: number }[] {
  return report.steps.map((step, index) => ({ step, index }));
}

export function names(step: Step): string {
  const c = step.tls?.certificate;
  if (!c) return 'an unknown name';
  return describeNames(c.dnsNames, c.subject);
}

/** A step's URL for a finding's sentences: without the query, where autoconfig URLs carry the e-mail address. */
export function shownUrl(url: string | undefined): string | undefined {
  return url?.split('?')[0];
}

export function certVars(step: Step): Record<string, string | undefined> {
  const c = step.tls?.certificate;
  return {
    url: shownUrl(step.url),
    host: step.host,
    addresses: step.addresses.join(', ') || 'no address',
    names: names(step),
    issuer: c?.issuer,
    notAfter: c?.notAfter.slice(0, 10),
    notBefore: c?.notBefore.slice(0, 10),
    email: step.email,
    domain: step.email.slice(step.email.lastIndexOf('@') + 1),
  };
}
