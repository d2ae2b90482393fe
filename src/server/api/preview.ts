/**
 * "What will Outlook get?": the answer a client would receive for an address if the domain or user being edited
 * were saved. The unsaved record is checked as `import` checks it, put with the stored domains (and the address's
 * stored user) into a throw-away in-memory store, and the real server answers the client's real request: the
 * preview is the server's own output, not a second renderer that could drift from it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NS } from '../../formats/pox/namespaces.js';
import { checkEmailAddress, type UserRecord } from '../../settings/schema.js';
import { zodProblems } from '../../settings/validate.js';
import { checkDomain, checkUser } from '../../settings/validate-record.js';
import { SqliteStore } from '../../store/sqlite.js';
import { buildApp } from '../app.js';
import { createLogger } from '../logger.js';
import { ServerMetrics } from '../metrics.js';
import type { AdminContext } from './context.js';

export const previewRequest = z.strictObject({
  email: z.string().min(3).max(320).describe('the address the client asks for'),
  format: z.enum(['outlook', 'activesync', 'autoconfig', 'json-v2']).default('outlook'),
  domain: z.unknown().optional().describe('an unsaved domain record, used instead of the stored one of that name'),
  user: z.unknown().optional().describe('an unsaved user record, used instead of the stored one'),
});

const pox = (schema: string, request: string, email: string) =>
  `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="${request}"><Request><EMailAddress>${email}</EMailAddress><AcceptableResponseSchema>${schema}</AcceptableResponseSchema></Request></Autodiscover>`;

export async function previewRoutes(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  app.post('/api/v1/preview', async (request, reply) => {
    const parsed = previewRequest.safeParse(request.body ?? {}, { reportInput: true });
    const invalid = (problems: { path: string; message: string }[]) =>
      reply.code(422).send({ error: 'invalid', message: `${problems.length} problem(s)`, problems });
    if (!parsed.success) return invalid(zodProblems(parsed.error));
    const { format, domain, user } = parsed.data;
    const address = checkEmailAddress(parsed.data.email);
    if (!('email' in address))
      return invalid([{ path: 'email', message: `expected local@domain.tld (${address.problem})` }]);
    const email = address.email;

    let domains = (await ctx.store.listDomains({ offset: 0, limit: 1_000_000 })).items;
    if (domain !== undefined) {
      const name = (domain as { name?: unknown } | null)?.name;
      const checked = checkDomain(
        domains.filter((d) => d.name !== name),
        domain,
      );
      if (!checked.ok) return invalid(checked.problems);
      domains = [...domains.filter((d) => d.name !== checked.value.name), checked.value];
    }
    let users: UserRecord[] = [];
    if (user !== undefined) {
      const checked = checkUser(domains, [], user);
      if (!checked.ok) return invalid(checked.problems);
      users = checked.value.email === email ? [checked.value] : [];
    }
    if (users.length === 0) {
      const stored = await ctx.store.findUser(email);
      if (stored) users = [stored];
    }

    const scratch = new SqliteStore(':memory:');
    const server = buildApp(
      { store: scratch, logger: createLogger({ level: 'silent' }), metrics: new ServerMetrics(), now: ctx.now },
      { transport: 'https' },
    );
    try {
      await scratch.replaceAll({ domains, users });
      const host = `autodiscover.${email.slice(email.lastIndexOf('@') + 1)}`;
      const answer =
        format === 'outlook' || format === 'activesync'
          ? await server.inject({
              method: 'POST',
              url: '/autodiscover/autodiscover.xml',
              headers: { host, 'content-type': 'text/xml' },
              payload:
                format === 'outlook'
                  ? pox(NS.outlookResponse, NS.outlookRequest, email)
                  : pox(NS.mobilesyncResponse, NS.mobilesyncRequest, email),
            })
          : await server.inject({
              method: 'GET',
              url:
                format === 'autoconfig'
                  ? `/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(email)}`
                  : `/autodiscover/autodiscover.json/v1.0/${encodeURIComponent(email)}?Protocol=AutodiscoverV1`,
              headers: { host: format === 'autoconfig' ? `autoconfig.${host.slice('autodiscover.'.length)}` : host },
            });
      return {
        format,
        status: answer.statusCode,
        contentType: String(answer.headers['content-type'] ?? ''),
        ...(answer.headers.location ? { location: String(answer.headers.location) } : {}),
        body: answer.body,
      };
    } finally {
      await server.close();
      await scratch.close();
    }
  });
}
