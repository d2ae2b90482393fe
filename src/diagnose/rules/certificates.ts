/**
 * Certificate rules: each fact about a refused certificate gets its contract code (name, trust, chain, dates: see
 * docs/discover-contract.md), and a consequence finding (the root-domain trap, an SCP URL, another site's default
 * certificate, a wildcard's limits) says what a fact means where it was met, naming the facts in `because`.
 */
import { getDomain } from 'tldts';
import { PROFILES } from '../../discover/profiles.js';
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

/**
 * The facts about one served certificate, each a contract code (docs/discover-contract.md, "Findings"): several
 * may hold at once (a self-signed certificate for ex01 asked for as autodiscover.<domain> is both untrusted and
 * misnamed, and trusting it leaves the name wrong). Only for certificates the client refused (`tls.error`).
 */
export function certificateFacts(step: Step, now: Date): FactCode[] {
  const tls = step.tls;
  const cert = tls?.certificate;
  if (!tls?.error || !cert) return [];
  const facts: FactCode[] = [];
  if (tls.error === NAME || tls.names?.node === false) facts.push('CERT_NAME_MISMATCH');
  if (
    UNTRUSTED.has(tls.error) ||
    tls.chainVerdict === 'untrusted-root' ||
    tls.chainVerdict === 'self-signed' ||
    (tls.chainVerdict === undefined && cert.selfSigned)
  )
    facts.push('CERT_UNTRUSTED');
  else if (tls.error === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || tls.chainVerdict === 'incomplete')
    facts.push('CERT_CHAIN_INCOMPLETE');
  if (tls.error === 'CERT_HAS_EXPIRED' || Date.parse(cert.notAfter) < now.getTime()) facts.push('CERT_EXPIRED');
  if (tls.error === 'CERT_NOT_YET_VALID' || Date.parse(cert.notBefore) > now.getTime())
    facts.push('CERT_NOT_YET_VALID');
  return facts;
}

export type FactCode =
  | 'CERT_NAME_MISMATCH'
  | 'CERT_UNTRUSTED'
  | 'CERT_CHAIN_INCOMPLETE'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID';

function factDraft(report: DiscoveryReport, step: Step, index: number, code: FactCode): Draft {
  const vars: Draft['vars'] = { ...certVars(step) };
  const cert = step.tls?.certificate;
  if (code === 'CERT_NAME_MISMATCH') {
    // The bare domain is usually the public website: removing its DNS record would take the website down.
    vars['stopAnswering'] =
      step.host.toLowerCase() === String(vars['domain']).toLowerCase()
        ? `stop answering HTTPS on ${step.host}:443 (close the port; keep its DNS record, the website needs it) so clients move on without a warning; only if nothing on https://${step.host} needs encryption`
        : 'remove its DNS record so clients move on without a warning';
    vars['promptNote'] =
      step.result !== 'prompt'
        ? ''
        : step.parallel
          ? ' (the client shows a security warning)'
          : ' (the client stops and shows a security warning)';
  }
  if (code === 'CERT_CHAIN_INCOMPLETE')
    vars['missingIssuer'] = (step.tls?.chain.length ?? 0) > 0 && cert ? `(issuer ${cert.issuer})` : '';
  if (code === 'CERT_UNTRUSTED')
    vars['chainProblem'] = cert?.selfSigned
      ? 'is self-signed: it vouches for itself, and no client trusts that'
      : `was issued by ${cert?.issuer}, which leads to a root this client does not trust`;
  return { code, steps: [index], vars, key: factKey(step, code), ...quieter(report, step) };
}

/** One finding per certificate, problem and host: a sentence about "{host}" then always speaks of one name. */
export function factKey(step: Step, code: string): string {
  return `${code} ${step.tls?.certificate?.sha256} ${step.host.toLowerCase()}`;
}

/**
 * The client skipped this server silently and found settings elsewhere: still worth fixing (other clients stop
 * there), but not what failed this lookup.
 */
function quieter(report: DiscoveryReport, step: Step): Pick<Draft, 'severity'> {
  return step.result === 'tls-error' && report.outcome === 'settings' ? { severity: 'warning' } : {};
}

/**
 * Who asks before using an SRV target: Thunderbird only for another domain's target, the Microsoft clients always
 * (docs/lookups.md). Said per family, not per profile, so that `--client all` shows the fix once for the three.
 */
function srvConsent(report: DiscoveryReport): string {
  return PROFILES[report.client]?.redirectConsent === 'other-base-domain'
    ? `${PROFILES[report.client]?.short ?? 'the client'} asks the user first only when the target is under another domain`
    : 'Outlook and ActiveSync devices ask the user once before they use it';
}

