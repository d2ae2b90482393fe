import { baseDomain } from '../candidates.js';
import type { Lookup } from '../context.js';

/** Thunderbird does not ask about its own organisation's hosts, nor Microsoft 365's (ExchangeAutoDiscover.sys.mjs). */
const THUNDERBIRD_TRUSTED = new Set(['office365.com', 'outlook.com']);

/** Whether the client asks the user before contacting `target` (a redirect or SRV target) for `domain`. */
export function needsConsent(lookup: Lookup, target: URL, domain: string): boolean {
  if (lookup.profile.redirectConsent === 'always') return true;
  const targetBase = baseDomain(target.hostname);
  return targetBase !== baseDomain(domain) && !THUNDERBIRD_TRUSTED.has(targetBase);
}
