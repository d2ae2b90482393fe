/**
 * /api/v1/audits...: the runs of audit and watch, the latest result of every domain (summary, filters, pages),
 * the broken domains per run, and one domain's history. Read from the results store serve was given
 * (--audit-db); reads need a session or a token, as every /api/v1 read of settings and reports.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { FleetReader } from '../../audit/fleet.js';
import { zodProblems } from '../../settings/validate.js';
import { domainQuery, fleetAccess, latestQuery, runsQuery, trendQuery, unavailable } from './audits-query.js';
import type { AdminContext } from './context.js';

export async function auditsRoutes(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  /** Parses the query, opens the store, answers with `answer`; every refusal is one JSON error. */
  const serve =
    <S extends z.ZodType>(
      schema: S,
      answer: (reader: FleetReader, q: z.infer<S>, request: FastifyRequest) => unknown,
    ) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const q = schema.safeParse(request.query, { reportInput: true });
      if (!q.success) {
        const problems = zodProblems(q.error);
        return reply
          .code(422)
          .send({ error: 'invalid', message: `${problems.length} problem(s) in the query`, problems });
      }
      const access = await fleetAccess(ctx.fleet);
      if (!access.ok) return reply.code(access.status).send({ error: access.error, message: access.message });
      let body: unknown;
      try {
        body = await answer(access.reader, q.data, request);
      } catch (err) {
        const away = unavailable(ctx.fleet, err);
        if (!away) throw err;
        return reply.code(away.status).send({ error: away.error, message: away.message });
      }
      return body === undefined
        ? reply.code(404).send({ error: 'not-found', message: 'no audit result of this domain is stored' })
        : body;
    };

  app.get(
    '/api/v1/audits',
    serve(runsQuery, (reader, q) => reader.runs(q.offset, q.limit)),
  );
  app.get(
    '/api/v1/audits/latest',
    serve(latestQuery, async (reader, q) => ({ summary: await reader.summary(), ...(await reader.domains(q)) })),
  );
  app.get(
    '/api/v1/audits/trend',
    serve(trendQuery, async (reader, q) => ({ points: await reader.trend(q.runs) })),
  );
  app.get(
    '/api/v1/audits/domains/:domain',
    serve(domainQuery, (reader, q, request) => reader.domain((request.params as { domain: string }).domain, q.events)),
  );
}
