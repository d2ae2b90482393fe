/**
 * Certificate rules: each refused certificate gets one finding, the most specific that fits (root domain trap,
 * SCP name, wildcard limits, another site's default certificate, then the plain name/trust/date findings).
 */
import { getDomain } from 'tldts';
import type { DiscoveryReport, Step } from '../../discover/report.js';
import { certVars, type Draft, indexed, type Rule } from '../finding.js';

const NAME = 'ERR_TLS_CERT_ALTNAME_INVALID';
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

function registrable(host: string): string {
  return getDomain(host.replace(/^\*\./, 'x.')) ?? host;
}

/** Why a wildcard in the certificate does not cover `host`, or undefined when no wildcard relates to it. */
function wildcardMiss(
  host: string,
  dnsNames: readonly string[],
): { wildcard: string; base: string; why: string } | undefined {
  for (const name of dnsNames) {
    if (!name.startsWith('*.')) continue;
    const base = name.slice(2).toLowerCase();
    const h = host.toLowerCase();
    if (h === base) return { wildcard: name, base, why: 'the bare domain is not a name under itself' };
    if (h.endsWith(`.${base}`)) return { wildcard: name, base, why: `${h} is more than one level below ${base}` };
  }
  for (const name of dnsNames) {
    if (!name.startsWith('*.')) continue;
    const base = name.slice(2).toLowerCase();
    if (registrable(base) === registrable(host)) continue;
    if (host.split('.').slice(1).join('.') !== base)
      return { wildcard: name, base, why: `${host} is not under ${base}` };
  }
  return undefined;
}

function otherOrganisation(host: string, dnsNames: readonly string[]): string[] | undefined {
  if (dnsNames.length === 0) return undefined;
  const own = registrable(host);
  const theirs = [...new Set(dnsNames.map(registrable))];
  return theirs.includes(own) ? undefined : theirs;
}

/** The DN of the SCP entry that published `url`, from the directory search steps. */
function scpDn(report: DiscoveryReport, url: string | undefined): string | undefined {
  for (const s of report.steps) {
    if (s.method !== 'scp' || s.url || !Array.isArray(s.records)) continue;
    for (const r of s.records as { dn?: string; url?: string }[]) {
      if (r.url && url && r.url.toLowerCase() === url.toLowerCase()) return r.dn;
    }
  }
  return undefined;
}

function nameFinding(report: DiscoveryReport, step: Step, index: number, promptNote: string): Draft {
  const vars: Record<string, string | undefined> = { ...certVars(step), promptNote };
  const dnsNames = step.tls?.certificate?.dnsNames ?? [];
  if (step.method === 'scp' && step.url) {
    const netbios = !step.host.includes('.');
    return {
      code: 'SCP_URL_NOT_ON_CERTIFICATE',
      steps: [index],
      vars: {
        ...vars,
        dn: scpDn(report, step.url) ?? 'found in the directory',
        server: netbios ? step.host.toUpperCase() : (step.host.split('.')[0] ?? step.host).toUpperCase(),
        suggested: dnsNames.find((n) => !n.startsWith('*')) ?? `autodiscover.${vars['domain']}`,
        netbiosNote: netbios ? ` (a NetBIOS name: Exchange's default AutoDiscoverServiceInternalUri)` : '',
      },
    };
  }
  // Another organisation's certificate (a shared host's default, often its wildcard) first: its fixes are about
  // DNS and hosting, not about a certificate the user cannot reissue.
  const others = otherOrganisation(step.host, dnsNames);
  if (others) {
    return { code: 'SNI_DEFAULT_CERTIFICATE', steps: [index], vars: { ...vars, otherDomains: others.join(', ') } };
  }
  const wildcard = wildcardMiss(step.host, dnsNames);
  if (wildcard) {
    return {
      code: 'CERT_WILDCARD_MISMATCH',
      steps: [index],
      vars: { ...vars, wildcard: wildcard.wildcard, wildcardBase: wildcard.base, why: wildcard.why },
    };
  }
  return { code: 'CERT_NAME_MISMATCH', steps: [index], vars };
}

