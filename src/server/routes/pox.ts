/**
 * POST /autodiscover/autodiscover.xml: Outlook POX and ActiveSync (mobilesync) on one URL, chosen by
 * AcceptableResponseSchema; and the HTTP redirect method (GET over plain HTTP → 302 to HTTPS).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type PoxErrorCode, renderPoxError } from '../../formats/pox/error-response.js';
import { renderMobilesyncRedirect, renderMobilesyncSettings } from '../../formats/pox/mobilesync-response.js';
import {
  type OutlookClientCapabilities,
  renderOutlookRedirect,
  renderOutlookSettings,
} from '../../formats/pox/outlook-response.js';
import { type PoxSchema, parsePoxRequest } from '../../formats/pox/request.js';
import type { RouteContext } from '../app.js';
import { domainFromHost, hostFromHeader, type Lookup, lookupAddress, lookupUser, normalizeAddress } from '../lookup.js';
import { SOAP_ENABLED_HEADERS } from './soap.js';

const XML = 'text/xml; charset=utf-8';

function capabilities(request: FastifyRequest): OutlookClientCapabilities {
  const canHandle = String(request.headers['x-clientcanhandle'] ?? '').toLowerCase();
  const mapi = Number.parseInt(String(request.headers['x-mapihttpcapability'] ?? '0'), 10);
  return {
    mapiHttp: Number.isFinite(mapi) && mapi >= 1,
    exHttpInfo: /\bexhttpinfo\b/.test(canHandle),
    negotiate: /\bnegotiate\b/.test(canHandle),
  };
}

export async function poxRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const sendError = (reply: FastifyReply, request: FastifyRequest, code: PoxErrorCode, schema?: PoxSchema) => {
    request.outcome = {
      500: 'not-found',
      501: 'not-found',
      600: 'invalid-request',
      601: 'unsupported-schema',
      603: 'error',
    }[code];
    return reply
      .code(200)
      .type(XML)
      .send(renderPoxError(code, { schema, now: ctx.now(), serverId: ctx.serverId }));
  };

  const lookupFor = async (request: FastifyRequest, email: string | undefined, legacyDN?: string): Promise<Lookup> => {
    // MS-OXDSCLI 3.2.5: when both are given, LegacyDN decides. The row found by LegacyDN is the user's row: it
    // is not read a second time by address.
    if (legacyDN) {
      const user = await ctx.store.findUserByLegacyDN(legacyDN);
      if (!user) return { answer: { kind: 'not-found', reason: 'unknown-user' }, email: email ?? '' };
      request.address = user.email;
      return lookupUser(ctx.store, user);
    }
    if (!email) return { answer: { kind: 'not-found', reason: 'unknown-user' }, email: '' };
    request.address = email;
    return lookupAddress(ctx.store, email);
  };

  const post = async (request: FastifyRequest, reply: FastifyReply) => {
    request.endpoint = 'pox';
    // parseXml refuses any DTD before the parser sees the text, so no entity is ever expanded (600).
    const parsed = parsePoxRequest(typeof request.body === 'string' ? request.body : '');
    if (!parsed.ok) return sendError(reply, request, parsed.error.code, parsed.error.schema);
    const { schema, emailAddress, legacyDN } = parsed.request;
    const email = normalizeAddress(emailAddress);
    // Not an address at all (`x@example.test/evil`): the request is invalid (600), not a lookup that failed (500).
    if (!legacyDN && !email) return sendError(reply, request, 600, schema);
    const found = await lookupFor(request, email, legacyDN);
    const { answer } = found;

    switch (answer.kind) {
      case 'not-found':
        return sendError(reply, request, 500, schema);
      case 'redirectAddr':
        request.outcome = 'redirect-addr';
        return reply
          .type(XML)
          .send(
            schema === 'outlook'
              ? renderOutlookRedirect('redirectAddr', answer.address)
              : renderMobilesyncRedirect(answer.address),
          );
      case 'redirectUrl':
        request.outcome = 'redirect-url';
        // mobilesync has no URL redirect element; MS-OXDSCLI says servers SHOULD use HTTP 302 anyway.
        if (schema === 'mobilesync') return reply.code(302).header('location', answer.url).send();
        return reply.type(XML).send(renderOutlookRedirect('redirectUrl', answer.url));
      case 'settings': {
        const { settings } = answer;
        if (schema === 'mobilesync') {
          const url = settings.activeSyncUrl;
          // The domain offers no ActiveSync: this provider cannot answer for this schema.
          if (!url) return sendError(reply, request, 601, schema);
          request.outcome = 'settings';
          return reply.type(XML).send(renderMobilesyncSettings({ ...settings, activeSyncUrl: url }));
        }
        request.outcome = 'settings';
        const caps = capabilities(request);
        // The domain's answer compiled once per set of capabilities and user shape, filled with this user's values.
        const variant = `outlook:${+caps.mapiHttp}${+caps.exHttpInfo}${+caps.negotiate}`;
        return reply
          .type(XML)
          .header('cache-control', 'private, no-store')
          .send(ctx.templates.xml({ ...found, answer }, variant, (a) => renderOutlookSettings(a.settings, caps)));
      }
    }
  };

  const get = async (request: FastifyRequest, reply: FastifyReply) => {
    // Behind a trusted TLS proxy, X-Forwarded-Proto tells the truth; otherwise the listener does.
    const plainHttp = ctx.options.transport === 'http' && request.protocol === 'http';
    if (!plainHttp) {
      // Exchange answers a GET on the POX URL with an Invalid Request document; capability probes read it.
      request.endpoint = 'pox';
      // The EWS Managed API probes this GET for these headers before it posts SOAP (docs/protocol.md §4.1).
      if (ctx.options.soap !== false) reply.headers(SOAP_ENABLED_HEADERS);
      return sendError(reply, request, 600);
    }
    request.endpoint = 'http-redirect';
    // Only for names this server answers for: never an open redirect to whatever Host a client sends.
    const domain = await domainFromHost(ctx.store, request.headers.host, ['autodiscover.']);
    if (!domain) {
      request.outcome = 'unknown-host';
      return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    }
    const host = hostFromHeader(request.headers.host);
    const port = ctx.options.httpsPort && ctx.options.httpsPort !== 443 ? `:${ctx.options.httpsPort}` : '';
    request.outcome = 'redirect';
    return reply.code(302).header('location', `https://${host}${port}/autodiscover/autodiscover.xml`).send();
  };

  const redirectOnly = ctx.options.transport === 'http' && ctx.options.httpMode !== 'full';
  app.get('/autodiscover/autodiscover.xml', get);
  // A redirect-only plain-HTTP listener takes no POST: credentials must never travel in clear text.
  if (!redirectOnly) app.post('/autodiscover/autodiscover.xml', post);
}
