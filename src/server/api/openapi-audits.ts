/** The OpenAPI paths of /api/v1/audits... (audits-routes.ts), from the same query shapes the routes check. */
import { PROFILE_NAMES } from '../../discover/profiles.js';
import { OUTCOME_FILTERS } from './audits-query.js';

type Answer = (description: string, name?: string) => Record<string, unknown>;

const paging = [
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
];

const result = {
  type: 'object',
  properties: {
    domain: { type: 'string' },
    client: { type: 'string', enum: PROFILE_NAMES },
    at: { type: 'string', format: 'date-time' },
    outcome: { type: 'string', enum: ['settings', 'prompt', 'failed'] },
    codes: { type: 'array', items: { type: 'string' }, description: 'finding codes (docs/findings.md), sorted' },
    certNotAfter: { type: ['string', 'null'], description: 'earliest expiry of the certificates the client used' },
    ms: { type: ['number', 'null'] },
  },
};

const page = (item: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties: {
    ...extra,
    items: { type: 'array', items: item },
    total: { type: 'integer' },
    offset: { type: 'integer' },
    limit: { type: 'integer' },
  },
  required: ['items', 'total', 'offset', 'limit'],
});

const ok = (description: string, schema: Record<string, unknown>) => ({
  description,
  content: { 'application/json': { schema } },
});

export function auditPaths(errors: Record<number, unknown>, answer: Answer): Record<string, unknown> {
  const store = {
    404: answer(
      'no results store yet (`error: "no-results"`; the message has the `autodisco audit` command that makes one), or no result of this domain',
      'Error',
    ),
    422: answer('a bad query parameter, named with what was expected', 'Error'),
    503: answer(
      'the --audit-db store cannot be read: not a results store, or its PostgreSQL database does not answer',
      'Error',
    ),
    ...errors,
  };
  return {
    '/api/v1/audits': {
      get: {
        summary: 'the runs of `autodisco audit` and `watch` in the results store (serve --audit-db), newest first',
        parameters: paging,
        responses: {
          200: ok(
            'a page of runs',
            page({
              type: 'object',
              properties: {
                id: { type: 'integer' },
                startedAt: { type: 'string' },
                finishedAt: { type: ['string', 'null'] },
                clients: { type: 'array', items: { type: 'string' } },
                addresses: { type: 'integer' },
                interrupted: { type: 'boolean' },
              },
            }),
          ),
          ...store,
        },
      },
    },
    '/api/v1/audits/latest': {
      get: {
        summary:
          'the latest result of every domain and client: outcome counts per client, domains per finding code (summary, unfiltered), and a page of domains (filtered, ordered by name)',
        parameters: [
          { name: 'client', in: 'query', schema: { type: 'string', enum: PROFILE_NAMES } },
          {
            name: 'outcome',
            in: 'query',
            schema: { type: 'string', enum: OUTCOME_FILTERS },
            description: 'broken: any outcome but settings',
          },
          { name: 'code', in: 'query', schema: { type: 'string' }, description: 'a finding code the result has' },
          { name: 'search', in: 'query', schema: { type: 'string' }, description: 'part of the domain name' },
          ...paging,
        ],
        responses: {
          200: ok(
            'the summary and a page of domains with their latest result per client',
            page(
              {
                type: 'object',
                properties: { domain: { type: 'string' }, results: { type: 'array', items: result } },
              },
              {
                summary: {
                  type: 'object',
                  properties: {
                    domains: { type: 'integer' },
                    broken: { type: 'integer', description: 'domains where some client gets no settings' },
                    latestAt: { type: ['string', 'null'] },
                    byClient: { type: 'array', items: { type: 'object' } },
                    codes: { type: 'array', items: { type: 'object' } },
                  },
                },
              },
            ),
          ),
          ...store,
        },
      },
    },
    '/api/v1/audits/trend': {
      get: {
        summary: 'domains and broken domains of each of the last runs, oldest first',
        parameters: [{ name: 'runs', in: 'query', schema: { type: 'integer', minimum: 2, maximum: 200, default: 30 } }],
        responses: {
          200: ok('the points', {
            type: 'object',
            properties: {
              points: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    runId: { type: 'integer' },
                    startedAt: { type: 'string' },
                    domains: { type: 'integer' },
                    broken: { type: 'integer' },
                  },
                },
              },
            },
          }),
          ...store,
        },
      },
    },
    '/api/v1/audits/domains/{domain}': {
      parameters: [{ name: 'domain', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary:
          "one domain's history: latest result per client, since when each is broken, events newest first, and the latest kept report per client (the discover contract)",
        parameters: [
          { name: 'events', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        ],
        responses: {
          200: ok('the history', {
            type: 'object',
            properties: {
              domain: { type: 'string' },
              latest: { type: 'array', items: result },
              brokenSince: { type: 'array', items: { type: 'object' } },
              events: { type: 'array', items: { type: 'object' } },
              reports: { type: 'array', items: { type: 'object' } },
            },
          }),
          ...store,
        },
      },
    },
  };
}
