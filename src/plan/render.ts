/** How a plan (and a --check report) reads on a terminal. `--json` prints the objects themselves. */
import type { CheckReport } from './check.js';
import type { DnsRecordPlan, Plan } from './plan.js';
import { unique } from './roles.js';

function pad(text: string, width: number): string {
  return text.length >= width ? `${text}  ` : text.padEnd(width + 2);
}

function table(rows: readonly [string, string][], indent = '  '): string[] {
  const width = Math.max(0, ...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${pad(a, width)}${b}`.trimEnd());
}

export function renderPlan(plan: Plan): string {
  const out: string[] = [];
  out.push('DNS records (zone-file snippet)');
  out.push(plan.zoneSnippet === '' ? '  none' : plan.zoneSnippet.trimEnd());

  out.push('', 'SRV alternative (per domain, instead of autodiscover.<domain> on the certificate)');
  if (plan.srvAlternative.length === 0) out.push('  none');
  for (const s of plan.srvAlternative) out.push(s.record, `  ; ${s.caveat}`);

  out.push('', 'SCP entries (configuration naming context; one per Client Access server)');
  if (plan.scpEntries.length === 0) out.push('  none (no Client Access servers in the input)');
  for (const e of plan.scpEntries) {
    out.push(`  ${e.server} (site ${e.site}${e.whenCreated === null ? '' : `, created ${e.whenCreated}`})`);
    out.push(`    dn: ${e.dn}`);
    out.push(
      `    serviceBindingInformation: ${e.url}${e.urlIsDefault ? '   (Exchange default: the NetBIOS name)' : ''}`,
    );
    out.push(`    keywords: ${e.keywords.join(', ')}`);
    out.push(`    ${e.urlIsDefault ? 'fix with' : 'set with'}: ${e.command}`);
  }

  const main = plan.certificateNames.filter((n) => n.group === plan.mainGroup);
  const others = plan.certificateNames.filter((n) => n.group !== plan.mainGroup);
  out.push('', 'Certificate names');
  const mark = (n: { publicCaWillIssue: boolean }) => (n.publicCaWillIssue ? '' : '[no public CA] ');
  out.push(...table(main.map((n) => [n.name, `${mark(n)}${n.why}`])));
  if (others.length > 0) {
    out.push('', 'Names other servers present (each on its own certificate)');
    out.push(...table(others.map((n) => [n.port === null ? n.name : `${n.name}:${n.port}`, `${mark(n)}${n.why}`])));
  }
  if (plan.notNeeded.length > 0) {
    out.push('', 'Not needed on the certificate');
    out.push(...table(plan.notNeeded.map((n) => [n.name, n.why])));
  }

  out.push('', 'Wildcard');
  const w = plan.wildcard;
  if (w.wildcard !== undefined) {
    out.push(`  ${w.wildcard}: ${w.possible ? 'one wildcard certificate could serve' : 'not enough on its own'}`);
    if (w.covers.length > 0) out.push(`  covers: ${w.covers.join(', ')}`);
    if (w.notCovered.length > 0) {
      out.push('  not covered:');
      out.push(
        ...table(
          w.notCovered.map((n) => [n.name, n.why]),
          '    ',
        ),
      );
    }
  }
  out.push(`  ${w.note}`);

  out.push('', 'Warnings');
  if (plan.warnings.length === 0) out.push('  none');
  for (const warning of plan.warnings) out.push(`  - ${warning}`);
  return `${out.join('\n')}\n`;
}

export function renderCheck(report: CheckReport): string {
  const out: string[] = ['Certificate check'];
  for (const h of report.hosts) {
    out.push(`  ${h.name}:${h.port}  ${h.ok ? 'ok' : 'PROBLEM'}`);
    if (h.addresses.length > 0) out.push(`    addresses: ${h.addresses.join(', ')}`);
    if (h.certificate !== null) {
      out.push(`    certificate: ${h.certificate.subject}; names: ${h.certificate.dnsNames.join(', ') || '(none)'}`);
    }
    if (h.lacks.length > 0) out.push(`    lacks: ${h.lacks.join(', ')}`);
    for (const e of h.errors) out.push(`    error: ${e}`);
  }
  for (const s of report.skipped) out.push(`  ${s.name}  skipped: ${s.why}`);
  if (report.rootDomains.length > 0) {
    out.push(
      '',
      'Root domains (Outlook tries https://<domain>/autodiscover/autodiscover.xml before autodiscover.<domain>)',
    );
    for (const r of report.rootDomains) {
      out.push(`  ${r.domain}:443  ${r.ok ? 'ok' : 'PROBLEM'}`);
      out.push(`    ${r.detail}`);
      r.fixes.forEach((fix, i) => {
        out.push(`    ${i === 0 ? 'Fix:' : 'Or: '} ${fix}`);
      });
    }
  }
  const hostProblems = report.hosts.filter((h) => !h.ok).length;
  const rootProblems = report.rootDomains.filter((r) => !r.ok && r.verdict !== 'hangs').length;
  const rootHangs = report.rootDomains.filter((r) => r.verdict === 'hangs').length;
  out.push(
    report.ok
      ? `Every host answered with a certificate carrying its required names${report.rootDomains.length > 0 ? ', and no root domain stops Outlook' : ''}.`
      : [
          hostProblems > 0 ? `${hostProblems} of ${report.hosts.length} host(s) have problems.` : '',
          rootProblems > 0
            ? `${rootProblems} of ${report.rootDomains.length} root domain(s) stop Outlook 2007-2013.`
            : '',
          rootHangs > 0
            ? `${rootHangs} of ${report.rootDomains.length} root domain(s) never answer, so every Outlook waits there.`
            : '',
        ]
          .filter(Boolean)
          .join(' '),
  );
  return `${out.join('\n')}\n`;
}

/** BIND zone-file text: one block per view and zone, a comment above each record saying why. */
export function renderZoneSnippet(records: readonly DnsRecordPlan[]): string {
  const lines: string[] = [];
  for (const view of ['external', 'internal'] as const) {
    const inView = records.filter((r) => r.view === view);
    if (inView.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(
      view === 'external'
        ? '; ===== external view (public DNS) ====='
        : '; ===== internal view (DNS inside the network) =====',
    );
    for (const zone of unique(inView.map((r) => r.zone))) {
      lines.push(`; --- zone ${zone} ---`);
      for (const r of inView.filter((x) => x.zone === zone)) {
        lines.push(`; ${r.why}`);
        const value = r.type === 'CNAME' ? `${r.value}.` : r.value;
        const text = `${r.name}. ${r.ttl} IN ${r.type} ${value}`;
        lines.push(r.placeholder ? `; ${text}   <- address unknown: fill it in` : text);
      }
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
