/**
 * The admin layer, as one encapsulated Fastify plugin: the JSON API under /api/v1/ and, when asked, the pages
 * under /ui/. Its parsers (JSON, forms), cookies, error answers and page headers stay inside this scope: the
 * Autodiscover routes beside it keep their own (bodies read as text whatever the type, fixed-text errors).
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { html } from '../ui/html.js';
import { page } from '../ui/layout.js';
import { uiRoutes } from '../ui/routes.js';
import { auditsRoutes } from './audits-routes.js';
import type { AdminContext } from './context.js';
import { diagnoseRoutes } from './diagnose-routes.js';
import { openApiRoutes } from './openapi.js';
import { previewRoutes } from './preview.js';
import { identify, needPrincipal } from './principal.js';
import { settingsRoutes } from './settings-routes.js';
import { tokenRoutes } from './token-routes.js';
import { IMPORT_BODY_LIMIT, transferRoutes, YAML_TYPES } from './transfer-routes.js';

/** Forms and API bodies: a domain with every setting is a few KiB; users are posted one at a time. */
const ADMIN_BODY_LIMIT = 256 * 1024;

/** The page of a UI request while the accounts database is away (the message names no secret). */
function unavailablePage(message: string): string {
  return page(
    'The admin pages are unavailable',
    html`<p role="alert">${message}.</p>
<p>Autodiscover clients are still answered from the settings last read. The admin pages and API come back by
themselves when the database answers again: <a href="">try this page again</a> in a few seconds.</p>`,
  );
}

export async function adminPlugin(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: ADMIN_BODY_LIMIT },
    app.getDefaultJsonParser('error', 'error'),
  );
  // A configuration file for /api/v1/import, read as text (its own, larger limit).
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_r, body, done) =>
    done(null, body),
  );
  await app.register(formbody, { bodyLimit: ADMIN_BODY_LIMIT });
  await app.register(cookie);
  app.addHook('onRequest', identify(ctx));

  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    // 503: the accounts database is away (postgres-admin-store.ts); its message says so and names no secret.
    const unavailable = error.statusCode === 503;
    const status =
      unavailable || (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) ? error.statusCode! : 500;
    if (status >= 500) request.log.error({ err: error }, 'admin request failed');
    if (unavailable) reply.header('retry-after', '5');
    if (unavailable && request.url.startsWith('/ui/')) {
      // A person at a browser, not a script: a page that says what is wrong and that Autodiscover goes on.
      reply.code(503).type('text/html; charset=utf-8').send(unavailablePage(error.message));
      return;
    }
    reply.code(status).send({
      error:
        status === 415
          ? 'unsupported-media-type'
          : unavailable
            ? 'unavailable'
            : status >= 500
              ? 'internal'
              : 'bad-request',
      // The framework's 4xx messages name the problem (bad JSON, too large); they never echo the body.
      message: status >= 500 && !unavailable ? 'the request failed; the server log has the details' : error.message,
    });
  });

  await app.register(async (api) => {
    api.addHook('preHandler', needPrincipal(ctx));
    await api.register(settingsRoutes, ctx);
    await api.register(tokenRoutes, ctx);
    await api.register(previewRoutes, ctx);
    await api.register(transferRoutes, ctx);
    await api.register(auditsRoutes, ctx);
  });
  await app.register(diagnoseRoutes, ctx);
  await app.register(openApiRoutes, ctx);
  if (ctx.options.ui) await app.register(uiRoutes, ctx);
}
