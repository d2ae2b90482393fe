/**
 * /api/v1/domains and /api/v1/users: list (search, pages), read, create, replace, delete. Every record is checked
 * exactly as `import` checks it (src/settings/validate-record.ts) and every change is written to the audit log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../../errors.js';
import { checkEmailAddress, checkHostName, type DomainSettings, type UserRecord } from '../../settings/schema.js';
import { zodProblems } from '../../settings/validate.js';
import { checkDomain, checkUser } from '../../settings/validate-record.js';
import type { AdminContext } from './context.js';
import { listQuery } from './schemas.js';

/** Up to this many stored users of a redirectAddr chain are read to find the cycles a change would close. */
const CHAIN_LIMIT = 64;

function invalid(reply: FastifyReply, problems: Problem[]) {
  return reply
    .code(422)
    .send({ error: 'invalid', message: `${problems.length} problem(s); nothing was changed`, problems });
}

function notFound(reply: FastifyReply, what: string) {
  return reply.code(404).send({ error: 'not-found', message: `no ${what} is stored` });
}

function parseList(request: FastifyRequest, reply: FastifyReply) {
  const q = listQuery.safeParse(request.query, { reportInput: true });
  if (!q.success) {
    invalid(reply, zodProblems(q.error));
    return undefined;
  }
  return q.data;
}

async function allDomains(ctx: AdminContext): Promise<DomainSettings[]> {
  const first = await ctx.store.listDomains({ offset: 0, limit: 1_000_000 });
  return first.items;
}

/** The stored users `user` reaches by redirectAddr (not itself): what a cycle through it would go through. */
async function redirectChain(ctx: AdminContext, user: unknown): Promise<UserRecord[]> {
  const chain: UserRecord[] = [];
  const self = typeof user === 'object' && user !== null ? (user as { email?: unknown }).email : undefined;
  const own = typeof self === 'string' ? checkEmailAddress(self) : undefined;
  const seen = new Set(own && 'email' in own ? [own.email] : []);
  let next = typeof user === 'object' && user !== null ? (user as { redirectAddr?: unknown }).redirectAddr : undefined;
  while (typeof next === 'string' && chain.length < CHAIN_LIMIT) {
    const checked = checkEmailAddress(next);
    if (!('email' in checked) || seen.has(checked.email)) break;
    seen.add(checked.email);
    const found = await ctx.store.findUser(checked.email);
    if (!found) break;
    chain.push(found);
    next = found.redirectAddr;
  }
  return chain;
}

