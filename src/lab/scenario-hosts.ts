/**
 * A lab host in a scenario: its id, its listeners, and its routes with their answers (the real autodisco server, a
 * fixed reply, an HTML page, a redirect, a delay, a hang or a reset).
 */
import { z } from 'zod';
import { configFile } from '../settings/schema.js';
import { httpSchema, httpsSchema } from './scenario-certificates.js';

/** Ids of scenarios and hosts: what `host:<id>` and the CLI refer to. */
const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/i;
/** `host:<id>` in an A record: "the address this lab gave that host". */
export const HOST_REFERENCE = /^host:([a-z0-9][a-z0-9._-]*)$/i;

const hostId = z
  .string()
  .regex(ID_PATTERN, 'expected an id: letters, digits, ".", "_" or "-", starting with a letter or digit')
  .describe('An id for this host, used by `host:<id>` in A records and in the lab output (e.g. "exchange", "web").');

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
  soap: z
    .boolean()
    .optional()
    .describe(
      'false: no SOAP Autodiscover (autodiscover.svc answers 404 and the POX answers carry no X-SOAP-Enabled), as `autodisco serve --no-soap`. Default: served.',
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
export const ANSWER_KINDS = {
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
export const hostShape = hostOf(z.unknown());

export type HostSpec = z.output<typeof hostSchema>;
export type RouteSpec = z.output<typeof routeSchema>;
export type AnswerSpec = z.output<typeof answerSchema>;
export type ImmediateAnswerSpec = z.output<typeof immediateAnswer>;

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
