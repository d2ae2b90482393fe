/**
 * The OpenAPI 3.1 description of /api/v1/, generated from the same zod definitions the routes validate with
 * (records: src/settings/schema.ts; the API's own shapes: schemas.ts, request.ts). Served at
 * /api/v1/openapi.json and written to schemas/openapi.json by `npm run generate`.
 */
import type { FastifyInstance } from 'fastify';
import { type ZodType, z } from 'zod';
import { domain, user } from '../../settings/schema.js';
import { diagnosisRequest } from '../diagnoses/request.js';
import { auditPaths } from './openapi-audits.js';
import { previewRequest } from './preview.js';
import { errorBody } from './schemas.js';
import { tokenRequest } from './token-routes.js';

const json = (schema: ZodType, io: 'input' | 'output' = 'input') => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const body = (name: string) => ({ required: true, content: { 'application/json': { schema: ref(name) } } });
const answer = (description: string, name?: string) => ({
  description,
  ...(name ? { content: { 'application/json': { schema: ref(name) } } } : {}),
});
const errors = {
  401: answer('no valid session cookie or Bearer token', 'Error'),
  403: answer('a session request without its CSRF token (X-CSRF-Token header)', 'Error'),
};
const list = (item: string) => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: ref(item) },
    total: { type: 'integer' },
    offset: { type: 'integer' },
    limit: { type: 'integer' },
  },
  required: ['items', 'total', 'offset', 'limit'],
});
const listParams = [
  {
    name: 'search',
    in: 'query',
    schema: { type: 'string' },
    description: 'only records whose name or address contains this',
  },
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
];

function collection(kind: 'domains' | 'users', item: 'Domain' | 'User', key: 'name' | 'email') {
  const param = [{ name: key, in: 'path', required: true, schema: { type: 'string' } }];
  const invalid = answer('the record has problems, listed field by field with the messages of `import`', 'Error');
  return {
    [`/api/v1/${kind}`]: {
      get: {
        summary: `list ${kind} (paged, searchable)`,
        parameters: listParams,
        responses: {
          200: { description: 'a page', content: { 'application/json': { schema: list(item) } } },
          ...errors,
        },
      },
      post: {
        summary: `create a ${item.toLowerCase()}`,
        requestBody: body(item),
        responses: { 201: answer('created', item), 409: answer('exists already', 'Error'), 422: invalid, ...errors },
      },
    },
    [`/api/v1/${kind}/{${key}}`]: {
      parameters: param,
      get: {
        summary: `one ${item.toLowerCase()}`,
        responses: { 200: answer('the record', item), 404: answer('not stored', 'Error'), ...errors },
      },
      put: {
        summary: `create or replace a ${item.toLowerCase()}`,
        requestBody: body(item),
        responses: { 200: answer('replaced', item), 201: answer('created', item), 422: invalid, ...errors },
      },
      delete: {
        summary: `delete a ${item.toLowerCase()}`,
        responses: {
          204: { description: 'deleted' },
          404: answer('not stored', 'Error'),
          409: answer('a domain that still has users', 'Error'),
          ...errors,
        },
      },
    },
  };
}

