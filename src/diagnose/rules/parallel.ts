/**
 * Steps a client ran alongside another phase (Step.parallel, docs/lookups.md). A domain-joined Outlook 2013 asks
 * the root domain while its SCP lookup runs: a bad certificate there shows the user a warning even though SCP
 * gives the settings, the seed case's last question. The certificate fact itself is the certificate rules' job.
 */
import { PROFILES } from '../../discover/profiles.js';
import { certVars, type Draft, indexed, type Rule } from '../finding.js';
import { certificateFacts, factKey } from './certificates.js';

export const rootDomainBesideScpRule: Rule = ({ report, now }) => {
  // Only when something else decided the lookup: a prompt that ends it is ROOT_DOMAIN_BLOCKS_FALLBACK's story.
  if (report.outcome === 'prompt' && report.prompt) {
    const deciding = report.prompt.url;
    if (report.steps.some((s) => s.parallel === 'scp' && s.result === 'prompt' && s.url === deciding)) return [];
  }
  const drafts: Draft[] = [];
  const scp = indexed(report).find(({ step }) => step.method === 'scp' && step.url && step.parallel === undefined);
  for (const { step, index } of indexed(report)) {
    if (step.parallel !== 'scp' || step.method !== 'root-domain' || step.result !== 'prompt' || !step.tls) continue;
    const website = step.tls.certificate?.dnsNames.some((n) => n.toLowerCase() === `www.${step.host}`);
    const decided = report.settings?.method === 'scp' ? report.settings.url : scp?.step.url;
    drafts.push({
      code: 'ROOT_DOMAIN_PROMPT_BESIDE_SCP',
      steps: scp ? [index, scp.index] : [index],
      key: `ROOT_DOMAIN_PROMPT_BESIDE_SCP ${index}`,
      because: certificateFacts(step, now).map((code) => factKey(step, code)),
      vars: {
        ...certVars(step),
        clientName: report.client === 'outlook-2013' ? 'Outlook 2013' : PROFILES[report.client].short,
        scpUrl: decided ?? 'found in the directory',
        websiteNote: website ? ` (it is the public website's certificate, for www.${step.host} only)` : '',
      },
    });
  }
  return drafts;
};
