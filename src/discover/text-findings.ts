/**
 * The findings in the readable output, for one report and for `--client all`. A consequence finding
 * (ROOT_DOMAIN_BLOCKS_FALLBACK, SNI_DEFAULT_CERTIFICATE…) shows the certificate facts it names in `because` as one
 * line each under it, so the reader is not told the same thing twice; facts nobody explains stand on their own.
 */
import type { DiscoveryReport, Finding, ProfileName } from './report.js';

export interface Folded {
  finding: Finding;
  /** The facts this finding explains (from `because`), shown as one line each under it. */
  facts: Finding[];
}

/** The findings to show, each with the facts folded under it, in the report's order. */
export function foldFindings(findings: readonly Finding[]): Folded[] {
  const explained = new Set(findings.flatMap((f) => f.because ?? []));
  return findings.flatMap((finding, i) =>
    explained.has(i)
      ? []
      : [{ finding, facts: (finding.because ?? []).flatMap((j) => (findings[j] ? [findings[j]] : [])) }],
  );
}

function factLines(facts: readonly Finding[]): string[] {
  return facts.map((f) => `    Certificate fact ${f.code}: ${f.title}.`);
}

function fixLines(fixes: readonly string[]): string[] {
  return fixes.map((fix, n) => `    ${n === 0 ? 'Fix:' : 'Or: '} ${fix}`);
}

/** The "Findings:" block of one report (empty when there is none). */
export function renderFindings(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [];
  const lines = ['', 'Findings:'];
  for (const { finding: f, facts } of foldFindings(findings)) {
    lines.push(`  ${f.severity.toUpperCase()} ${f.code}: ${f.title}`, `    ${f.detail}`);
    lines.push(...factLines(facts), ...fixLines(f.fixes));
  }
  return lines;
}

const RANK = { error: 0, warning: 1, info: 2 } as const;

interface Variant {
  clients: ProfileName[];
  entry: Folded;
}

/**
 * `--client all`: a finding seen by several clients is shown once only where it means the same for them (same
 * severity, words and facts); where the same problem does different things to different clients (the root domain
 * stops Outlook 2013 and is passed by Outlook 2016), its title and fixes are shown once, and what happens is said
 * per client.
 */
export function renderComparedFindings(reports: readonly DiscoveryReport[]): string[] {
  const groups = new Map<string, Variant[]>();
  for (const report of reports) {
    for (const entry of foldFindings(report.findings)) {
      const f = entry.finding;
      const groupKey = JSON.stringify([f.code, f.title, f.fixes]);
      const variants = groups.get(groupKey) ?? [];
      groups.set(groupKey, variants);
      const meaning = JSON.stringify([f.severity, f.detail, entry.facts.map((x) => [x.code, x.title])]);
      const same = variants.find(
        (v) =>
          JSON.stringify([
            v.entry.finding.severity,
            v.entry.finding.detail,
            v.entry.facts.map((x) => [x.code, x.title]),
          ]) === meaning,
      );
      if (same) {
        if (!same.clients.includes(report.client)) same.clients.push(report.client);
      } else variants.push({ clients: [report.client], entry });
    }
  }
  if (groups.size === 0) return [];
  const worst = (variants: Variant[]) => Math.min(...variants.map((v) => RANK[v.entry.finding.severity]));
  const lines = ['Findings:'];
  for (const variants of [...groups.values()].sort((a, b) => worst(a) - worst(b))) {
    const first = variants[0] as Variant;
    const f = first.entry.finding;
    if (variants.length === 1) {
      lines.push(
        `  ${f.severity.toUpperCase()} ${f.code}: ${f.title} [${first.clients.join(', ')}]`,
        `    ${f.detail}`,
      );
      lines.push(...factLines(first.entry.facts));
    } else {
      // What the clients share is said once; then what happens, per client.
      const ordered = [...variants].sort((a, b) => RANK[a.entry.finding.severity] - RANK[b.entry.finding.severity]);
      const split = ordered.map((v) => sentences(v.entry.finding.detail));
      const shared = commonPrefix(split);
      // The same facts behind every variant (the usual case: one certificate) are said once too.
      const facts = ordered.map((v) => factLines(v.entry.facts).join('\n'));
      const sameFacts = facts.every((x) => x === facts[0]);
      lines.push(`  ${f.code}: ${f.title}`);
      if (shared > 0) lines.push(`    ${(split[0] ?? []).slice(0, shared).join(' ')}`);
      if (sameFacts) lines.push(...factLines(first.entry.facts));
      // A sentence an earlier variant already said (whom the root domain stops, say) is not said again.
      const said = new Set((split[0] ?? []).slice(0, shared));
      ordered.forEach((v, i) => {
        const mine = (split[i] ?? []).slice(shared).filter((x) => !said.has(x));
        for (const x of mine) said.add(x);
        const own = mine.join(' ');
        lines.push(`    ${v.entry.finding.severity.toUpperCase()} for ${v.clients.join(', ')}: ${own}`.trimEnd());
        if (!sameFacts) lines.push(...factLines(v.entry.facts));
      });
    }
    lines.push(...fixLines(f.fixes));
  }
  return lines;
}

/** Sentences of a finding's detail (a full stop, then a space and a capital or a quote). */
function sentences(text: string): string[] {
  return text.split(/(?<=\.)\s+(?=[A-Z"“])/);
}

/** How many leading sentences every list shares (fewer than the shortest list, so each keeps its own words). */
function commonPrefix(lists: readonly string[][]): number {
  const shortest = Math.min(...lists.map((l) => l.length));
  let n = 0;
  while (n < shortest - 1 && lists.every((l) => l[n] === lists[0]?.[n])) n++;
  return n;
}
