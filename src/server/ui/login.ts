/**
 * Logging in and out. The login form is protected against login CSRF by a double-submit token (a random cookie
 * that the form repeats), since there is no session yet to hold a synchronizer token. The one-time login link of
 * `npm start` carries its secret after `#`, which browsers never send: it stays out of access logs and proxies;
 * the welcome page's script posts it with the same double-submit token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { newSecret, sameSecret } from '../../auth/secrets.js';
import type { AdminContext } from '../api/context.js';
import { SESSION_COOKIE } from '../api/principal.js';
import { html } from './html.js';
import { page } from './layout.js';

const LOGIN_COOKIE = 'adk_login';

const secure = (ctx: AdminContext, request: FastifyRequest) => ctx.https || request.protocol === 'https';

/** Only a path of this UI: a `next` pointing elsewhere (an open redirect) becomes the start page. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/ui\/[A-Za-z0-9/_.%@-]*$/.test(next) ? next : '/ui/diagnose';
}

function loginToken(ctx: AdminContext, request: FastifyRequest, reply: FastifyReply): string {
  const token = request.cookies[LOGIN_COOKIE] ?? newSecret();
  reply.setCookie(LOGIN_COOKIE, token, {
    path: '/ui/',
    httpOnly: true,
    sameSite: 'strict',
    secure: secure(ctx, request),
  });
  return token;
}

function loginForm(token: string, next: string, error?: string, name = '') {
  return html`${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
<form method="post" action="/ui/login">
<input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="next" value="${next}">
<label for="name">Account</label><input id="name" name="name" autocomplete="username" required value="${name}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">Log in</button></p>
</form>`;
}

function startSession(
  ctx: AdminContext,
  request: FastifyRequest,
  reply: FastifyReply,
  sessionId: string,
  expiresAt: string,
) {
  reply.setCookie(SESSION_COOKIE, sessionId, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: secure(ctx, request),
    expires: new Date(expiresAt),
  });
  reply.clearCookie(LOGIN_COOKIE, { path: '/ui/' });
}

export async function loginRoutes(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  app.get<{ Querystring: { next?: string } }>('/ui/login', async (request, reply) => {
    const token = loginToken(ctx, request, reply);
    return reply.type('text/html; charset=utf-8').send(page('Log in', loginForm(token, safeNext(request.query.next))));
  });

  app.post<{ Body: { name?: string; password?: string; _csrf?: string; next?: string } }>(
    '/ui/login',
    async (request, reply) => {
      const body = request.body ?? {};
      const cookieToken = request.cookies[LOGIN_COOKIE];
      const next = safeNext(body.next);
      if (!cookieToken || typeof body._csrf !== 'string' || !sameSecret(body._csrf, cookieToken)) {
        const token = loginToken(ctx, request, reply);
        return reply
          .code(403)
          .type('text/html; charset=utf-8')
          .send(
            page(
              'Log in',
              loginForm(token, next, 'The form expired (its security token is missing or wrong). Log in again.'),
            ),
          );
      }
      const name = typeof body.name === 'string' ? body.name : '';
      const result = await ctx.auth.login(name, typeof body.password === 'string' ? body.password : '', request.ip);
      if (!result.ok) {
        const message =
          result.reason === 'invalid'
            ? 'Wrong account name or password.'
            : result.reason === 'locked'
              ? `This account is locked after too many failed logins; try again in ${Math.ceil((result.retryAfterS ?? 60) / 60)} minute(s), or reset its password with autodisco admin add-user ${name} --reset.`
              : `Too many login attempts from your address; try again in ${result.retryAfterS ?? 60} s.`;
        if (result.retryAfterS) reply.header('retry-after', String(result.retryAfterS));
        return reply
          .code(result.reason === 'invalid' ? 401 : 429)
          .type('text/html; charset=utf-8')
          .send(page('Log in', loginForm(loginToken(ctx, request, reply), next, message, name)));
      }
      await ctx.adminStore.audit({
        at: ctx.now().toISOString(),
        actor: result.session.account,
        action: 'session.login',
        target: `account ${result.session.account}`,
        before: null,
        after: null,
      });
      startSession(ctx, request, reply, result.sessionId, result.session.expiresAt);
      return reply.redirect(next, 303);
    },
  );

  app.get('/ui/welcome', async (request, reply) => {
    const token = loginToken(ctx, request, reply);
    return reply.type('text/html; charset=utf-8').send(
      page(
        'Logging in',
        html`<form method="post" action="/ui/login/link" id="link-login" data-login-link>
<input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="secret" value="">
<p>Logging you in with the one-time link… If nothing happens, <button type="submit">continue</button>.</p></form>`,
      ),
    );
  });

  app.post<{ Body: { secret?: string; _csrf?: string } }>('/ui/login/link', async (request, reply) => {
    const body = request.body ?? {};
    const cookieToken = request.cookies[LOGIN_COOKIE];
    const fail = (message: string) =>
      reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(page('Log in', loginForm(loginToken(ctx, request, reply), '/ui/diagnose', message)));
    if (!cookieToken || typeof body._csrf !== 'string' || !sameSecret(body._csrf, cookieToken)) {
      return fail('The form expired (its security token is missing or wrong). Log in with your password.');
    }
    const result =
      typeof body.secret === 'string' && body.secret ? await ctx.auth.redeemLoginLink(body.secret) : undefined;
    if (!result) return fail('This login link was used already or has expired (links work once, for 15 minutes).');
    await ctx.adminStore.audit({
      at: ctx.now().toISOString(),
      actor: result.session.account,
      action: 'session.login-link',
      target: `account ${result.session.account}`,
      before: null,
      after: null,
    });
    startSession(ctx, request, reply, result.sessionId, result.session.expiresAt);
    return reply.redirect('/ui/diagnose', 303);
  });

  app.post<{ Body: { _csrf?: string; everywhere?: string } }>('/ui/logout', async (request, reply) => {
    const principal = request.principal;
    if (principal && request.sessionId && ctx.auth.csrfMatches(principal, request.body?._csrf)) {
      if (request.body?.everywhere) await ctx.auth.logoutEverywhere(principal.account);
      else await ctx.auth.logout(request.sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
    } else if (principal) {
      return reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(
          page(
            'Log out',
            html`<p class="notice error" role="alert">The form expired: reload the page and log out again.</p>`,
            { principal },
          ),
        );
    }
    return reply.redirect('/ui/login', 303);
  });
}
