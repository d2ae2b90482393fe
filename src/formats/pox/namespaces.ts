/**
 * Autodiscover XML namespaces. Servers must emit the http:// forms (docs/protocol.md §0.2: Microsoft's web docs
 * show https:// after a link rewrite, but Exchange, the specs and every client use http://). When reading,
 * the https:// spelling is accepted too.
 */
const BASE = 'http://schemas.microsoft.com/exchange/autodiscover';

export const NS = {
  response: `${BASE}/responseschema/2006`,
  outlookRequest: `${BASE}/outlook/requestschema/2006`,
  outlookResponse: `${BASE}/outlook/responseschema/2006a`,
  mobilesyncRequest: `${BASE}/mobilesync/requestschema/2006`,
  mobilesyncResponse: `${BASE}/mobilesync/responseschema/2006`,
} as const;

/** Compares namespace URIs as clients do: scheme-insensitive (http/https) and case-insensitive. */
export function sameNamespace(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/^https:/, 'http:')
      .replace(/\/$/, '');
  return norm(a) === norm(b);
}