/** What a refused name means here, when something more specific than "the name does not match" explains it. */
function nameConsequence(report: DiscoveryReport, step: Step, index: number): Draft | undefined {
  const vars: Draft['vars'] = certVars(step);
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
    // An SRV record only replaces Autodiscover hosts: it does nothing for autoconfig.<domain> (Thunderbird's XML).
    const srvFix = step.method.startsWith('autoconfig')
      ? ''
      : `If the hosting provider cannot do either, publish an SRV record _autodiscover._tcp.${vars['domain']} pointing at a host whose certificate is valid (${srvConsent(report)}).`;
    return {
      code: 'SNI_DEFAULT_CERTIFICATE',
      steps: [index],
      vars: { ...vars, otherDomains: others.join(', '), srvFix },
    };
  }
  const wildcard = wildcardMiss(step.host, dnsNames);
  if (wildcard) {
    return {
      code: 'CERT_WILDCARD_MISMATCH',
      steps: [index],
      vars: { ...vars, wildcard: wildcard.wildcard, wildcardBase: wildcard.base, why: wildcard.why },
    };
  }
  return undefined;
}

/**
 * Every refused certificate gets one finding per fact (its contract code), pointing at every step that met it;
 * where a more specific finding explains what the fact does here (the root-domain trap, an SCP URL, another
 * site's default certificate, a wildcard's limits), that finding comes first and names the facts in `because`.
 */
export const certificateRules: Rule = ({ report, now }) => {
  const drafts: Draft[] = [];
  const byKey = new Map<string, Draft>();
  const add = (draft: Draft, index: number): Draft => {
    const key = draft.key ?? '';
    const existing = byKey.get(key);
    if (existing) {
      // The same certificate, problem and host met again (another round): one finding pointing at every step.
      // Keys name the host, so the templates' singular sentences ("{host} answers…") stay true.
      if (!existing.steps.includes(index)) existing.steps.push(index);
      return existing;
    }
    byKey.set(key, draft);
    drafts.push(draft);
    return draft;
  };
  for (const { step, index } of indexed(report)) {
    const facts = certificateFacts(step, now);
    if (facts.length === 0) continue;
    const sha = step.tls?.certificate?.sha256;
    const consequence =
      // A root-domain step run beside SCP is explained by ROOT_DOMAIN_PROMPT_BESIDE_SCP (rules/parallel.ts). An EWS
      // application's SOAP step at the root domain blocks nothing: it moves on at every certificate error.
      step.method === 'root-domain' && step.parallel === undefined && step.protocol !== 'soap'
        ? rootDomainFinding(report, step, index, facts)
        : facts.includes('CERT_NAME_MISMATCH')
          ? nameConsequence(report, step, index)
          : undefined;
    if (consequence) {
      consequence.key = `${consequence.code} ${sha} ${step.host.toLowerCase()}`;
      consequence.because = facts.map((code) => factKey(step, code));
      if (consequence.severity === undefined) Object.assign(consequence, quieter(report, step));
      add(consequence, index);
    }
    for (const code of facts) add(factDraft(report, step, index, code), index);
  }
  return drafts;
};

function rootDomainFinding(report: DiscoveryReport, step: Step, index: number, facts: readonly FactCode[]): Draft {
  const vars = certVars(step);
  const problem = facts.includes('CERT_NAME_MISMATCH')
    ? `which does not name ${step.host}`
    : `which the client refuses (${facts.join(', ')})`;
  const website = step.tls?.certificate?.dnsNames.some((n) => n.toLowerCase() === `www.${step.host}`);
  const stops = step.result === 'prompt';
  const stopsOld = `Outlook 2007 to 2013 show "The name on the security certificate is invalid or does not match the name of the site" and the lookup stops there: autodiscover.${step.host} is never tried.`;
  const short = PROFILES[report.client]?.short ?? 'This client';
  const passes = `${short.charAt(0).toUpperCase()}${short.slice(1)} skips certificate errors at the root domain and moves on silently to autodiscover.${step.host}.`;
  return {
    code: 'ROOT_DOMAIN_BLOCKS_FALLBACK',
    steps: [index],
    // Outlook 2016 and later skip the root domain's certificate errors silently: a warning for them, not a failure.
    ...(stops ? {} : { severity: 'warning' as const }),
    vars: {
      ...vars,
      problem,
      websiteNote: website ? ` (it is the public website's certificate, for www.${step.host} only)` : '',
      // What this client does first; a client that passes also hears, in the very same sentence as the error
      // variant's, whom the trap stops (`--client all` then says that sentence once: src/discover/text-findings.ts).
      clientEffect: stops ? stopsOld : `${passes} ${stopsOld}`,
    },
  };
}

/** Days left → severity: the last week pages (error), two weeks warn, a month informs. */
export function expirySeverity(days: number): 'error' | 'warning' | 'info' {
  return days <= 7 ? 'error' : days <= 14 ? 'warning' : 'info';
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
    const days = Math.ceil((end - now.getTime()) / 86_400_000);
    drafts.push({
      code: 'CERT_EXPIRING_SOON',
      severity: expirySeverity(days),
      steps: index === undefined ? [] : [index],
      vars: {
        ...(step ? certVars(step) : {}),
        host,
        url,
        names,
        notAfter: notAfter.slice(0, 10),
        days,
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
