/**
 * Addresses are personal data: logs carry them masked unless the operator asks otherwise
 * (`c***@example.test`: enough to tell domains and typos apart, not enough to harvest).
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address.length > 1 ? `${address[0]}***` : '***';
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}

const ADDRESS_IN_TEXT = /([^\s/?&=@%]+)(@|%40)([a-z0-9.-]+\.[a-z]{2,})/gi;

/** Masks every address inside a URL or free text (query strings and v2 JSON paths carry them). */
export function maskAddresses(text: string): string {
  // Most URLs hold no address at all (POX, SOAP): no regular expression runs for them.
  if (!text.includes('@') && !text.includes('%40')) return text;
  return text.replace(
    ADDRESS_IN_TEXT,
    (_m, local: string, at: string, domain: string) => `${local.slice(0, 1)}***${at}${domain}`,
  );
}
