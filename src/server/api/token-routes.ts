/** /api/v1/tokens (the caller's API tokens: list, create shown once, delete) and /api/v1/sessions (logout everywhere). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { zodProblems } from '../../settings/validate.js';
import type { AdminContext } from './context.js';

export const tokenRequest = z.strictObject({
  label: z.string().trim().min(1).max(64).describe('what the token is for, e.g. deploy-script'),
});

export async function tokenRoutes(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  const audit = (actor: string, action: string, account: string, after: unknown) =>
    ctx.adminStore.audit({
      at: ctx.now().toISOString(),
      actor,
      action,
      target: `account ${account}`,
      before: null,
      after,
    });

  app.get('/api/v1/tokens', async (request) => {
    return { items: await ctx.adminStore.listTokens(request.principal?.account ?? '') };
  });

  app.post('/api/v1/tokens', async (request, reply) => {
    const principal = request.principal;
    if (!principal) return reply;
    const parsed = tokenRequest.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) {
      const problems = zodProblems(parsed.error);
      return reply.code(422).send({ error: 'invalid', message: `${problems.length} problem(s)`, problems });
    }
    const { token, id } = await ctx.auth.createToken(principal.account, parsed.data.label);
    await audit(principal.actor, 'token.create', principal.account, { id, label: parsed.data.label });
    return reply.code(201).send({ id, label: parsed.data.label, token, note: 'shown once: only its hash is kept' });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', async (request, reply) => {
    const principal = request.principal;
    if (!principal) return reply;
    const id = Number(request.params.id);
    if (!Number.isInteger(id) || !(await ctx.adminStore.deleteToken(principal.account, id))) {
      return reply.code(404).send({ error: 'not-found', message: 'you have no token with this id' });
    }
    await audit(principal.actor, 'token.delete', principal.account, { id });
    return reply.code(204).send();
  });

  /** Logout everywhere: every session of the caller's account ends (API tokens stay: delete them one by one). */
  app.delete('/api/v1/sessions', async (request, reply) => {
    const principal = request.principal;
    if (!principal) return reply;
    const ended = await ctx.auth.logoutEverywhere(principal.account);
    await audit(principal.actor, 'session.logout-everywhere', principal.account, { ended });
    return reply.send({ ended });
  });
}
