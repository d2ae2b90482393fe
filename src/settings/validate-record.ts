/**
 * One domain or one user checked exactly as `import` checks it: the record is validated inside a document made of
 * what is stored, by validateConfig itself, so the messages are the import's, field by field. Paths are given
 * relative to the record (`imap.port`, not `domains[3].imap.port`); a problem found at another stored record (a
 * duplicate name, a redirect cycle through it) names that record instead of its index.
 */
import { AutodiscoError, type Problem } from '../errors.js';
import type { DomainSettings, UserRecord } from './schema.js';
import { validateConfig } from './validate.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** `domains[3].imap.port` → `imap.port` for the candidate; `domains[1]…` → `domain "example.com"…` otherwise. */
function relocate(problems: readonly Problem[], kind: 'domains' | 'users', at: number, names: string[]): Problem[] {
  const label = kind === 'domains' ? 'domain' : 'user';
  const rename = (text: string) =>
    // `domains[1].name` is the name itself: `domain "example.com"` says it; other fields keep their path.
    text.replace(new RegExp(`${kind}\\[(\\d+)\\](\\.(?:name|email)\\b)?`, 'g'), (whole, i: string) =>
      Number(i) === at ? `this ${label}` : names[Number(i)] !== undefined ? `${label} "${names[Number(i)]}"` : whole,
    );
  return problems.map((p) => {
    const own = new RegExp(`^${kind}\\[${at}\\]\\.?`);
    const path = own.test(p.path) ? p.path.replace(own, '') : rename(p.path);
    return { path, message: rename(p.message) };
  });
}

function run<T>(
  document: unknown,
  pick: (config: ReturnType<typeof validateConfig>) => T,
  fix: (p: Problem[]) => Problem[],
): Checked<T> {
  try {
    return { ok: true, value: pick(validateConfig(document)) };
  } catch (err) {
    if (err instanceof AutodiscoError && err.code === 'ADK_ERR_CONFIG_INVALID')
      return { ok: false, problems: fix([...err.problems]) };
    throw err;
  }
}

/** `raw` as the new version of a domain, among the other stored domains (`others` excludes the one replaced). */
export function checkDomain(others: readonly DomainSettings[], raw: unknown): Checked<DomainSettings> {
  const at = others.length;
  const names = others.map((d) => d.name);
  return run(
    { domains: [...others, raw], users: [] },
    (c) => c.domains[at] as DomainSettings,
    (p) => relocate(p, 'domains', at, names),
  );
}

/**
 * `raw` as a new or changed user, with every stored domain and the stored users its redirectAddr chain reaches
 * (`chain`): enough for every rule of import that concerns this user (its domain, its redirect cycles).
 */
export function checkUser(
  domains: readonly DomainSettings[],
  chain: readonly UserRecord[],
  raw: unknown,
): Checked<UserRecord> {
  const at = chain.length;
  const names = chain.map((u) => u.email);
  return run(
    { domains, users: [...chain, raw] },
    (c) => c.users[at] as UserRecord,
    (p) => relocate(p, 'users', at, names),
  );
}
