import { z } from 'zod';
import { AutodiscoError, type Problem } from '../errors.js';
import { parseYamlText, readTextFile } from './files.js';
import { redirectCycles } from './redirect-cycles.js';
import {
  type Config,
  checkEmailAddress,
  checkHostName,
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

/** What can still be read from a record, valid or not: its names (A-labels) or its address, for duplicates. */
type Keys = { index: number; names: string[] };

export function domainKeys(raw: unknown, index: number, valid: DomainSettings | undefined): Keys {
  if (valid) return { index, names: [valid.name, ...valid.aliases] };
  const { name, aliases } = (typeof raw === 'object' && raw !== null ? raw : {}) as {
    name?: unknown;
    aliases?: unknown;
  };
  const names: string[] = [];
  for (const n of [name, ...(Array.isArray(aliases) ? aliases : [])]) {
    const checked = typeof n === 'string' ? checkHostName(n.replace(/\.$/, '')) : undefined;
    if (checked && 'ascii' in checked) names.push(checked.ascii);
  }
  return { index, names };
}

export function userKey(raw: unknown, index: number, valid: UserRecord | undefined): Keys {
  if (valid) return { index, names: [valid.email] };
  const email = typeof raw === 'object' && raw !== null ? (raw as { email?: unknown }).email : undefined;
  const checked = typeof email === 'string' ? checkEmailAddress(email) : undefined;
  return { index, names: checked && 'email' in checked ? [checked.email] : [] };
}

/**
 * Checks that span records: duplicates (an invalid record's readable name or address counts too, so fixing it
 * does not reveal a new problem), users in domains that are not served, redirect cycles.
 */
function crossChecks(
  domains: Indexed<DomainSettings>[],
  users: Indexed<UserRecord>[],
  domainNames: Keys[],
  userEmails: Keys[],
): Problem[] {
  const problems: Problem[] = [];
  const owner = new Map<string, string>();
  for (const { index: i, names } of domainNames) {
    names.forEach((name, j) => {
      const path = j === 0 ? `domains[${i}].name` : `domains[${i}].aliases[${j - 1}]`;
      const first = owner.get(name);
      if (first !== undefined) problems.push({ path, message: `"${name}" is already used at ${first}` });
      else owner.set(name, path);
    });
  }
  const seen = new Map<string, number>();
  for (const { index: i, names } of userEmails) {
    const email = names[0];
    if (email === undefined) continue;
    const first = seen.get(email);
    if (first !== undefined)
      problems.push({ path: `users[${i}].email`, message: `"${email}" is already at users[${first}]` });
    else seen.set(email, i);
  }
  const validNames = new Set(domains.flatMap((d) => [d.value.name, ...d.value.aliases]));
  for (const { index: i, value: u } of users) {
    const domainName = u.email.slice(u.email.lastIndexOf('@') + 1);
    // A name that only a broken domain record carries is not reported twice: that record's problem says enough.
    if (!validNames.has(domainName) && !owner.has(domainName)) {
      problems.push({
        path: `users[${i}].email`,
        message: `domain "${domainName}" is not in domains (expected one of the domain names or aliases)`,
      });
    }
  }
  problems.push(...redirectCycles(domains, users));
  return problems;
}

const documentShape = z.strictObject({
  $schema: z.string().optional(),
  domains: z.array(z.unknown()).default([]),
  users: z.array(z.unknown()).default([]),
});

/**
 * Validates a parsed document completely: the document's own keys, each record on its own, then the rules that
 * span records, so every problem is reported at once, with its path (an unknown top-level key does not hide
 * the records' problems).
 */
export function validateConfig(document: unknown, source = 'configuration'): Config {
  const fail = (problems: Problem[]) =>
    new AutodiscoError('ADK_ERR_CONFIG_INVALID', `${source}: ${problems.length} problem(s); nothing was changed`, {
      problems,
    });
  const problems: Problem[] = [];
  const top = documentShape.safeParse(document ?? {}, { reportInput: true });
  if (!top.success) problems.push(...zodProblems(top.error));
  // The records are read whenever they are lists, even next to an unknown key.
  const body = (typeof document === 'object' && document !== null ? document : {}) as Record<string, unknown>;
  const rawDomains = Array.isArray(body['domains']) ? body['domains'] : [];
  const rawUsers = Array.isArray(body['users']) ? body['users'] : [];

  const domains: Indexed<DomainSettings>[] = [];
  const users: Indexed<UserRecord>[] = [];
  const domainNames: Keys[] = [];
  const userEmails: Keys[] = [];
  rawDomains.forEach((raw, index) => {
    const r = domainSchema.safeParse(raw, { reportInput: true });
    if (r.success) domains.push({ index, value: r.data });
    else problems.push(...zodProblems(r.error, ['domains', index]));
    domainNames.push(domainKeys(raw, index, r.data));
  });
  rawUsers.forEach((raw, index) => {
    const r = userSchema.safeParse(raw, { reportInput: true });
    if (r.success) users.push({ index, value: r.data });
    else problems.push(...zodProblems(r.error, ['users', index]));
    userEmails.push(userKey(raw, index, r.data));
  });
  problems.push(...crossChecks(domains, users, domainNames, userEmails));
  if (problems.length > 0 || !top.success) throw fail(problems);
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
