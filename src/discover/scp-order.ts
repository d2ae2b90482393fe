/**
 * How a domain-joined Outlook orders the Autodiscover Service Connection Points one directory search returned
 * (docs/protocol.md §1.1.2 and §1.1.3). Pure: no I/O, no clock.
 *
 * - Pointer SCPs (keyword `67661d7F-…`) come first: one with `Domain=<e-mail domain>` makes the client discard
 *   everything and search again at the directory server it names; the first unscoped pointer (its only keyword is
 *   the GUID) is kept as a fallback, used only when no URL is left.
 * - URL SCPs (keyword `77378F46-…`) fall into three buckets: `Site=<own site>` (1), no `Site=` keyword at all (2),
 *   `Site=` keywords naming other sites only (3). Each bucket is ordered oldest `whenCreated` first (third-party
 *   reports about Outlook; Microsoft's sample code does not sort). URLs are then de-duplicated ignoring case,
 *   keeping the first.
 *
 * Deliberate difference: in Microsoft's sample and the EWS Managed API the URL scan runs only when the computer's
 * site name is known, so a client without a site gets no SCP URL at all (only a fallback pointer restart). That
 * is a quirk, not a rule: here a missing site makes every URL priority 2 (no `Site=`) or 3 (site-scoped).
 */
import { SCP_POINTER_KEYWORD, SCP_URL_KEYWORD } from '../ldap/scp.js';

/** One SCP object as a directory search returns it (attribute values as strings). */
export interface ScpEntry {
  dn: string;
  serviceBindingInformation: string[];
  keywords: string[];
  whenCreated?: Date;
}

export type ScpPriority = 1 | 2 | 3;

export interface OrderedScpUrl {
  url: string;
  priority: ScpPriority;
  /** The `Site=` keyword values of the SCP, as spelt there. */
  site: string[];
  whenCreated?: Date;
  dn: string;
}

export interface ScpOrderContext {
  /** The client computer's directory site; absent or empty: unknown. */
  site?: string;
  /** The domain of the e-mail address looked up. */
  domain: string;
}

/** What an SCP entry is to a client with this context. */
export type ScpClassification =
  /** A URL SCP: `priority` and the `Site=` values. */
  | { kind: 'url'; url: string; priority: ScpPriority; site: string[] }
  /** A pointer SCP with `Domain=<this domain>`: restart the search there. */
  | { kind: 'domain-pointer'; pointer: string }
  /** A pointer SCP with no keyword other than the GUID: a fallback directory server. */
  | { kind: 'unscoped-pointer'; pointer: string }
  /** A pointer SCP scoped to other domains (or to sites only): not for this address. */
  | { kind: 'other-pointer'; pointer: string; domains: string[] }
  /** Neither GUID, or no serviceBindingInformation: a client skips it. */
  | { kind: 'unusable'; reason: string };

export interface ScpOrder {
  /** serviceBindingInformation of every pointer SCP with `Domain=<domain>`, in search order. */
  pointersForDomain: string[];
  /** The first unscoped pointer, in search order. */
  fallbackPointer?: string;
  /** The URLs in the order the client tries them. */
  urls: OrderedScpUrl[];
  /** URL SCPs dropped because an earlier one in `urls` has the same URL (ignoring case). */
  duplicates: OrderedScpUrl[];
}

const SITE_PREFIX = 'site=';
const DOMAIN_PREFIX = 'domain=';

const lower = (s: string): string => s.toLowerCase();

function hasKeyword(keywords: readonly string[], wanted: string): boolean {
  const w = lower(wanted);
  return keywords.some((k) => lower(k) === w);
}

/** Values of the `<prefix>…` keywords (prefix compared ignoring case), as spelt. */
function keywordValues(keywords: readonly string[], prefix: string): string[] {
  return keywords.filter((k) => lower(k).startsWith(prefix)).map((k) => k.slice(prefix.length));
}

/** A pointer is checked first, as the Microsoft sample's first loop does; an entry with both GUIDs is a pointer. */
export function classifyScpEntry(entry: ScpEntry, context: ScpOrderContext): ScpClassification {
  const binding = entry.serviceBindingInformation[0]?.trim() ?? '';
  const isPointer = hasKeyword(entry.keywords, SCP_POINTER_KEYWORD);
  const isUrl = hasKeyword(entry.keywords, SCP_URL_KEYWORD);
  if (!isPointer && !isUrl) return { kind: 'unusable', reason: 'neither the URL nor the pointer keyword GUID' };
  if (binding === '') return { kind: 'unusable', reason: 'no serviceBindingInformation' };
  if (isPointer) {
    const domains = keywordValues(entry.keywords, DOMAIN_PREFIX);
    if (domains.some((d) => lower(d) === lower(context.domain))) return { kind: 'domain-pointer', pointer: binding };
    // EWS Managed API: "unscoped" means the GUID is the only keyword.
    if (entry.keywords.length === 1) return { kind: 'unscoped-pointer', pointer: binding };
    return { kind: 'other-pointer', pointer: binding, domains };
  }
  const site = keywordValues(entry.keywords, SITE_PREFIX);
  const mySite = context.site === undefined || context.site === '' ? undefined : lower(context.site);
  const priority: ScpPriority =
    mySite !== undefined && site.some((s) => lower(s) === mySite) ? 1 : site.length === 0 ? 2 : 3;
  return { kind: 'url', url: binding, priority, site };
}

/** Priority, then oldest first (no whenCreated last), then DN so that equal dates give a stable order. */
function compareUrls(a: OrderedScpUrl, b: OrderedScpUrl): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const ta = a.whenCreated?.getTime();
  const tb = b.whenCreated?.getTime();
  const va = ta === undefined || Number.isNaN(ta) ? undefined : ta;
  const vb = tb === undefined || Number.isNaN(tb) ? undefined : tb;
  if (va !== vb) {
    if (va === undefined) return 1;
    if (vb === undefined) return -1;
    return va - vb;
  }
  const da = lower(a.dn);
  const db = lower(b.dn);
  return da < db ? -1 : da > db ? 1 : 0;
}

export function orderScpResults(entries: readonly ScpEntry[], context: ScpOrderContext): ScpOrder {
  const pointersForDomain: string[] = [];
  let fallbackPointer: string | undefined;
  const candidates: OrderedScpUrl[] = [];
  for (const entry of entries) {
    const c = classifyScpEntry(entry, context);
    if (c.kind === 'domain-pointer') pointersForDomain.push(c.pointer);
    else if (c.kind === 'unscoped-pointer') fallbackPointer ??= c.pointer;
    else if (c.kind === 'url') {
      candidates.push({
        url: c.url,
        priority: c.priority,
        site: c.site,
        ...(entry.whenCreated !== undefined ? { whenCreated: entry.whenCreated } : {}),
        dn: entry.dn,
      });
    }
  }
  candidates.sort(compareUrls);
  const seen = new Set<string>();
  const urls: OrderedScpUrl[] = [];
  const duplicates: OrderedScpUrl[] = [];
  for (const c of candidates) {
    const key = lower(c.url);
    if (seen.has(key)) duplicates.push(c);
    else {
      seen.add(key);
      urls.push(c);
    }
  }
  return { pointersForDomain, ...(fallbackPointer !== undefined ? { fallbackPointer } : {}), urls, duplicates };
}
