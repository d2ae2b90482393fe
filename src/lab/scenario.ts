/**
 * Lab scenarios: a YAML document describing a small mail-domain world (DNS zones, web hosts with their
 * certificates and answers, an Active Directory with SCP entries) that `startLab` (lab.ts) brings up on loopback.
 *
 * One zod schema is the TypeScript type, the validator and (via `npm run generate`) the published JSON schema
 * schemas/lab-scenario.schema.json. `validateScenario` reports every problem at once, each with its path
 * (`hosts[1].https.certificate.validity`), in the style of src/settings/validate.ts.
 *
 * A scenario, as an admin writes it:
 *
 *   name: website-cert-mismatch
 *   title: The public website answers https://contoso.test with a certificate for www only
 *   email: chris@contoso.test
 *   expect: { outlook: prompt }
 *   dns:
 *     zones:
 *       - origin: contoso.test
 *         records:
 *           - { name: '@', type: A, value: 'host:web' }          # the address the lab gave host "web"
 *           - { name: autodiscover, type: A, value: 'host:exchange' }
 *   hosts:
 *     - name: web
 *       https: { certificate: { names: [www.contoso.test] } }
 *       routes:
 *         - { path: '*', answer: { html: '<h1>Contoso</h1>' } }
 *     - name: exchange
 *       https: { certificate: { names: [autodiscover.contoso.test] } }
 *       http: {}
 *       routes:
 *         - path: '*'
 *           answer: { autodisco: { domains: [{ name: contoso.test, imap: { host: imap.contoso.test } }] } }
 *
 * Answers: `{ autodisco, httpMode? }` (the real server), `{ status, body?, contentType?, headers? }`, `{ html }`,
 * `{ redirect, status? }`, `{ delayMs, then }`, `{ hang: true }`, `{ reset: true }`. Certificates are described by
 * intent: names, issuer (lab | untrusted | self-signed), via (root | intermediate), sendIntermediate, validity
 * (valid | expired | not-yet-valid | expiring), keyType (ecdsa | rsa).
 */
import { isIP, isIPv4 } from 'node:net';
import { z } from 'zod';
import { compileZones, type Zone, zoneRecordSchema } from '../dns/zone.js';
import { AutodiscoError, type Problem } from '../errors.js';
import { buildScpDirectory } from '../ldap/scp.js';
import { parseYamlText } from '../settings/files.js';
import { configFile, emailAddress } from '../settings/schema.js';
import { formatPath, validateConfig } from '../settings/validate.js';

// ---------------------------------------------------------------------------------------------------------------
// Building blocks

/** Ids of scenarios and hosts: what `host:<id>` and the CLI refer to. */
const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/i;
/** `host:<id>` in an A record: "the address this lab gave that host". */
export const HOST_REFERENCE = /^host:([a-z0-9][a-z0-9._-]*)$/i;

const hostId = z
  .string()
  .regex(ID_PATTERN, 'expected an id: letters, digits, ".", "_" or "-", starting with a letter or digit')
  .describe('An id for this host, used by `host:<id>` in A records and in the lab output (e.g. "exchange", "web").');

const port = z.number().int().min(1).max(65535);

/** A certificate name: a DNS name (wildcards such as `*.contoso.test` allowed) or an IP address (an IP SAN). */
const certificateName = z
  .string()
  .min(1)
  .refine((v) => !/\s/.test(v), { message: 'a certificate name contains no spaces' });

/** A name a client may send in SNI; `*.contoso.test` matches exactly one label below contoso.test. */
const sniName = z
  .string()
  .min(1)
  .refine((v) => !/\s/.test(v) && isIP(v) === 0, { message: 'expected a DNS name (SNI carries no IP addresses)' });

