/**
 * /api/v1/diagnoses: start one (202 with its id), read it (the discover contract's report, or the comparison of
 * every client), download it as JSON or as a self-contained HTML file, and follow it live (Server-Sent Events).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StoredDiagnosis } from '../../auth/admin-store.js';
import type { DiscoveryReport } from '../../discover/report.js';
import { compareReports } from '../../discover/text.js';
import { zodProblems } from '../../settings/validate.js';
import { diagnosisRequest } from '../diagnoses/request.js';
import { SECURITY_HEADERS } from '../hardening.js';
import { REPORT_CSS } from '../ui/assets.js';
import { standaloneReport } from '../ui/report-html.js';
import type { AdminContext } from './context.js';
import { needPrincipal } from './principal.js';

const ID = /^[A-Za-z0-9_-]{22}$/;

/** The contract's JSON: one client's report, or `--client all`'s comparison. */
export function contractJson(d: StoredDiagnosis): unknown {
  const reports = d.reports as DiscoveryReport[];
  const request = d.request as { client?: string };
  return request.client === 'all' ? compareReports(reports) : reports[0];
}

export async function diagnoseRoutes(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  const guard = needPrincipal(ctx);
  // --public-diagnose: no session needed to run or read a diagnosis; the ids are unguessable (128 random bits).
  const access = async (request: FastifyRequest, reply: FastifyReply) => {
    if (ctx.options.publicDiagnose && !request.principal) return;
    await guard(request, reply);
  };

  app.post('/api/v1/diagnoses', { preHandler: access }, async (request, reply) => {
    const parsed = diagnosisRequest.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) {
      const problems = zodProblems(parsed.error).map((p) =>
        p.path === 'password' ? { ...p, message: p.message.replace(/ \(got .*\)$/, '') } : p,
      );
      return reply.code(422).send({ error: 'invalid', message: `${problems.length} problem(s)`, problems });
    }
    if (parsed.data.site !== undefined && !ctx.options.directory) {
      const problems = [
        {
          path: 'site',
          message:
            'this server searches no directory (it was started without --diagnose-ldap), so no SCP is read and a site would change nothing; leave it empty',
        },
      ];
      return reply.code(422).send({ error: 'invalid', message: '1 problem(s)', problems });
    }
    const requester = request.principal?.account ?? `ip:${request.ip}`;
    const started = await ctx.diagnoses.start(parsed.data, requester, request.principal?.account ?? null);
    if (!started.ok) {
      const status = started.reason === 'invalid-address' ? 422 : started.reason === 'busy' ? 503 : 429;
      if (started.retryAfterS) reply.header('retry-after', String(started.retryAfterS));
      return reply.code(status).send({ error: started.reason, message: started.message });
    }
    const base = `/api/v1/diagnoses/${started.id}`;
    return reply
      .code(202)
      .header('location', base)
      .send({ id: started.id, report: base, events: `${base}/events`, page: `/ui/diagnoses/${started.id}` });
  });

  const load = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const { id } = request.params;
    if (!ID.test(id)) {
      await reply.code(404).send({ error: 'not-found', message: 'no diagnosis has this id' });
      return undefined;
    }
    const stored = await ctx.diagnoses.find(id);
    if (stored) return stored;
    if (await ctx.diagnoses.isRunning(id)) {
      await reply.code(202).send({ id, status: 'running', events: `/api/v1/diagnoses/${id}/events` });
    } else {
      await reply.code(404).send({ error: 'not-found', message: 'no diagnosis has this id' });
    }
    return undefined;
  };

  app.get<{ Params: { id: string } }>('/api/v1/diagnoses/:id', { preHandler: access }, async (request, reply) => {
    const stored = await load(request, reply);
    return stored ? reply.send(contractJson(stored)) : reply;
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/diagnoses/:id/report.json',
    { preHandler: access },
    async (request, reply) => {
      const stored = await load(request, reply);
      if (!stored) return reply;
      return reply
        .header('content-disposition', `attachment; filename="autodisco-diagnosis-${stored.id}.json"`)
        .type('application/json')
        .send(`${JSON.stringify(contractJson(stored), null, 2)}\n`);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/diagnoses/:id/report.html',
    { preHandler: access },
    async (request, reply) => {
      const stored = await load(request, reply);
      if (!stored) return reply;
      return reply
        .header('content-disposition', `attachment; filename="autodisco-diagnosis-${stored.id}.html"`)
        .header(
          'content-security-policy',
          "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        )
        .type('text/html; charset=utf-8')
        .send(standaloneReport(stored.reports as DiscoveryReport[], REPORT_CSS, stored.createdAt));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/diagnoses/:id/events',
    { preHandler: access },
    async (request, reply) => {
      const { id } = request.params;
      const send = (event: string, data: unknown) =>
        reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const open = () => {
        reply.hijack();
        reply.raw.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
      };
      if (ID.test(id)) {
        let subscription: ReturnType<typeof ctx.diagnoses.subscribe>;
        const pending: [string, unknown][] = [];
        let ready = false;
        subscription = ctx.diagnoses.subscribe(id, (e) => {
          if (!ready) pending.push([e.type, e]);
          else {
            send(e.type, e);
            if (e.type === 'done' || e.type === 'error') reply.raw.end();
          }
        });
        if (subscription) {
          open();
          ready = true;
          for (const [type, e] of pending) send(type, e);
          if (subscription.done || pending.some(([t]) => t === 'done' || t === 'error')) reply.raw.end();
          request.raw.on('close', () => subscription?.unsubscribe());
          return reply;
        }
        // Running in another worker (serve --workers N), or finished there a moment ago: follow it from the store.
        let opened = false;
        let gone = false;
        request.raw.on('close', () => {
          gone = true;
        });
        const followed = await ctx.diagnoses.followStored(
          id,
          (e) => {
            if (!opened) {
              open();
              opened = true;
            }
            send(e.type, e);
          },
          () => gone,
        );
        if (followed) {
          if (!opened) open();
          reply.raw.end();
          return reply;
        }
        const stored = await ctx.diagnoses.find(id);
        if (stored) {
          // Finished before the client connected: the stored reports and the end.
          open();
          for (const report of stored.reports as DiscoveryReport[])
            send('report', { type: 'report', client: report.client, report });
          send('done', { type: 'done', id });
          reply.raw.end();
          return reply;
        }
      }
      return reply.code(404).send({ error: 'not-found', message: 'no diagnosis has this id' });
    },
  );
}
