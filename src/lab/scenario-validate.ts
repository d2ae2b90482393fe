/**
 * Validates a scenario document completely, in the style of src/settings/validate.ts: every problem at once, each
 * with its path (`hosts[1].https.certificate.validity`), one answer judged by the key that names its kind.
 */
import { z } from 'zod';
import { compileZones } from '../dns/zone.js';
import { AutodiscoError, type Problem } from '../errors.js';
import { buildScpDirectory } from '../ldap/scp.js';
import { formatPath, validateConfig } from '../settings/validate.js';
import { type DirectorySpec, directorySchema, scpDirectoryOptions } from './scenario-directory.js';
import { type DnsSpec, dnsSchema, scenarioZones } from './scenario-dns.js';
import {
  ANSWER_KEYS,
  ANSWER_KINDS,
  type AnswerSpec,
  HOST_REFERENCE,
  type HostSpec,
  hostShape,
  type ImmediateAnswerSpec,
} from './scenario-hosts.js';
import { headerFields, type Scenario } from './scenario-schema.js';

type Issue = z.core.$ZodIssue;

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quoted(keys: readonly string[]): string {
  return keys.map((k) => `"${k}"`).join(', ');
}

/** Issues of a branch that say "this is the wrong kind of object", not "this object has a wrong field". */
function shapeIssues(issues: readonly Issue[]): number {
  return issues.filter(
    (i) =>
      (i.code === 'unrecognized_keys' && i.path.length === 0) ||
      (i.code === 'invalid_type' && i.path.length === 1 && i.input === undefined),
  ).length;
}

/**
 * Turns zod issues into problems. A failed union of objects says only "Invalid input"; it is reported as the branch
 * the input resembles most. (Answers are not judged this way: see checkAnswer.)
 */
function issueProblems(issue: Issue, prefix: readonly PropertyKey[]): Problem[] {
  const where = [...prefix, ...issue.path];
  const path = formatPath(where);
  if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0) {
    const input = issue.input;
    if (!isRecord(input)) return [{ path, message: withInput(issue.message, input) }];
    let best = issue.errors[0] ?? [];
    for (const branch of issue.errors) {
      const score = shapeIssues(branch) - shapeIssues(best) || branch.length - best.length;
      if (score < 0) best = branch;
    }
    return best.flatMap((sub) => issueProblems(sub, where));
  }
  if (issue.code === 'unrecognized_keys') return [{ path, message: `unknown key(s) ${quoted(issue.keys)}` }];
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ path, message: issue.expected === 'nonoptional' ? 'required' : `required (expected ${issue.expected})` }];
  }
  return [{ path, message: 'input' in issue ? withInput(issue.message, issue.input) : issue.message }];
}

function withInput(message: string, input: unknown): string {
  if (input === undefined || typeof input === 'object') return message;
  const shown = describeValue(input);
  return message.includes(shown) ? message : `${message} (got ${shown})`;
}

function zodProblems(error: z.ZodError, prefix: readonly PropertyKey[] = []): Problem[] {
  return error.issues.flatMap((issue) => issueProblems(issue, prefix));
}

function prefixed(problems: readonly Problem[], prefix: string): Problem[] {
  return problems.map((p) => ({
    path: p.path === '' ? prefix : p.path.startsWith('[') ? `${prefix}${p.path}` : `${prefix}.${p.path}`,
    message: p.message,
  }));
}

function problemsOf(err: unknown): Problem[] | null {
  return err instanceof AutodiscoError && err.problems.length > 0 ? [...err.problems] : null;
}

export interface ValidateScenarioOptions {
  /** Client profile names `expect` may use; when given, any other key is a problem. */
  profiles?: readonly string[];
}

const documentShape = z.strictObject({
  ...headerFields,
  dns: z.unknown().optional(),
  hosts: z.array(z.unknown()).default([]),
  directory: z.unknown().optional(),
});

/**
 * Checks one answer by the one key that names its kind (`status`, `html`, …), so that its problems are those of
 * that kind; a union would report the problems of whichever kind zod tried last.
 */
