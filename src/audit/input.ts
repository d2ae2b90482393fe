/**
 * The audit's input: one address per line (a bare domain means postmaster@<domain>), or every domain a
 * configuration file serves. Blank lines and `#` comments are ignored; a line that is not an address a client
 * would look up is reported with its line number and skipped, never fatal. A repeated address (same address
 * after normalising case and the domain) is audited once: the repeat is reported like a bad line.
 * Addresses are small: the whole list is held (10,000 lines is about 500 KB); reports never are.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { checkAddress } from '../discover/candidates.js';
import { parseYamlText, readTextFile } from '../settings/files.js';

export interface AuditTarget {
  /** Normalised (the domain in lower-case ASCII). */
  email: string;
  domain: string;
  /** 1-based line of the input (0 for --from-config). */
  line: number;
}

export interface SkippedLine {
  line: number;
  /** Why: the same words `discover` uses for a bad address. */
  reason: string;
}

export interface AuditInput {
  targets: AuditTarget[];
  skipped: SkippedLine[];
}

/** One input line: null for blank lines and comments. */
export function parseLine(raw: string): { email: string; domain: string } | { reason: string } | null {
  const text = raw.replace(/#.*$/, '').trim();
  if (text === '') return null;
  if (/\s/.test(text)) return { reason: `"${text}" holds spaces: expected one address or domain per line` };
  const candidate = text.includes('@') ? text : `postmaster@${text}`;
  const checked = checkAddress(candidate);
  if (!checked.ok) return { reason: checked.reason };
  return { email: checked.address.email, domain: checked.address.domain };
}

class Collector {
  readonly targets: AuditTarget[] = [];
  readonly skipped: SkippedLine[] = [];
  readonly #seen = new Map<string, number>();

  add(raw: string, line: number): void {
    const parsed = parseLine(raw);
    if (parsed === null) return;
    if ('reason' in parsed) {
      this.skipped.push({ line, reason: parsed.reason });
      return;
    }
    const key = parsed.email.toLowerCase();
    const first = this.#seen.get(key);
    if (first !== undefined) {
      this.skipped.push({ line, reason: `${parsed.domain}: the same address as line ${first}, audited once` });
      return;
    }
    this.#seen.set(key, line);
    this.targets.push({ ...parsed, line });
  }
}

/** Reads FILE, or standard input for `-`. */
export async function readAddressList(path: string, stdin: Readable = process.stdin): Promise<AuditInput> {
  const stream = path === '-' ? stdin : createReadStream(path, 'utf8');
  const collector = new Collector();
  let line = 0;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const text of lines) collector.add(text, ++line);
  return { targets: collector.targets, skipped: collector.skipped };
}

/**
 * Every domain a configuration file (the one `serve --config` and `import` read) serves, as postmaster@<domain>.
 * The `users:` block is cut out before parsing: the domains are all an audit needs, and a file of a million
 * users would otherwise be parsed whole.
 */
export async function readConfigDomains(path: string): Promise<AuditInput> {
  const text = await readTextFile(path);
  const parsed = parseYamlText(text.trimStart().startsWith('{') ? text : withoutUsers(text), path) as {
    domains?: unknown;
  } | null;
  const collector = new Collector();
  const domains = Array.isArray(parsed?.domains) ? parsed.domains : [];
  domains.forEach((domain, i) => {
    const name = (domain as { name?: unknown } | null)?.name;
    if (typeof name === 'string') collector.add(name, i + 1);
    else collector.skipped.push({ line: i + 1, reason: `domains[${i}].name is missing` });
  });
  return { targets: collector.targets, skipped: collector.skipped };
}

function withoutUsers(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^users\s*:/.test(l));
  if (start < 0) return text;
  let end = start + 1;
  while (end < lines.length && !/^[A-Za-z_$][\w$-]*\s*:/.test(lines[end] ?? '')) end++;
  return [...lines.slice(0, start), ...lines.slice(end)].join('\n');
}
