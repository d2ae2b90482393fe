/**
 * Autodiscover v2 (JSON), both URL forms, anonymous:
 *   GET /autodiscover/autodiscover.json/v1.0/{email}?Protocol=…
 *   GET /autodiscover/autodiscover.json?Email=…&Protocol=…&RedirectCount=…
 * Exact routes only; nothing here forwards a request anywhere (the ProxyShell lesson).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseV2Protocol, renderV2 } from '../../formats/json-v2.js';
import type { RouteContext } from '../app.js';
import { answerForAddress, normalizeAddress } from '../lookup.js';
import { queryParam } from './query.js';

export async function jsonV2Routes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const handle = async (request: FastifyRequest, reply: FastifyReply, rawEmail: string | undefined) => {
    request.endpoint = 'json-v2';
    const rawProtocol = queryParam(request, 'Protocol');
    const protocol = parseV2Protocol(rawProtocol);
    const email = normalizeAddress(rawEmail);
    if (email) request.address = email;
    if (!email) {
      request.outcome = 'invalid-request';
      return reply.code(400).send({
        ErrorCode: 'InvalidUser',
        ErrorMessage:
          'An e-mail address is required, e.g. /autodiscover/autodiscover.json/v1.0/you@example.com?Protocol=EWS',
      });
    }
    const countText = queryParam(request, 'RedirectCount');
    const redirectCount = countText !== undefined && /^\d{1,2}$/.test(countText) ? Number(countText) : undefined;
    // An unsupported protocol is refused before any lookup: the error does not depend on the address.
    const answer = protocol
      ? await answerForAddress(ctx.store, email)
      : ({ kind: 'not-found', reason: 'unknown-domain' } as const);
    const result = renderV2(answer, rawProtocol, { email, ...(redirectCount !== undefined ? { redirectCount } : {}) });
    request.outcome = result.status === 200 ? 'settings' : result.status === 302 ? 'redirect' : `http-${result.status}`;
    if (result.location) reply.header('location', result.location);
    reply.code(result.status).header('cache-control', 'private, no-store');
    return result.body === undefined ? reply.send() : reply.send(result.body);
  };

  app.get('/autodiscover/autodiscover.json/v1.0/:email', (request, reply) =>
    handle(request, reply, (request.params as { email?: string }).email),
  );
  app.get('/autodiscover/autodiscover.json', (request, reply) => handle(request, reply, queryParam(request, 'Email')));
}