function checkAnswer(
  raw: unknown,
  where: readonly PropertyKey[],
  nested: boolean,
): { answer: AnswerSpec; problems: [] } | { answer: null; problems: Problem[] } {
  const path = formatPath(where);
  const allowed = nested ? ANSWER_KEYS.filter((k) => k !== 'delayMs') : ANSWER_KEYS;
  const fail = (message: string) => ({ answer: null, problems: [{ path, message }] });
  if (!isRecord(raw)) return fail(`expected an answer with one of ${quoted(allowed)} (got ${describeValue(raw)})`);
  // A redirect carries a status of its own: there, `status` does not name a kind.
  const present = ANSWER_KEYS.filter((k) => k in raw && !(k === 'status' && 'redirect' in raw));
  if (present.length > 1) return fail(`one kind of answer per route: found ${quoted(present)}`);
  const kind = present[0];
  if (kind === undefined) {
    const got = Object.keys(raw).length === 0 ? 'an empty answer' : `keys ${quoted(Object.keys(raw))}`;
    return fail(`expected an answer with one of ${quoted(allowed)} (got ${got})`);
  }
  if (kind === 'delayMs' && nested) return fail('a delay leads to an immediate answer, not to another delay');
  const parsed = ANSWER_KINDS[kind].safeParse(raw, { reportInput: true });
  const problems = parsed.success ? [] : zodProblems(parsed.error, where);
  if (kind === 'delayMs') {
    // A missing `then` is reported by the shape check.
    if (raw['then'] !== undefined) {
      const then = checkAnswer(raw['then'], [...where, 'then'], true);
      problems.push(...then.problems);
      if (parsed.success && then.answer !== null && problems.length === 0) {
        const answer: AnswerSpec = {
          delayMs: (parsed.data as { delayMs: number }).delayMs,
          // biome-ignore lint/suspicious/noThenProperty: scenario data; a nested answer is never a delay (see above)
          then: then.answer as ImmediateAnswerSpec,
        };
        return { answer, problems: [] };
      }
    }
  }
  if (!parsed.success || problems.length > 0) return { answer: null, problems };
  return { answer: parsed.data as AnswerSpec, problems: [] };
}

/** A host: its shape, then each answer on its own. */
function checkHost(raw: unknown, index: number): { host: HostSpec | null; problems: Problem[] } {
  const parsed = hostShape.safeParse(raw, { reportInput: true });
  const problems = parsed.success ? [] : zodProblems(parsed.error, ['hosts', index]);
  const rawRoutes = isRecord(raw) && Array.isArray(raw['routes']) ? (raw['routes'] as unknown[]) : [];
  const answers = rawRoutes.map((route, j) => {
    if (!isRecord(route) || !('answer' in route)) return null; // the shape check reported it
    const checked = checkAnswer(route['answer'], ['hosts', index, 'routes', j, 'answer'], false);
    problems.push(...checked.problems);
    return checked.answer;
  });
  if (!parsed.success || problems.length > 0) {
    // In document order: the host's own fields, then route by route (stable, so shape before answer).
    const route = (p: Problem) => Number(/\.routes\[(\d+)\]/.exec(p.path)?.[1] ?? -1);
    return { host: null, problems: problems.sort((a, b) => route(a) - route(b)) };
  }
  const host: HostSpec = {
    ...parsed.data,
    routes: parsed.data.routes.map((route, j) => ({ ...route, answer: answers[j] as AnswerSpec })),
  };
  return { host, problems: [] };
}

