/** "a", "a and b", "a, b and c": the one joiner for lists in sentences (findings, trace, plan). */
export function joinList(items: readonly string[], empty = ''): string {
  if (items.length === 0) return empty;
  if (items.length === 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
