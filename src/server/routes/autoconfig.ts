/**
 * Thunderbird autoconfig: /mail/config-v1.1.xml (on autoconfig.<domain>) and
 * /.well-known/autoconfig/mail/config-v1.1.xml (on <domain>). `emailaddress` is optional: K-9 and Thunderbird
 * for Android never send it, so the Host header names the domain and the username keeps its placeholders.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderAutoconfig } from '../../formats/autoconfig.js';
import { type Answer, type ResolvedSettings, resolveAnswer, splitAddress } from '../../settings/resolve.js';
import type { DomainSettings } from '../../settings/schema.js';
import type { RouteContext } from '../app.js';
import { domainFromHost, lookupFollowingMoves, normalizeAddress } from '../lookup.js';
import { queryParam } from './query.js';

const outcome = (kind: Answer['kind']) => (kind === 'not-found' ? 'not-found' : 'moved-elsewhere');

/** The domains the answer lists: the answered domain and its aliases. */
function domainsOf(domain: DomainSettings | undefined, settings: ResolvedSettings): string[] {
  return domain ? [domain.name, ...domain.aliases] : [splitAddress(settings.email ?? `x@${settings.domain}`).domain];
}

export async function autoconfigRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const notFound = (request: FastifyRequest, reply: FastifyReply, outcome: string) => {
    request.outcome = outcome;
    return reply.code(404).type('text/plain; charset=utf-8').send('No configuration for this domain\n');
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    request.endpoint = 'autoconfig';
    const raw = queryParam(request, 'emailaddress');
    let xml: string;
    if (raw !== undefined && raw !== '' && !raw.includes('%EMAIL')) {
      const email = normalizeAddress(raw);
      if (!email) {
        request.outcome = 'invalid-request';
        return reply
          .code(400)
          .type('text/plain; charset=utf-8')
          .send('The "emailaddress" query parameter must be an e-mail address, e.g. ?emailaddress=you@example.com\n');
      }
      request.address = email;
      const found = await lookupFollowingMoves(ctx.store, email);
      const { answer, domain } = found;
      if (answer.kind !== 'settings') return notFound(request, reply, outcome(answer.kind));
      const domains = domainsOf(domain, answer.settings);
      // The domain's answer compiled once per user shape, filled with this user's values.
      xml = ctx.templates.xml({ ...found, answer }, 'autoconfig', (a) => renderAutoconfig(a.settings, { domains }));
    } else {
      let domain = await domainFromHost(ctx.store, request.headers.host, ['autoconfig.']);
      // A domain that moved wholesale answers with its new home's settings, if this server has them.
      if (domain?.redirect && 'domain' in domain.redirect) domain = await ctx.store.findDomain(domain.redirect.domain);
      const answer = resolveAnswer(domain, undefined, undefined);
      if (answer.kind !== 'settings') return notFound(request, reply, outcome(answer.kind));
      xml = renderAutoconfig(answer.settings, { domains: domainsOf(domain, answer.settings) });
    }
    request.outcome = 'settings';
    return reply.type('text/xml; charset=utf-8').header('cache-control', 'private, max-age=300').send(xml);
  };

  app.get('/mail/config-v1.1.xml', handle);
  app.get('/.well-known/autoconfig/mail/config-v1.1.xml', handle);
}
