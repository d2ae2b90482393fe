/**
 * Who is asking, on every admin request: a session cookie or an `Authorization: Bearer` token. Guards for the
 * routes: `needPrincipal` (401 without either) and, for state-changing requests from a browser session, the CSRF
 * token. CSRF is a synchronizer token: each session has a random token kept server-side with it; pages carry
 * it (a hidden `_csrf` field, or the `X-CSRF-Token` header their script sends) and it is compared in constant
 * time. Bearer tokens need none: a browser never attaches them on its own. SameSite=Strict cookies are a second
 * line, not the only one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/auth.js';
import type { AdminContext } from './context.js';

export const SESSION_COOKIE = 'adk_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    sessionId?: string;
  }
}

export function identify(ctx: AdminContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      request.principal = m?.[1] ? await ctx.auth.fromToken(m[1]) : undefined;
      return; // A bad token is a bad token: the cookie is not tried instead.
    }
    const sessionId = request.cookies[SESSION_COOKIE];
    if (sessionId) {
      request.principal = await ctx.auth.fromSession(sessionId);
      if (request.principal) request.sessionId = sessionId;
    }
  };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The CSRF token a request carries: the header (scripts, the pages' fetch) or the form field. */
export function sentCsrf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  const body = request.body as { _csrf?: unknown } | undefined;
  return typeof body?._csrf === 'string' ? body._csrf : undefined;
}

/** 401 without a valid session or token; 403 for a session's state-changing request without its CSRF token. */
export function needPrincipal(ctx: AdminContext) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const principal = request.principal;
    if (!principal) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="autodisco"')
        .send({ error: 'unauthenticated', message: 'log in, or send Authorization: Bearer <API token>' });
      return;
    }
    if (UNSAFE.has(request.method) && !ctx.auth.csrfMatches(principal, sentCsrf(request))) {
      await reply.code(403).send({
        error: 'csrf',
        message: 'the CSRF token is missing or wrong: reload the page (scripts: use an API token instead of a cookie)',
      });
    }
  };
}

export function isUnsafe(method: string): boolean {
  return UNSAFE.has(method);
}