export const certificateSchema = z
  .strictObject({
    names: z
      .array(certificateName)
      .default([])
      .describe(
        'Subject alternative names: DNS names (wildcards allowed) and IP addresses. Empty: a CN-only certificate.',
      ),
    commonName: z.string().min(1).optional().describe('Subject CN. Default: the first name.'),
    issuer: z
      .enum(['lab', 'untrusted', 'self-signed'])
      .default('lab')
      .describe('lab: the root clients are given (caFile); untrusted: a root no client trusts; self-signed.'),
    via: z
      .enum(['root', 'intermediate'])
      .default('intermediate')
      .describe('Issued by the root itself or by the intermediate under it (ignored when self-signed).'),
    sendIntermediate: z
      .boolean()
      .default(true)
      .describe('false: the server sends the leaf alone (the "missing intermediate" misconfiguration).'),
    validity: z
      .enum(['valid', 'expired', 'not-yet-valid', 'expiring'])
      .default('valid')
      .describe('expiring: valid now, expires in 7 days.'),
    keyType: z.enum(['ecdsa', 'rsa']).default('ecdsa'),
  })
  .refine((c) => c.names.length > 0 || c.commonName !== undefined, {
    message: 'give names (or at least a commonName, for a certificate without subject alternative names)',
    path: ['names'],
  });

const httpsSchema = z.strictObject({
  port: port.default(443),
  certificate: certificateSchema.describe('The default certificate: sent when no sni entry matches the client SNI.'),
  sni: z
    .array(
      z.strictObject({
        names: z
          .array(sniName)
          .min(1)
          .optional()
          .describe("SNI names that select this certificate. Default: the certificate's DNS names."),
        certificate: certificateSchema,
      }),
    )
    .default([])
    .describe('Further certificates chosen by the name the client sends in SNI (virtual hosting).'),
});

const httpSchema = z.strictObject({ port: port.default(80) });

// ---------------------------------------------------------------------------------------------------------------
// Answers

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid HTTP header name');

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

const autodiscoAnswer = z.strictObject({
  autodisco: configFile.describe('An autodisco configuration (domains, users) served by the real autodisco server.'),
  httpMode: z
    .enum(['redirect', 'full'])
    .default('redirect')
    .describe(
      'On the HTTP port: redirect answers only the HTTP redirect method (as `autodisco serve`); full serves all.',
    ),
});

const fixedAnswer = z.strictObject({
  status: z.number().int().min(100).max(599),
  body: z.string().default(''),
  contentType: z.string().min(1).default('text/plain; charset=utf-8'),
  headers: z.record(headerName, z.string()).default({}),
});

const htmlAnswer = z.strictObject({ html: z.string().describe('Answered with 200 and text/html.') });

const redirectAnswer = z.strictObject({
  redirect: z.string().refine(isHttpUrl, { message: 'expected an absolute http:// or https:// URL' }),
  status: z.literal([301, 302, 307, 308]).default(302),
});

const hangAnswer = z.strictObject({
  hang: z.literal(true).describe('Read the request and never answer (a client timeout).'),
});

const resetAnswer = z.strictObject({
  reset: z.literal(true).describe('Reset the connection (TCP RST) when the request arrives.'),
});

/** Answers a delay may lead to: any but another delay. */
const immediateAnswer = z.union([autodiscoAnswer, fixedAnswer, htmlAnswer, redirectAnswer, hangAnswer, resetAnswer]);

function delayOf<T extends z.ZodType>(then: T) {
  return z.strictObject({
    delayMs: z.number().int().min(0).max(600_000).describe('Wait this long, then answer as `then` says.'),
    then,
  });
}

export const answerSchema = z.union([
  autodiscoAnswer,
  fixedAnswer,
  htmlAnswer,
  redirectAnswer,
  delayOf(immediateAnswer),
  hangAnswer,
  resetAnswer,
]);

/** The key that names each kind of answer, and the schema of that kind (a delay's `then` is checked apart). */
const ANSWER_KINDS = {
  autodisco: autodiscoAnswer,
  status: fixedAnswer,
  html: htmlAnswer,
  redirect: redirectAnswer,
  delayMs: delayOf(z.unknown()),
  hang: hangAnswer,
  reset: resetAnswer,
} as const;
export type AnswerKind = keyof typeof ANSWER_KINDS;
export const ANSWER_KEYS = Object.keys(ANSWER_KINDS) as AnswerKind[];