function hostChecks(host: HostSpec, index: number): Problem[] {
  const at = `hosts[${index}]`;
  const problems: Problem[] = [];
  if (host.https && host.http && host.https.port === host.http.port) {
    problems.push({ path: `${at}.http.port`, message: `port ${host.http.port} is also the https port` });
  }
  const seen = new Map<string, number>();
  host.routes.forEach((route, j) => {
    const rpath = `${at}.routes[${j}]`;
    for (const scheme of ['https', 'http'] as const) {
      if (route.scheme === scheme && host[scheme] === undefined) {
        problems.push({ path: `${rpath}.scheme`, message: `this host has no ${scheme} listener` });
      }
    }
    const key = `${route.path.toLowerCase()} ${route.method} ${route.scheme}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ path: `${rpath}.path`, message: `never used: routes[${first}] answers the same requests first` });
    } else seen.set(key, j);
  });
  return problems;
}

/** validateConfig for every autodisco answer of a host (its cross-record rules: duplicates, unknown domains). */
function autodiscoChecks(raw: unknown, index: number): Problem[] {
  if (!isRecord(raw) || !Array.isArray(raw['routes'])) return [];
  const problems: Problem[] = [];
  raw['routes'].forEach((route: unknown, j: number) => {
    if (!isRecord(route) || !isRecord(route['answer'])) return;
    const answer = route['answer'];
    const at = `hosts[${index}].routes[${j}].answer`;
    const targets: [unknown, string][] = [[answer['autodisco'], `${at}.autodisco`]];
    if (isRecord(answer['then'])) targets.push([answer['then']['autodisco'], `${at}.then.autodisco`]);
    for (const [config, path] of targets) {
      if (config === undefined) continue;
      try {
        validateConfig(config, path);
      } catch (err) {
        problems.push(...prefixed(problemsOf(err) ?? [], path));
      }
    }
  });
  return problems;
}

/**
 * Validates a parsed scenario document completely: the header, the DNS, each host and the directory on their own,
 * then the rules that span them (host references, zone contents, duplicate ids, autodisco configurations,
 * SCP entries), so every problem is reported at once with its path. Throws ADK_ERR_CONFIG_INVALID.
 */
export function validateScenario(
  document: unknown,
  source = 'scenario',
  options: ValidateScenarioOptions = {},
): Scenario {
  const fail = (problems: Problem[]) =>
    new AutodiscoError('ADK_ERR_CONFIG_INVALID', `${source}: ${problems.length} problem(s) in the scenario`, {
      problems,
    });
  const top = documentShape.safeParse(document ?? {}, { reportInput: true });
  if (!top.success) {
    // The sections are still checked, so one run lists everything.
    const problems = zodProblems(top.error);
    if (isRecord(document)) problems.push(...sectionProblems(document, options).problems);
    throw fail(problems);
  }
  const { problems, dns, hosts, directory } = sectionProblems(top.data, options);
  if (problems.length > 0) throw fail(problems);
  const { dns: _dns, hosts: _hosts, directory: _directory, ...header } = top.data;
  const scenario: Scenario = { ...header, dns: dns ?? { zones: [], faults: [] }, hosts: hosts ?? [] };
  if (directory !== undefined) scenario.directory = directory;
  return scenario;
}

interface Sections {
  problems: Problem[];
  dns: DnsSpec | undefined;
  hosts: HostSpec[] | undefined;
  directory: DirectorySpec | undefined;
}

function sectionProblems(document: Record<string, unknown>, options: ValidateScenarioOptions): Sections {
  const problems: Problem[] = [];

  // expect: keys against the known profiles
  if (options.profiles !== undefined && isRecord(document['expect'])) {
    for (const key of Object.keys(document['expect'])) {
      if (!options.profiles.includes(key)) {
        problems.push({
          path: `expect.${key}`,
          message: `unknown client profile "${key}" (expected one of ${quoted(options.profiles)})`,
        });
      }
    }
  }

  // hosts: each on its own, then ids
  const rawHosts = Array.isArray(document['hosts']) ? (document['hosts'] as unknown[]) : [];
  const hosts: HostSpec[] = [];
  let hostsOk = true;
  const ids = new Map<string, number>();
  rawHosts.forEach((raw, index) => {
    const checked = checkHost(raw, index);
    problems.push(...checked.problems);
    if (checked.host !== null) {
      hosts.push(checked.host);
      problems.push(...hostChecks(checked.host, index), ...autodiscoChecks(raw, index));
    } else hostsOk = false;
    const name = isRecord(raw) ? raw['name'] : undefined;
    if (typeof name !== 'string') return;
    const first = ids.get(name.toLowerCase());
    if (first !== undefined) {
      problems.push({ path: `hosts[${index}].name`, message: `"${name}" is already the name of hosts[${first}]` });
    } else ids.set(name.toLowerCase(), index);
  });

  // dns: structure, host references, then the zone rules of the DNS server itself
  let dns: DnsSpec | undefined;
  if (document['dns'] !== undefined) {
    const parsed = dnsSchema.safeParse(document['dns'], { reportInput: true });
    if (!parsed.success) problems.push(...zodProblems(parsed.error, ['dns']));
    else {
      dns = parsed.data;
      dns.zones.forEach((zone, i) => {
        zone.records.forEach((r, j) => {
          const ref = r.type === 'A' ? HOST_REFERENCE.exec(r.value) : null;
          if (ref !== null && !ids.has((ref[1] ?? '').toLowerCase())) {
            const known = [...ids.keys()];
            problems.push({
              path: `dns.zones[${i}].records[${j}].value`,
              message: `no host is named "${ref[1]}" (${known.length === 0 ? 'the scenario has no hosts' : `hosts: ${quoted(known)}`})`,
            });
          }
        });
      });
      try {
        compileZones(scenarioZones(dns, () => '127.0.0.1'));
      } catch (err) {
        problems.push(...prefixed(problemsOf(err) ?? [], 'dns'));
      }
    }
  }

  // directory: structure, then what buildScpDirectory checks (one of url/pointer, unique servers, the base DN)
  let directory: DirectorySpec | undefined;
  if (document['directory'] !== undefined) {
    const parsed = directorySchema.safeParse(document['directory'], { reportInput: true });
    if (!parsed.success) problems.push(...zodProblems(parsed.error, ['directory']));
    else {
      directory = parsed.data;
      try {
        buildScpDirectory(scpDirectoryOptions(directory));
      } catch (err) {
        problems.push(...prefixed(problemsOf(err) ?? [], 'directory'));
      }
    }
  }
  return { problems, dns, hosts: hostsOk ? hosts : undefined, directory };
}
