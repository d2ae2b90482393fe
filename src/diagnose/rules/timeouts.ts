/**
 * A candidate that accepts the connection (or swallows it) and never answers: the client waits its whole timeout
 * there on every lookup before it moves on. Nothing fails, so nothing else would say so; the lab's
 * root-domain-timeout scenario is the case (a website that hangs on https://<domain>/autodiscover/...).
 */
import { PROFILES } from '../../discover/profiles.js';
import { type Draft, indexed, type Rule, shownUrl } from '../finding.js';

export const candidateTimeoutRule: Rule = ({ report }) => {
  const drafts: Draft[] = [];
  const waitMs = PROFILES[report.client]?.clientTimeoutMs;
  for (const { step, index } of indexed(report)) {
    if (step.result !== 'timeout' || step.phase === 'dns' || !step.url) continue;
    const url = new URL(step.url);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const domain = step.email.slice(step.email.lastIndexOf('@') + 1);
    const settingsAfter = report.steps.slice(index + 1).some((s) => s.result === 'settings');
    drafts.push({
      code: 'CANDIDATE_TIMEOUT',
      steps: [index],
      ...(settingsAfter ? { severity: 'warning' as const } : {}),
      vars: {
        url: shownUrl(step.url),
        host: step.host,
        port,
        addresses: step.addresses.join(', ') || 'no address',
        how:
          step.phase === 'connect'
            ? 'never accepted the connection (the packets are dropped, typically by a firewall)'
            : 'accepted the connection and never answered the request',
        wait: waitMs ? `about ${Math.round(waitMs / 1000)} s` : 'its whole timeout',
        after: settingsAfter
          ? 'before it moves on and finds its settings further down the list'
          : 'before it moves on, and found no settings after it',
        // Outlook and devices repeat Autodiscover in the background; Thunderbird only when an account is set up.
        slower:
          report.client === 'thunderbird'
            ? 'every account set up in Thunderbird is that much slower'
            : `every new profile and every Autodiscover refresh of ${PROFILES[report.client]?.short ?? 'the client'} is that much slower`,
        policyNote:
          step.method === 'root-domain' && report.client !== 'thunderbird' && report.client !== 'ews'
            ? ` For managed Windows clients, the policy ExcludeHttpsRootDomain=1 makes Outlook skip https://${domain}.`
            : '',
      },
    });
  }
  return drafts;
};
