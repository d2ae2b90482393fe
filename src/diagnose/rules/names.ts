export function describeNames(dnsNames: readonly string[], subject: string): string {
  const list = dnsNames.length > 0 ? dnsNames : [subject];
  return list.length === 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
}