export const certificateRules: Rule = ({ report }) => {
  const drafts: Draft[] = [];
  const seen = new Set<string>();
  for (const { step, index } of indexed(report)) {
    const error = step.tls?.error;
    if (!error || !step.tls?.certificate) continue;
    // One finding per served certificate and problem, pointing at every step (and naming every host) that met it.
    const key = `${step.tls.certificate.sha256} ${error}`;
    if (seen.has(key)) {
      const existing = drafts.find((d) => d.vars['key'] === key);
      if (existing) {
        existing.steps.push(index);
        const hosts = String(existing.vars['host']).split(' and ');
        if (!hosts.includes(step.host)) existing.vars['host'] = [...hosts, step.host].join(' and ');
      }
      continue;
    }
    seen.add(key);
    const promptNote =
      step.result !== 'prompt'
        ? ''
        : step.parallel
          ? ' (the client shows a security warning)'
          : ' (the client stops and shows a security warning)';
    let draft: Draft | undefined;
    // A root-domain step run beside SCP is explained by ROOT_DOMAIN_PROMPT_BESIDE_SCP (rules/parallel.ts).
    if (step.method === 'root-domain' && step.parallel === undefined) {
      draft = rootDomainFinding(report.client, step, index);
    } else if (error === NAME) {
      draft = nameFinding(report, step, index, promptNote);
    } else if (error === 'CERT_HAS_EXPIRED') {
      draft = { code: 'CERT_EXPIRED', steps: [index], vars: certVars(step) };
    } else if (error === 'CERT_NOT_YET_VALID') {
      draft = { code: 'CERT_NOT_YET_VALID', steps: [index], vars: certVars(step) };
    } else if (error === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || step.tls.chainVerdict === 'incomplete') {
      draft = {
        code: 'CERT_CHAIN_INCOMPLETE',
        steps: [index],
        vars: {
          ...certVars(step),
          missingIssuer: step.tls.chain.length > 0 ? `(issuer ${step.tls.certificate.issuer})` : '',
        },
      };
    } else if (
      UNTRUSTED.has(error) ||
      step.tls.chainVerdict === 'untrusted-root' ||
      step.tls.chainVerdict === 'self-signed'
    ) {
      const chainProblem = step.tls.certificate.selfSigned
        ? 'is self-signed: it vouches for itself, and no client trusts that'
        : `was issued by ${step.tls.certificate.issuer}, which leads to a root this client does not trust`;
      draft = { code: 'CERT_UNTRUSTED', steps: [index], vars: { ...certVars(step), chainProblem } };
    }
    if (draft) {
      draft.vars['error'] = error;
      draft.vars['key'] = key;
      // The client skipped this server silently and found settings elsewhere: still worth fixing (other clients
      // stop there), but not what failed this lookup.
      if (step.result === 'tls-error' && report.outcome === 'settings' && draft.severity === undefined)
        draft.severity = 'warning';
      drafts.push(draft);
    }
  }
  return drafts;
};

function rootDomainFinding(client: string, step: Step, index: number): Draft {
  const vars = certVars(step);
  const website = step.tls?.certificate?.dnsNames.some((n) => n.toLowerCase() === `www.${step.host}`);
  const stops = step.result === 'prompt';
  return {
    code: 'ROOT_DOMAIN_BLOCKS_FALLBACK',
    steps: [index],
    // Outlook 2016 and later skip the root domain's certificate errors silently: a warning for them, not a failure.
    ...(stops ? {} : { severity: 'warning' as const }),
    vars: {
      ...vars,
      websiteNote: website ? ` (it is the public website's certificate, for www.${step.host} only)` : '',
      clientEffect: stops
        ? `Outlook 2007 to 2013 show "The name on the security certificate is invalid or does not match the name of the site" and the lookup stops there: autodiscover.${step.host} is never tried.`
        : `This client (${client}) moves on silently, as Outlook 2016 and later do; Outlook 2007 to 2013 stop here with a certificate warning and never reach autodiscover.${step.host}.`,
    },
  };
}

/** Certificates that work today but expire within 30 days. */
export const expiryRule: Rule = ({ report, now }) => {
  const drafts: Draft[] = [];
  const seen = new Set<string>();
  const soon = now.getTime() + 30 * 86_400_000;
  const consider = (
    host: string,
    url: string | undefined,
    step: Step | undefined,
    notAfter: string,
    names: string,
    index: number | undefined,
    sha256: string,
  ) => {
    const end = Date.parse(notAfter);
    // One finding per certificate, however many hosts serve it.
    if (!(end > now.getTime() && end <= soon) || seen.has(sha256)) return;
    seen.add(sha256);
    drafts.push({
      code: 'CERT_EXPIRING_SOON',
      steps: index === undefined ? [] : [index],
      vars: {
        ...(step ? certVars(step) : {}),
        host,
        url,
        names,
        notAfter: notAfter.slice(0, 10),
        days: Math.ceil((end - now.getTime()) / 86_400_000),
      },
    });
  };
  for (const { step, index } of indexed(report)) {
    const c = step.tls?.certificate;
    if (c && !step.tls?.error) consider(step.host, step.url, step, c.notAfter, c.dnsNames.join(', '), index, c.sha256);
  }
  for (const check of report.serviceChecks ?? []) {
    const c = check.tls?.certificate;
    if (c && !check.tls?.error)
      consider(check.host, check.url, undefined, c.notAfter, c.dnsNames.join(', '), undefined, c.sha256);
  }
  return drafts;
};