export async function settingsRoutes(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  const audit = (request: FastifyRequest, action: string, target: string, before: unknown, after: unknown) =>
    ctx.adminStore.audit({
      at: ctx.now().toISOString(),
      actor: request.principal?.actor ?? 'unknown',
      action,
      target,
      before: before ?? null,
      after: after ?? null,
    });

  const domainName = (raw: string) => {
    const checked = checkHostName(raw);
    return 'ascii' in checked ? checked.ascii : undefined;
  };

  app.get('/api/v1/domains', async (request, reply) => {
    const q = parseList(request, reply);
    if (!q) return reply;
    const page = await ctx.store.listDomains({ ...q, search: domainName(q.search ?? '') ?? q.search ?? '' });
    return { ...page, offset: q.offset, limit: q.limit };
  });

  app.get<{ Params: { name: string } }>('/api/v1/domains/:name', async (request, reply) => {
    const name = domainName(request.params.name);
    // findDomain also answers for aliases: the API's {name} is the domain's own name only.
    const found = name ? await ctx.store.findDomain(name) : undefined;
    return found?.name === name ? found : notFound(reply, `domain named "${request.params.name}"`);
  });

  /** Creates (POST, or PUT of a new name) or replaces (PUT) one domain. */
  const writeDomain = async (request: FastifyRequest, reply: FastifyReply, pathName: string | undefined) => {
    const domains = await allDomains(ctx);
    const raw = request.body;
    const bodyName = typeof raw === 'object' && raw !== null ? (raw as { name?: unknown }).name : undefined;
    const target = pathName ?? (typeof bodyName === 'string' ? domainName(bodyName) : undefined);
    const before = target === undefined ? undefined : domains.find((d) => d.name === target);
    if (pathName === undefined && before) {
      return reply.code(409).send({
        error: 'exists',
        message: `domain "${before.name}" exists already: PUT /api/v1/domains/${before.name} replaces it`,
      });
    }
    const checked = checkDomain(
      domains.filter((d) => d !== before),
      raw,
    );
    if (!checked.ok) return invalid(reply, checked.problems);
    if (pathName !== undefined && checked.value.name !== pathName) {
      return invalid(reply, [
        {
          path: 'name',
          message: `"${checked.value.name}" differs from the URL's domain "${pathName}" (renaming is a new domain: POST it, then DELETE the old one)`,
        },
      ]);
    }
    await ctx.store.putDomain(checked.value);
    await audit(
      request,
      before ? 'domain.update' : 'domain.create',
      `domain ${checked.value.name}`,
      before,
      checked.value,
    );
    return reply.code(before ? 200 : 201).send(checked.value);
  };

  app.post('/api/v1/domains', (request, reply) => writeDomain(request, reply, undefined));
  app.put<{ Params: { name: string } }>('/api/v1/domains/:name', (request, reply) => {
    const name = domainName(request.params.name);
    if (!name) return notFound(reply, `domain named "${request.params.name}"`);
    return writeDomain(request, reply, name);
  });

  app.delete<{ Params: { name: string } }>('/api/v1/domains/:name', async (request, reply) => {
    const name = domainName(request.params.name);
    const stored = name ? (await allDomains(ctx)).find((d) => d.name === name) : undefined;
    if (!stored) return notFound(reply, `domain named "${request.params.name}"`);
    const users = await ctx.store.listUsers({ offset: 0, limit: 1, domains: [stored.name, ...stored.aliases] });
    if (users.total > 0) {
      return reply.code(409).send({
        error: 'conflict',
        message: `domain "${stored.name}" still has ${users.total} user(s): delete them or move them to another domain first`,
      });
    }
    await ctx.store.deleteDomain(stored.name);
    await audit(request, 'domain.delete', `domain ${stored.name}`, stored, null);
    return reply.code(204).send();
  });

  const address = (raw: string) => {
    const checked = checkEmailAddress(raw);
    return 'email' in checked ? checked.email : undefined;
  };

  app.get('/api/v1/users', async (request, reply) => {
    const q = parseList(request, reply);
    if (!q) return reply;
    const page = await ctx.store.listUsers(q);
    return { ...page, offset: q.offset, limit: q.limit };
  });

  app.get<{ Params: { email: string } }>('/api/v1/users/:email', async (request, reply) => {
    const email = address(request.params.email);
    const found = email ? await ctx.store.findUser(email) : undefined;
    return found ?? notFound(reply, 'user with that address');
  });

  const writeUser = async (request: FastifyRequest, reply: FastifyReply, pathEmail: string | undefined) => {
    const raw = request.body;
    const bodyEmail = typeof raw === 'object' && raw !== null ? (raw as { email?: unknown }).email : undefined;
    const target = pathEmail ?? (typeof bodyEmail === 'string' ? address(bodyEmail) : undefined);
    const before = target ? await ctx.store.findUser(target) : undefined;
    if (pathEmail === undefined && before) {
      return reply.code(409).send({
        error: 'exists',
        message: 'a user with this address exists already: PUT /api/v1/users/{email} replaces it',
      });
    }
    const chain = (await redirectChain(ctx, raw)).filter((u) => u.email !== target);
    const checked = checkUser(await allDomains(ctx), chain, raw);
    if (!checked.ok) return invalid(reply, checked.problems);
    if (pathEmail !== undefined && checked.value.email !== pathEmail) {
      return invalid(reply, [
        {
          path: 'email',
          message: `"${checked.value.email}" differs from the URL's address (a new address is a new user: POST it)`,
        },
      ]);
    }
    await ctx.store.putUser(checked.value);
    await audit(request, before ? 'user.update' : 'user.create', `user ${checked.value.email}`, before, checked.value);
    return reply.code(before ? 200 : 201).send(checked.value);
  };

  app.post('/api/v1/users', (request, reply) => writeUser(request, reply, undefined));
  app.put<{ Params: { email: string } }>('/api/v1/users/:email', (request, reply) => {
    const email = address(request.params.email);
    if (!email) return notFound(reply, 'user with that address');
    return writeUser(request, reply, email);
  });

  app.delete<{ Params: { email: string } }>('/api/v1/users/:email', async (request, reply) => {
    const email = address(request.params.email);
    const removed = email ? await ctx.store.deleteUser(email) : undefined;
    if (!removed) return notFound(reply, 'user with that address');
    await audit(request, 'user.delete', `user ${removed.email}`, removed, null);
    return reply.code(204).send();
  });

  app.get('/api/v1/audit', async (request, reply) => {
    const q = parseList(request, reply);
    if (!q) return reply;
    const page = await ctx.adminStore.auditLog(q);
    return { ...page, offset: q.offset, limit: q.limit };
  });
}
