/** Rules over the settings themselves and the certificates of the hosts they point to. */
import type { Draft, Rule } from '../finding.js';
import { describeNames } from './names.js';

export const serviceRules: Rule = ({ report }) => {
  const drafts: Draft[] = [];
  const settingsIndex = report.steps.findLastIndex((s) => s.result === 'settings');
  for (const check of report.serviceChecks ?? []) {
    if (check.result !== 'tls-error' || !check.tls?.certificate) continue;
    drafts.push({
      code: 'SERVICE_URL_NOT_COVERED',
      steps: settingsIndex >= 0 ? [settingsIndex] : [],
      vars: {
        service: check.service,
        url: check.url,
        host: check.host,
        names: describeNames(check.tls.certificate.dnsNames, check.tls.certificate.subject),
        problem: check.tls.error === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `, not ${check.host}` : ` (${check.detail})`,
      },
    });
  }
  // Outlook Anywhere accepts only a proxy certificate carrying the principal name it was given (Outlook only:
  // Thunderbird and phones never use it).
  if (report.client === 'thunderbird' || report.client === 'activesync') return drafts;
  const principalsSeen = new Set<string>();
  for (const p of report.settings?.protocols ?? []) {
    const principal = p['certPrincipalName'];
    if (
      (p.type !== 'EXPR' && p.type !== 'EXHTTP') ||
      typeof principal !== 'string' ||
      principal.toLowerCase() === 'none'
    )
      continue;
    const server = String(p['server'] ?? '');
    // EXPR and EXHTTP (internal and external) often repeat the same server and principal: one finding for them.
    const key = `${server.toLowerCase()} ${principal.toLowerCase()}`;
    if (principalsSeen.has(key)) continue;
    principalsSeen.add(key);
    // Service checks are one per host and port (the certificate is the same for every path), so the check of
    // this host may be filed under EWS or OAB rather than Outlook Anywhere.
    const check = report.serviceChecks?.find((c) => c.host === server.toLowerCase());
    const cert = check?.tls?.certificate;
    if (!cert) continue;
    const wanted = principal.replace(/^msstd:/i, '').toLowerCase();
    const names = [
      ...cert.dnsNames.map((n) => n.toLowerCase()),
      /CN=([^,]+)/.exec(cert.subject)?.[1]?.toLowerCase() ?? '',
    ];
    if (names.includes(wanted)) continue;
    drafts.push({
      code: 'CERT_PRINCIPAL_NAME_MISMATCH',
      steps: settingsIndex >= 0 ? [settingsIndex] : [],
      vars: {
        principal,
        principalName: principal,
        host: server,
        names: describeNames(cert.dnsNames, cert.subject),
        suggested: cert.dnsNames.find((n) => n.toLowerCase() === server.toLowerCase()) ?? cert.dnsNames[0] ?? server,
      },
    });
  }
  return drafts;
};
