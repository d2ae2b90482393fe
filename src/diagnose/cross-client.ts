/**
 * Findings that need more than one client's lookup of the same address: today MIXED_ANSWERS, where the autoconfig
 * answer (a Thunderbird lookup's settings) and the Autodiscover answer (an Outlook or ActiveSync lookup's) name
 * different mail servers. A single lookup stops at its first answer, so it never records both; `discover --client
 * all` (and an audit running several clients) hands the reports of one address here after each was diagnosed.
 */
import type { DiscoveryReport, ProtocolSettings } from '../discover/report.js';
import { type Draft, shownUrl, toFinding } from './finding.js';

const MAIL = ['IMAP', 'POP3', 'SMTP'] as const;
const FROM_AUTOCONFIG = new Set(['autoconfig', 'autoconfig-mx']);

function servers(protocols: readonly ProtocolSettings[], type: string): string[] {
  const found = protocols
    .filter((p) => String(p.type).toUpperCase() === type && typeof p['server'] === 'string')
    .map((p) => String(p['server']).toLowerCase().replace(/\.$/, ''));
  return [...new Set(found)].sort();
}

/** What differs between two answers, per mail protocol both name, e.g. "IMAP: a (autoconfig) vs b (Autodiscover)". */
export function differingServers(
  autoconfig: readonly ProtocolSettings[],
  autodiscover: readonly ProtocolSettings[],
): string[] {
  const out: string[] = [];
  for (const type of MAIL) {
    const a = servers(autoconfig, type);
    const b = servers(autodiscover, type);
    if (a.length === 0 || b.length === 0 || a.join() === b.join()) continue;
    out.push(`${type}: ${a.join(', ')} (autoconfig) vs ${b.join(', ')} (Autodiscover)`);
  }
  return out;
}

/** Adds MIXED_ANSWERS to the reports of one address whose autoconfig and Autodiscover answers disagree. */
export function addCrossClientFindings(reports: readonly DiscoveryReport[]): void {
  const withSettings = reports.filter((r) => r.outcome === 'settings' && r.settings !== null);
  const autoconfig = withSettings.filter((r) => FROM_AUTOCONFIG.has(r.settings?.method ?? ''));
  const autodiscover = withSettings.filter((r) => !FROM_AUTOCONFIG.has(r.settings?.method ?? ''));
  for (const a of autoconfig) {
    for (const b of autodiscover) {
      if (a.settings?.email.toLowerCase() !== b.settings?.email.toLowerCase()) continue;
      const differences = differingServers(a.settings?.protocols ?? [], b.settings?.protocols ?? []);
      if (differences.length === 0) continue;
      const vars = {
        email: a.settings?.email,
        autoconfigUrl: shownUrl(a.settings?.url),
        autodiscoverUrl: shownUrl(b.settings?.url),
        differences: differences.join('; '),
      };
      for (const report of [a, b]) {
        if (report.findings.some((f) => f.code === 'MIXED_ANSWERS')) continue;
        const index = report.steps.findLastIndex((s) => s.result === 'settings');
        const draft: Draft = { code: 'MIXED_ANSWERS', vars, steps: index >= 0 ? [index] : [] };
        report.findings.push(toFinding(draft));
      }
    }
  }
}
