import { joinList } from '../../text/join.js';

/** A certificate's names for a sentence: its DNS names, or its subject when it has none. */
export function describeNames(dnsNames: readonly string[], subject: string): string {
  return joinList(dnsNames.length > 0 ? dnsNames : [subject]);
}
