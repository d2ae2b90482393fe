import { z } from 'zod';
import { AutodiscoError, type Problem } from '../errors.js';
import { parseYamlText, readTextFile } from './files.js';
import {
  type Config,
  type DomainSettings,
  domain as domainSchema,
  type UserRecord,
  user as userSchema,
} from './schema.js';

/** `['domains', 0, 'imap', 'port']` → `domains[0].imap.port` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function zodProblems(error: z.ZodError, prefix: readonly PropertyKey[] = []): Problem[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    else if ('input' in issue && issue.input !== undefined && typeof issue.input !== 'object') {
      const shown = describeValue(issue.input);
      if (!message.includes(shown)) message += ` (got ${shown})`;
    }
    return { path: formatPath([...prefix, ...issue.path]), message };
  });
}

/** A record that passed its own schema, with its index in the document (for paths). */
type Indexed<T> = { index: number; value: T };

/** Checks that span records: duplicates, aliases that collide, users in domains that are not served. */
function crossChecks(
  domains: Indexed<DomainSettings>[],
  users: Indexed<UserRecord>[],
  invalidNames: Set<string>,
): Problem[] {
  const problems: Problem[] = [];
  const owner = new Map<string, string>();
  for (const { index: i, value: d } of domains) {
    const names: [string, string][] = [[d.name, `domains[${i}].name`]];
    d.aliases.forEach((a, j) => {
      names.push([a, `domains[${i}].aliases[${j}]`]);
    });
    for (const [name, path] of names) {
      const first = owner.get(name);
      if (first !== undefined) problems.push({ path, message: `"${name}" is already used at ${first}` });
      else owner.set(name, path);
    }
    if (d.redirect && 'domain' in d.redirect && d.redirect.domain === d.name) {
      problems.push({ path: `domains[${i}].redirect.domain`, message: `"${d.name}" redirects to itself` });
    }
  }
  const seen = new Map<string, number>();
  for (const { index: i, value: u } of users) {
    const first = seen.get(u.email);
    if (first !== undefined)
      problems.push({ path: `users[${i}].email`, message: `"${u.email}" is already at users[${first}]` });
    else seen.set(u.email, i);
    const domainName = u.email.slice(u.email.lastIndexOf('@') + 1);
    // A name that only a broken domain record carries is not reported twice: that record's problem says enough.
    if (!owner.has(domainName) && !invalidNames.has(domainName)) {
      problems.push({
        path: `users[${i}].email`,
        message: `domain "${domainName}" is not in domains (expected one of the domain names or aliases)`,
      });
    }
  }
  return problems;
}

const documentShape = z.strictObject({
  $schema: z.string().optional(),
  domains: z.array(z.unknown()).default([]),
  users: z.array(z.unknown()).default([]),
});

/**
 * Validates a parsed document completely: each record on its own, then the rules that span records, so every
 * problem is reported at once, with its path.
 */
export function validateConfig(document: unknown, source = 'configuration'): Config {
  const fail = (problems: Problem[]) =>
    new AutodiscoError('ADK_ERR_CONFIG_INVALID', `${source}: ${problems.length} problem(s); nothing was changed`, {
      problems,
    });
  const top = documentShape.safeParse(document ?? {}, { reportInput: true });
  if (!top.success) throw fail(zodProblems(top.error));

  const problems: Problem[] = [];
  const domains: Indexed<DomainSettings>[] = [];
  const users: Indexed<UserRecord>[] = [];
  top.data.domains.forEach((raw, index) => {
    const r = domainSchema.safeParse(raw, { reportInput: true });
    if (r.success) domains.push({ index, value: r.data });
    else problems.push(...zodProblems(r.error, ['domains', index]));
  });
  top.data.users.forEach((raw, index) => {
    const r = userSchema.safeParse(raw, { reportInput: true });
    if (r.success) users.push({ index, value: r.data });
    else problems.push(...zodProblems(r.error, ['users', index]));
  });
  const invalidNames = new Set<string>();
  top.data.domains.forEach((raw, index) => {
    if (domains.some((d) => d.index === index) || typeof raw !== 'object' || raw === null) return;
    const { name, aliases } = raw as { name?: unknown; aliases?: unknown };
    for (const n of [name, ...(Array.isArray(aliases) ? aliases : [])]) {
      if (typeof n === 'string') invalidNames.add(n.trim().toLowerCase().replace(/\.$/, ''));
    }
  });
  problems.push(...crossChecks(domains, users, invalidNames));
  if (problems.length > 0) throw fail(problems);
  const config: Config = { domains: domains.map((d) => d.value), users: users.map((u) => u.value) };
  if (top.data.$schema !== undefined) config.$schema = top.data.$schema;
  return config;
}

export function parseConfigText(text: string, source: string): Config {
  return validateConfig(parseYamlText(text, source), source);
}

export async function loadConfigFile(path: string): Promise<Config> {
  return parseConfigText(await readTextFile(path), path);
}
