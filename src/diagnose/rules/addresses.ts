/**
 * DNS answers that point a candidate at no server (0.0.0.0, ::) or, for a public name, at this machine, its link
 * or a private network (src/discover/address-scope.ts says which; names under special-use suffixes such as .test
 * are never public, so the lab's 127.x answers raise nothing).
 */
import { addressScope, localScope } from '../../discover/address-scope.js';
import { type Draft, indexed, type Rule } from '../finding.js';

const CONSEQUENCE = {
  loopback:
    'That is this machine: any local service with a certificate for the name would receive the request. autodisco sends no credentials there.',
  'link-local':
    'That is the local link (169.254.169.254 is the metadata service of most clouds). autodisco sends no credentials there.',
  private:
    'Normal for split-horizon DNS inside a company network; from anywhere else the name leads nowhere, or to somebody else’s network. Credentials still go there when the certificate is valid, as they would with the real client.',
} as const;

export const addressRules: Rule = ({ report }) => {
  const drafts: Draft[] = [];
  const seen = new Set<string>();
  for (const { step, index } of indexed(report)) {
    if (step.addresses.length === 0) continue;
    if (step.refusal === 'unspecified-address') {
      const key = `unspecified ${step.host}`;
      if (seen.has(key)) continue;
      seen.add(key);
      drafts.push({
        code: 'UNSPECIFIED_ADDRESS_ANSWER',
        steps: [index],
        vars: { host: step.host, addresses: step.addresses.join(', ') },
      });
      continue;
    }
    const local = step.addresses.filter((a) => addressScope(a) !== 'unspecified' && localScope(step.host, a));
    const scope = local[0] === undefined ? undefined : localScope(step.host, local[0]);
    if (scope === undefined || seen.has(`local ${step.host}`)) continue;
    seen.add(`local ${step.host}`);
    drafts.push({
      code: 'LOCAL_ADDRESS_FOR_PUBLIC_NAME',
      steps: [index],
      vars: { host: step.host, addresses: local.join(', '), scope, consequence: CONSEQUENCE[scope] },
    });
  }
  return drafts;
};
