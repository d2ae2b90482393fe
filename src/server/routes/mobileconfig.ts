/** Apple configuration profile: GET /email.mobileconfig?email=… (signed when a signing key is configured). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderMobileconfig } from '../../formats/mobileconfig.js';
import { signProfile } from '../../formats/sign-profile.js';
import type { RouteContext } from '../app.js';
import { answerFollowingMoves, normalizeAddress } from '../lookup.js';
import { queryParam } from './query.js';

export async function mobileconfigRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get('/email.mobileconfig', async (request: FastifyRequest, reply: FastifyReply) => {
    request.endpoint = 'mobileconfig';
    const raw = queryParam(request, 'email') ?? queryParam(request, 'emailaddress');
    const email = normalizeAddress(raw);
    if (!email) {
      request.outcome = 'invalid-request';
      return reply
        .code(400)
        .type('text/plain; charset=utf-8')
        .send(
          'The "email" query parameter must be an e-mail address, e.g. /email.mobileconfig?email=you@example.com\n',
        );
    }
    request.address = email;
    const answer = await answerFollowingMoves(ctx.store, email);
    if (answer.kind !== 'settings' || answer.settings.servers.length === 0) {
      request.outcome = answer.kind === 'settings' ? 'no-mail-servers' : 'not-found';
      return reply.code(404).type('text/plain; charset=utf-8').send('No configuration for this address\n');
    }
    const plist = renderMobileconfig(answer.settings, { now: ctx.now() });
    const body = ctx.signer ? await signProfile(plist, ctx.signer) : Buffer.from(plist, 'utf8');
    request.outcome = ctx.signer ? 'signed' : 'unsigned';
    return reply
      .type('application/x-apple-aspen-config')
      .header('content-disposition', `attachment; filename="${answer.settings.domain}.mobileconfig"`)
      .header('cache-control', 'private, no-store')
      .send(body);
  });
}
