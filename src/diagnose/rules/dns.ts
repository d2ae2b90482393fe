/** DNS-shaped rules: SRV ports, a domain without any Autodiscover name, plain-HTTP answers. */
import type { DiscoveryReport } from '../../discover/report.js';
import { joinList } from '../../text/join.js';
import { type Draft, indexed, type Rule, shownUrl } from '../finding.js';

export const srvPortRule: Rule = ({ report }) => {
  const drafts: Draft[] = [];
  for (const { step, index } of indexed(report)) {
    if (step.method !== 'srv' || step.url || !Array.isArray(step.records)) continue;
    for (const r of step.records as { port: number; target: string; priority: number; weight: number }[]) {
      if (r.port === 443) continue;
      drafts.push({
        code: 'SRV_PORT_IGNORED',
        steps: [index],
        vars: {
          port: r.port,
          target: r.target.replace(/\.$/, ''),
          record: `${step.host}. SRV ${r.priority} ${r.weight} ${r.port} ${r.target}`,
        },
      });
    }
  }
  return drafts;
};

export const plainHttpRule: Rule = ({ report }) =>
  indexed(report)
    .filter(({ step }) => step.method === 'http-redirect' && step.refusal === 'plain-http-answer')
    .map(({ step, index }) => ({
      code: 'SETTINGS_OVER_HTTP_IGNORED' as const,
      steps: [index],
      vars: { url: step.url, domain: step.email.slice(step.email.lastIndexOf('@') + 1) },
    }));

/** A domain (often a new primary SMTP domain) with neither autodiscover.<domain> nor an SRV record. */
export const missingNamesRule: Rule = ({ report }) => {
  const drafts: Draft[] = [];
  const steps = indexed(report);
  const rounds = new Set(steps.map(({ step }) => step.round ?? 0));
  for (const round of rounds) {
    const inRound = steps.filter(({ step }) => (step.round ?? 0) === round);
    const autodiscover = inRound.find(({ step }) => step.method === 'autodiscover-domain');
    const srv = inRound.find(({ step }) => step.method === 'srv' && !step.url);
    // The name itself is missing in DNS (not a server that failed): that is what a DNS record fixes.
    if (autodiscover?.step.result !== 'not-found' || autodiscover.step.phase !== 'dns') continue;
    if (srv?.step.result !== 'not-found') continue;
    if (inRound.some(({ step }) => step.result === 'settings')) continue;
    const email = autodiscover.step.email;
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const root = inRound.find(({ step }) => step.method === 'root-domain');
    const settingsHost = report.settings ? new URL(report.settings.url).hostname : undefined;
    // Never a made-up host: the server that gave settings, else the domain's MX, else say what to fill in.
    const target = settingsHost ?? report.evidence?.mx?.[0] ?? '<your mail server>';
    drafts.push({
      code: 'NEW_DOMAIN_WITHOUT_AUTODISCOVER',
      steps: [autodiscover.index, srv.index, ...(root ? [root.index] : [])],
      vars: {
        domain,
        email,
        target,
        rootNote:
          root && root.step.result !== 'settings' ? `, and https://${domain} does not answer Autodiscover either` : '',
      },
    });
  }
  return drafts;
};

