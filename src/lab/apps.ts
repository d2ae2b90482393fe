/** The real autodisco server inside the lab: one in-process app (and SQLite store) per `autodisco` answer. */
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from '../server/app.js';
import { ServerMetrics } from '../server/metrics.js';
import type { Config } from '../settings/schema.js';
import { SqliteStore } from '../store/sqlite.js';
import type { AutodiscoApps, HostRuntime, Resources } from './runtime.js';
import type { AnswerSpec, HostSpec, RouteSpec } from './scenario.js';

/** Every autodisco answer of a host, `then` of delays included. */
function autodiscoAnswers(spec: HostSpec): { answer: AnswerSpec & { autodisco: Config }; route: RouteSpec }[] {
  const out: { answer: AnswerSpec & { autodisco: Config }; route: RouteSpec }[] = [];
  for (const route of spec.routes) {
    const a = route.answer;
    if ('autodisco' in a) out.push({ answer: a, route });
    else if ('delayMs' in a && 'autodisco' in a.then) out.push({ answer: a.then, route });
  }
  return out;
}

export async function buildApps(
  host: HostRuntime,
  resources: Resources,
  logger: FastifyBaseLogger,
  now: Date | undefined,
): Promise<void> {
  for (const { answer: spec, route } of autodiscoAnswers(host.spec)) {
    const store = new SqliteStore(':memory:');
    resources.stores.push(store);
    await store.replaceAll(spec.autodisco);
    const deps = { store, logger, metrics: new ServerMetrics(), ...(now === undefined ? {} : { now: () => now }) };
    const apps: AutodiscoApps = {};
    // `soap: false` is `serve --no-soap`: POX only, and no X-SOAP-Enabled on its answers.
    const soap = 'soap' in spec && spec.soap === false ? { soap: false } : {};
    if (host.spec.https && route.scheme !== 'http') {
      apps.https = buildApp(deps, { transport: 'https', ...soap });
    }
    if (host.spec.http && route.scheme !== 'https') {
      const httpsPort = host.spec.https?.port;
      apps.http = buildApp(deps, {
        transport: 'http',
        httpMode: 'httpMode' in spec ? spec.httpMode : 'redirect',
        ...soap,
        ...(httpsPort !== undefined && httpsPort !== 443 ? { httpsPort } : {}),
      });
    }
    for (const app of [apps.https, apps.http]) {
      if (app === undefined) continue;
      resources.apps.push(app);
      await app.ready();
    }
    host.apps.set(spec, apps);
  }
}