/** Routes and hosts over any answer schema: the real one, or `z.unknown()` while answers are checked one by one. */
function routeOf<T extends z.ZodType>(answer: T) {
  return z.strictObject({
    path: z
      .string()
      .refine((p) => p === '*' || p.startsWith('/'), {
        message: 'expected a path such as /autodiscover/autodiscover.xml, or * for any path',
      })
      .describe('Exact path, compared case-insensitively (the query string is ignored); * answers any path.'),
    method: z.enum(['GET', 'POST', 'any']).default('any'),
    scheme: z.enum(['https', 'http', 'any']).default('any').describe('Which of the host listeners this route is on.'),
    answer,
  });
}

function hostOf<T extends z.ZodType>(answer: T) {
  return z
    .strictObject({
      name: hostId,
      https: httpsSchema.optional(),
      http: httpSchema.optional(),
      routes: z
        .array(routeOf(answer))
        .default([])
        .describe('Tried in order: exact paths first, then *. A request no route takes gets 404.'),
    })
    .refine((h) => h.https !== undefined || h.http !== undefined, {
      message: 'a host needs https, http or both',
      path: ['https'],
    });
}

export const routeSchema = routeOf(answerSchema);
export const hostSchema = hostOf(answerSchema);
/** A host with its answers not yet checked. */
const hostShape = hostOf(z.unknown());

// ---------------------------------------------------------------------------------------------------------------
// DNS

const [, , cnameRecord, srvRecord, mxRecord, txtRecord] = zoneRecordSchema.options;
const recordCommon = {
  name: z.string().min(1).describe('Relative to the origin unless it ends with "." or in the origin; @ is the origin.'),
  ttl: z.number().int().min(0).max(2_147_483_647).optional(),
};

const aRecord = z.strictObject({
  ...recordCommon,
  type: z.literal('A'),
  value: z
    .string()
    .refine((v) => isIPv4(v) || HOST_REFERENCE.test(v), {
      message: 'expected an IPv4 address or host:<id of a host in this scenario>',
    })
    .describe('An IPv4 address, or host:<id>: the address the lab gave that host.'),
});
const aaaaRecord = z.strictObject({
  ...recordCommon,
  type: z.literal('AAAA'),
  value: z.ipv6({ message: 'expected an IPv6 address (host:<id> is for A records: lab hosts have IPv4 addresses)' }),
});

export const recordSchema = z.discriminatedUnion('type', [
  aRecord,
  aaaaRecord,
  cnameRecord,
  srvRecord,
  mxRecord,
  txtRecord,
]);

export const dnsSchema = z.strictObject({
  zones: z
    .array(
      z.strictObject({
        origin: z.string().min(1).optional().describe('The zone apex, e.g. contoso.test.'),
        records: z.array(recordSchema).default([]),
      }),
    )
    .default([]),
  faults: z
    .array(
      z.strictObject({
        name: z.string().min(1).describe('Exact name (no wildcards).'),
        type: z
          .enum(['A', 'AAAA', 'CNAME', 'SRV', 'MX', 'TXT'])
          .optional()
          .describe('Only this type; all when absent.'),
        action: z.enum(['drop', 'servfail']).describe('drop: never answer (a timeout); servfail: answer SERVFAIL.'),
      }),
    )
    .default([]),
});

// ---------------------------------------------------------------------------------------------------------------
// Directory

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const isoDate = z.string().refine((v) => ISO_DATE.test(v) && !Number.isNaN(Date.parse(v)), {
  message: 'expected an ISO 8601 date such as 2019-03-04T05:06:07Z',
});

export const directorySchema = z.strictObject({
  baseDN: z.string().min(1).describe('Domain naming context, e.g. DC=contoso,DC=test.'),
  organization: z.string().min(1).optional().describe('Exchange organisation name. Default: First Organization.'),
  clientSite: z
    .string()
    .min(1)
    .optional()
    .describe("The directory site of the client machine: what `lab run` passes as discover's --site."),
  port: port.default(389),
  scps: z
    .array(
      z.strictObject({
        server: z.string().min(1).describe('Client Access server name (the SCP CN).'),
        url: z.string().min(1).optional().describe('URL SCP: https://…/Autodiscover/Autodiscover.xml.'),
        pointer: z.string().min(1).optional().describe('Pointer SCP: LDAP://host[:port].'),
        sites: z.array(z.string().min(1)).default([]).describe('Site=<name> keywords.'),
        domains: z.array(z.string().min(1)).default([]).describe('Domain=<name> keywords.'),
        whenCreated: isoDate.describe('Clients prefer the oldest SCP.'),
      }),
    )
    .default([]),
  bind: z
    .array(z.strictObject({ dn: z.string().min(1), password: z.string() }))
    .optional()
    .describe('Accounts allowed to bind. Absent: anonymous binds read everything.'),
});