export const noEndpointRule: Rule = ({ report }) => {
  if (report.outcome !== 'failed') return [];
  // A candidate DNS could not be asked about may exist: "publish it" would be advice from evidence not obtained.
  if (report.steps.some((s) => s.result === 'dns-error')) return [];
  // A server that answered like Autodiscover (settings, an error, a redirect, a 401 challenge) exists: the
  // problem is elsewhere and other findings say where.
  const reached = report.steps.some(
    (s) =>
      ['settings', 'error-response', 'redirect-addr', 'redirect-url'].includes(s.result) ||
      (s.status === 401 && s.method !== 'http-redirect') ||
      s.refusal === 'redirect-loop' ||
      s.refusal === 'redirect-limit',
  );
  if (reached) return [];
  const domain = report.email.slice(report.email.lastIndexOf('@') + 1);
  // One entry per method and result, naming its URLs (or names): four "autoconfig not-found" say nothing alone.
  const groups = new Map<string, string[]>();
  for (const s of report.steps) {
    if (s.result === 'skipped') continue;
    const key = `${s.method} ${s.result}`;
    // Without the query: autoconfig URLs carry the e-mail address, which findings do not repeat.
    const where = shownUrl(s.url) ?? s.host;
    const list = groups.get(key) ?? [];
    if (where && !list.includes(where)) list.push(where);
    groups.set(key, list);
  }
  const summary = [...groups].map(([key, where]) => (where.length ? `${key} (${where.join(', ')})` : key)).join('; ');
  return [
    {
      code: 'NO_AUTODISCOVER_ENDPOINT',
      steps: report.steps.map((_, i) => i),
      vars: {
        domain,
        summary: summary || 'nothing was tried',
        autodiscoverFix: autodiscoverFix(report, domain),
        // Advice the client at hand would not follow is noise: an ActiveSync device never asks SRV.
        srvFix: report.steps.some((s) => s.method === 'srv')
          ? `Publish _autodiscover._tcp.${domain} SRV pointing at a host with a valid certificate.`
          : '',
        autoconfigFix: report.steps.some((s) => s.method === 'autoconfig')
          ? `Publish https://autoconfig.${domain}/mail/config-v1.1.xml (an autoconfig file; \`autodisco serve\` answers it) with a certificate naming autoconfig.${domain}.`
          : '',
      },
    },
  ];
};

/**
 * The advice for autodiscover.<domain> follows what its step saw: a name DNS says does not exist is to be
 * published; a name that resolves is there already and needs a server that answers it.
 */
function autodiscoverFix(report: DiscoveryReport, domain: string): string {
  const host = `autodiscover.${domain}`;
  const step = report.steps.find((s) => s.method === 'autodiscover-domain' && s.host.toLowerCase() === host);
  const cert = `with a certificate naming ${host}`;
  if (!step || step.result === 'skipped' || (step.result === 'not-found' && step.addresses.length === 0))
    return `Publish ${host} (an A, AAAA or CNAME record) pointing at the Autodiscover server, ${cert}.`;
  const at = `${host} resolves (${step.addresses.join(', ') || 'to an address'})`;
  if (step.result === 'connect-failed' || step.result === 'timeout')
    return `${at} but does not answer HTTPS: make the server there answer HTTPS on port 443 ${cert} (or point ${host} at the Autodiscover server).`;
  if (step.result === 'tls-error')
    return `${at} and answers HTTPS with a certificate the client refuses: give that server a certificate naming ${host} (the certificate findings say what is wrong with this one).`;
  return `${at} and answers HTTPS, but not with Autodiscover: serve Autodiscover at ${step.url ?? `https://${host}/autodiscover/autodiscover.xml`} ${cert}.`;
}

/** Names DNS could not be asked about: said once, with the first reason, and no record proposed from them. */
export const dnsUnavailableRule: Rule = ({ report }) => {
  const failed = indexed(report).filter(({ step }) => step.result === 'dns-error');
  const first = failed[0]?.step;
  if (!first) return [];
  const names = [...new Set(failed.map(({ step }) => step.host))];
  const servers = /asked ([^)]+)\)/.exec(first.detail)?.[1] ?? 'the system resolver or the --dns servers';
  return [
    {
      code: 'DNS_UNAVAILABLE',
      steps: failed.map(({ index }) => index),
      // Settings were found all the same: the failed lookups only hide what other candidates would have said.
      ...(report.outcome === 'settings' ? { severity: 'warning' as const } : {}),
      vars: {
        names: joinList(names),
        reason: first.detail.replace(/^.*?whether it exists is unknown: /, '').replace(/\.$/, ''),
        servers,
        domain: report.email.slice(report.email.lastIndexOf('@') + 1),
      },
    },
  ];
};