export function openApiDocument(): Record<string, unknown> {
  const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
  const report = {
    description:
      'the discover contract report (schemas/discovery-report.schema.json), or for client "all" the comparison (schemas/discovery-comparison.schema.json)',
    content: { 'application/json': { schema: { type: 'object' } } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'autodisco admin API',
      version: '1',
      description:
        'Manage what autodisco serves and run diagnoses. Authenticate with the session cookie of the web UI (state-changing requests then need the X-CSRF-Token header) or with `Authorization: Bearer <API token>` (`autodisco admin add-token NAME --label L`). Generated from the zod definitions; do not edit.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'adk_session' },
      },
      schemas: {
        Domain: json(domain),
        User: json(user),
        DiagnosisRequest: json(diagnosisRequest),
        TokenRequest: json(tokenRequest),
        PreviewRequest: json(previewRequest),
        Error: json(errorBody, 'output'),
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths: {
      ...collection('domains', 'Domain', 'name'),
      ...collection('users', 'User', 'email'),
      '/api/v1/diagnoses': {
        post: {
          summary: 'start a diagnosis (credentials are used once, never stored or logged)',
          requestBody: body('DiagnosisRequest'),
          responses: {
            202: {
              description: 'started: its id and where to follow it',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      id: { type: 'string' },
                      report: { type: 'string' },
                      events: { type: 'string' },
                      page: { type: 'string' },
                    },
                  },
                },
              },
            },
            422: answer('bad request fields', 'Error'),
            429: answer('too many diagnoses from this requester (Retry-After)', 'Error'),
            503: answer('the most diagnoses this server runs at once are running (Retry-After)', 'Error'),
            ...errors,
          },
        },
      },
      '/api/v1/diagnoses/{id}': {
        parameters: id,
        get: {
          summary: 'the report (the permalink)',
          responses: { 200: report, 202: { description: 'still running' }, 404: answer('unknown id', 'Error') },
        },
      },
      '/api/v1/diagnoses/{id}/report.json': {
        parameters: id,
        get: { summary: 'the report as a JSON download', responses: { 200: report } },
      },
      '/api/v1/diagnoses/{id}/report.html': {
        parameters: id,
        get: {
          summary: 'the report as a self-contained HTML file',
          responses: { 200: { description: 'HTML', content: { 'text/html': {} } } },
        },
      },
      '/api/v1/diagnoses/{id}/events': {
        parameters: id,
        get: {
          summary: 'Server-Sent Events: start, step, report, done (or error), as the engine records them',
          responses: { 200: { description: 'event stream', content: { 'text/event-stream': {} } } },
        },
      },
      '/api/v1/preview': {
        post: {
          summary:
            'what a client would get for an address with an unsaved domain or user (the server answers in a scratch store; nothing is saved)',
          requestBody: body('PreviewRequest'),
          responses: {
            200: { description: 'the answer: status, contentType, location (redirects), body' },
            422: answer('the unsaved record has problems, as import reports them', 'Error'),
            ...errors,
          },
        },
      },
      '/api/v1/export': {
        get: {
          summary: 'every domain and user as the YAML file of `autodisco export`',
          responses: { 200: { description: 'YAML', content: { 'application/yaml': {} } }, ...errors },
        },
      },
      '/api/v1/import': {
        post: {
          summary:
            'replace every domain and user with a YAML file, as `autodisco import` (all or nothing; a snapshot of what it replaces is kept next to the database)',
          parameters: [
            {
              name: 'allowEmpty',
              in: 'query',
              schema: { type: 'boolean' },
              description: 'allow a file without domains to empty the store',
            },
          ],
          requestBody: { required: true, content: { 'application/yaml': { schema: { type: 'string' } } } },
          responses: {
            200: { description: 'imported: counts, previous counts, snapshot path' },
            409: answer('the file has no domains and would empty the store (add ?allowEmpty=true)', 'Error'),
            422: answer('the file has problems, each with its path', 'Error'),
            ...errors,
          },
        },
      },
      '/api/v1/tokens': {
        get: {
          summary: "the caller's API tokens (never the secrets)",
          responses: { 200: { description: 'tokens' }, ...errors },
        },
        post: {
          summary: 'create an API token (its secret is in this answer only)',
          requestBody: body('TokenRequest'),
          responses: { 201: { description: 'the token, shown once' }, ...errors },
        },
      },
      '/api/v1/tokens/{id}': {
        parameters: id,
        delete: { summary: 'delete one of your tokens', responses: { 204: { description: 'deleted' }, ...errors } },
      },
      '/api/v1/sessions': {
        delete: {
          summary: 'logout everywhere: end every session of your account',
          responses: { 200: { description: 'how many ended' }, ...errors },
        },
      },
      ...auditPaths(errors, answer),
      '/api/v1/audit': {
        get: {
          summary: 'the audit log, newest first (who, when, what, before, after)',
          parameters: listParams,
          responses: { 200: { description: 'a page' }, ...errors },
        },
      },
    },
  };
}

export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  const text = openApiJson();
  app.get('/api/v1/openapi.json', async (_request, reply) => reply.type('application/json').send(text));
}