// ---------------------------------------------------------------------------------------------------------------
// The document

const profileName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a client profile name such as outlook');

const headerFields = {
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lower-case letters, digits and "-", e.g. website-cert-mismatch')
    .describe('Short id of the scenario.'),
  title: z
    .string()
    .min(1)
    .max(200)
    .refine((t) => !/[\r\n]/.test(t), { message: 'the title is one line (put the story in description)' }),
  description: z.string().default('').describe('The story: what is wrong, what the client meets, how to fix it.'),
  email: emailAddress.describe('The address to look up.'),
  expect: z
    .record(profileName, z.enum(['settings', 'prompt', 'failed']))
    .optional()
    .describe('Expected outcome per client profile, for regression tests.'),
};

export const scenarioSchema = z.strictObject({
  ...headerFields,
  dns: dnsSchema.default({ zones: [], faults: [] }),
  hosts: z.array(hostSchema).default([]),
  directory: directorySchema.optional(),
});

export type Scenario = z.output<typeof scenarioSchema>;
/** What a person writes (before defaults are applied). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type HostSpec = z.output<typeof hostSchema>;
export type RouteSpec = z.output<typeof routeSchema>;
export type AnswerSpec = z.output<typeof answerSchema>;
export type ImmediateAnswerSpec = z.output<typeof immediateAnswer>;
export type CertificateSpec = z.output<typeof certificateSchema>;
export type DnsSpec = z.output<typeof dnsSchema>;
export type RecordSpec = z.output<typeof recordSchema>;
export type DirectorySpec = z.output<typeof directorySchema>;

/** The kind of an answer: the one ANSWER_KEYS key it carries. */
export function answerKind(answer: AnswerSpec): AnswerKind {
  if ('autodisco' in answer) return 'autodisco';
  // A redirect also carries a status; it is the `redirect` key that names the kind.
  if ('redirect' in answer) return 'redirect';
  if ('html' in answer) return 'html';
  if ('delayMs' in answer) return 'delayMs';
  if ('hang' in answer) return 'hang';
  if ('reset' in answer) return 'reset';
  return 'status';
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

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

/** Scenario zones as DNS zones, each `host:<id>` replaced by `addressOf(id)`; unknown ids are left to validation. */
export function scenarioZones(dns: DnsSpec, addressOf: (id: string) => string | undefined): Zone[] {
  return dns.zones.map((zone) => ({
    ...(zone.origin === undefined ? {} : { origin: zone.origin }),
    records: zone.records.map((r) => {
      if (r.type !== 'A') return r;
      const ref = HOST_REFERENCE.exec(r.value);
      if (ref === null) return r;
      return { ...r, value: addressOf((ref[1] ?? '').toLowerCase()) ?? '0.0.0.0' };
    }),
  }));
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

/** The directory section as buildScpDirectory takes it. */
export function scpDirectoryOptions(directory: DirectorySpec) {
  return {
    baseDN: directory.baseDN,
    ...(directory.organization === undefined ? {} : { organization: directory.organization }),
    scps: directory.scps.map((s) => ({
      server: s.server,
      ...(s.url === undefined ? {} : { url: s.url }),
      ...(s.pointer === undefined ? {} : { pointer: s.pointer }),
      sites: s.sites,
      domains: s.domains,
      whenCreated: new Date(s.whenCreated),
    })),
  };
}

/** Parses YAML (or JSON) text and validates it. Unparseable text is ADK_ERR_CONFIG_UNREADABLE. */
export function parseScenario(text: string, source: string, options: ValidateScenarioOptions = {}): Scenario {
  return validateScenario(parseYamlText(text, source), source, options);
}
