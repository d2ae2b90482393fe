/**
 * Export and import of the whole configuration as the YAML file of `autodisco export`/`import`: the same
 * validation (every problem, with its path), the same refusal of an import that would delete every domain, and
 * the same snapshot of what it replaces, written next to the database by the importer serve provides. For stores
 * of millions of users use the command line, which streams; here the file is read whole (16 MiB at most).
 */
import type { FastifyInstance } from 'fastify';
import { renderConfigYaml } from '../../cli/config-yaml.js';
import { AutodiscoError } from '../../errors.js';
import { parseConfigText } from '../../settings/validate.js';
import type { AdminContext } from './context.js';

export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'];

export async function transferRoutes(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  app.get('/api/v1/export', async (_request, reply) => {
    const yaml = renderConfigYaml(await ctx.store.exportAll());
    return reply
      .type('application/yaml; charset=utf-8')
      .header('content-disposition', 'attachment; filename="autodisco-settings.yaml"')
      .send(yaml);
  });

  app.post<{ Querystring: { allowEmpty?: string } }>('/api/v1/import', async (request, reply) => {
    if (!ctx.importer) {
      return reply.code(501).send({ error: 'not-available', message: 'this server cannot import (no importer)' });
    }
    if (typeof request.body !== 'string') {
      return reply
        .code(415)
        .send({ error: 'unsupported-media-type', message: `send the YAML file as ${YAML_TYPES[0]}` });
    }
    try {
      const config = parseConfigText(request.body, 'the uploaded configuration');
      const result = await ctx.importer(config, request.query.allowEmpty === 'true');
      const after = { domains: config.domains.length, users: config.users.length };
      await ctx.adminStore.audit({
        at: ctx.now().toISOString(),
        actor: request.principal?.actor ?? 'unknown',
        action: 'store.import',
        target: 'every domain and user',
        before: { ...result.previous, ...(result.snapshot ? { snapshot: result.snapshot } : {}) },
        after,
      });
      return { ...after, previous: result.previous, ...(result.snapshot ? { snapshot: result.snapshot } : {}) };
    } catch (err) {
      if (!(err instanceof AutodiscoError)) throw err;
      const status = err.code === 'ADK_ERR_IMPORT_EMPTY' ? 409 : err.code === 'ADK_ERR_SNAPSHOT' ? 500 : 422;
      return reply.code(status).send({
        error: err.code,
        message:
          err.code === 'ADK_ERR_IMPORT_EMPTY' ? err.message.replace('--allow-empty', '?allowEmpty=true') : err.message,
        problems: err.problems,
      });
    }
  });
}
