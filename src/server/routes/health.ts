import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app.js';

export async function healthRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  // Cheap on purpose: one indexed read proves the store answers, without counting millions of rows.
  app.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    // A database server that went away (PostgreSQL): the instance still answers from what it last read, so the
    // status stays 200 (a load balancer keeps it; pulling every instance at once would be an outage) and the
    // body says degraded, since when and why, for monitoring.
    // Domains and recent users are answered from memory: ask the database itself (one query per check).
    await ctx.store.ping?.();
    const health = ctx.store.health?.();
    if (health?.status === 'degraded') {
      return reply.send({ status: 'degraded', reason: health.reason, since: health.since });
    }
    try {
      await ctx.store.findDomain('healthz.invalid');
      return reply.send({ status: 'ok' });
    } catch (err) {
      _request.log.error({ err }, 'health check: the store failed');
      return reply.code(503).send({ status: 'error', reason: 'the settings store does not answer' });
    }
  });
  // Only when asked: /metrics on an Autodiscover listener is public (`serve --metrics` binds it elsewhere).
  if (ctx.options.metricsEndpoint === true) {
    app.get('/metrics', async (_request, reply) => {
      return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    });
  }
}
