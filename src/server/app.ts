/**
 * The Autodiscover server as an app factory: routes over a settings store, no sockets. `listen.ts` puts it on
 * HTTP and/or HTTPS; tests can `inject()` requests without a socket.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerFactory,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { ProfileSigner } from '../formats/sign-profile.js';
import type { SettingsStore } from '../store/store.js';
import type { AdminDeps } from './api/context.js';
import { adminPlugin } from './api/plugin.js';
import { endpointOfRoute, frameworkErrorsFor, harden } from './hardening.js';
import { maskAddresses, maskEmail } from './mask.js';
import type { Endpoint, ServerMetrics } from './metrics.js';
import { levelEnabled, RequestLogger } from './request-logger.js';
import { autoconfigRoutes } from './routes/autoconfig.js';
import { healthRoutes } from './routes/health.js';
import { jsonV2Routes } from './routes/json-v2.js';
import { mobileconfigRoutes } from './routes/mobileconfig.js';
import { poxRoutes } from './routes/pox.js';
import { soapRoutes } from './routes/soap.js';
import { AnswerTemplates } from './templates.js';

/** Request bodies larger than this get 413: real Autodiscover requests are under 1 KiB. */
export const BODY_LIMIT = 64 * 1024;

export interface AppDeps {
  store: SettingsStore;
  logger: FastifyBaseLogger;
  metrics: ServerMetrics;
  /** Signs Apple profiles when set. */
  signer?: ProfileSigner;
  /** Clock for Error@Time and profile dates; tests pass a fixed one. */
  now?: () => Date;
  /** The admin API (/api/v1/) and, if asked, the web UI (/ui/); never on a redirect-only plain-HTTP listener. */
  admin?: AdminDeps;
}

export interface AppOptions {
  /** Which listener this app serves: plain HTTP answers the Autodiscover GET with a redirect to HTTPS. */
  transport: 'http' | 'https';
  /** On plain HTTP: `redirect` answers only the HTTP redirect method; `full` serves everything (behind a TLS proxy). */
  httpMode?: 'redirect' | 'full';
  /** HTTPS port to put in redirects when it is not 443. */
  httpsPort?: number;
  /** Serve /metrics (Prometheus text) on this app too. Off by default: see ListenOptions.metrics. */
  metricsEndpoint?: boolean;
  /** Proxies whose X-Forwarded-Proto/-For are believed (Fastify trustProxy: addresses or CIDRs). Default none. */
  trustProxy?: string[];
  /** Log full e-mail addresses instead of masked ones. */
  logAddresses?: boolean;
  /** Serve SOAP Autodiscover (/autodiscover/autodiscover.svc) and advertise it on the POX GET. Default on. */
  soap?: boolean;
  serverFactory?: FastifyServerFactory;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Filled by the handler: what happened, for metrics and the access log. */
    outcome?: string;
    endpoint?: Endpoint;
    address?: string;
  }
}

const requestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) =>
  // Route-level log options (none are set here today) need a real child at once.
  options.level || options.serializers ? logger.child(bindings, options) : new RequestLogger(logger, bindings);

/** A stable number that identifies this server in Error@Id, without revealing its name. */
export function serverIdFor(name = hostname()): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0);
}

export function buildApp(deps: AppDeps, options: AppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    // Fastify's own per-request lines are off: the onResponse hook below writes one access line instead.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: requestLogger,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    bodyLimit: BODY_LIMIT,
    frameworkErrors: frameworkErrorsFor(deps.metrics),
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? options.trustProxy : false,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  });
  const now = deps.now ?? (() => new Date());
  const context = { ...deps, now, serverId: serverIdFor(), options, templates: new AnswerTemplates() };

  // The access line is built field by field below (method, masked URL, status, masked address…): nothing in it
  // needs redacting, so it is written without the parent's redaction, whose wildcard path (`*.password`) costs
  // about 5 µs per line. Same stream, same level; no per-request child logger (the line carries reqId itself).
  const accessLog = deps.logger.child({}, { redact: [] });

  harden(app);
  app.decorateRequest('outcome', undefined);
  app.decorateRequest('endpoint', undefined);
  app.decorateRequest('address', undefined);

  // Bodies are read as text whatever the Content-Type says: clients send text/xml, application/xml or nothing.
  const asText = (_req: unknown, body: string | Buffer, done: (err: null, body: string | Buffer) => void) =>
    done(null, body);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, asText);
  // The same parser by name for the usual types: Fastify remembers a named match per header value, whereas the
  // catch-all makes it parse the Content-Type header again on every request.
  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string', bodyLimit: BODY_LIMIT }, asText);

  app.addHook('onResponse', (request, reply, done) => {
    // The framework's own answers (413, 415, 400 before the handler; 404 with no route) are counted too.
    const endpoint = request.endpoint ?? endpointOfRoute(request.routeOptions.url);
    const outcome = request.outcome ?? (reply.statusCode >= 400 ? `http-${reply.statusCode}` : 'ok');
    const ms = reply.elapsedTime;
    if (endpoint !== 'other' || reply.statusCode >= 400) deps.metrics.observe(endpoint, outcome, ms / 1000);
    // The access line (and the masking that goes into it) only when it will be written.
    if (levelEnabled(accessLog, 'info')) {
      const address = request.address && (options.logAddresses ? request.address : maskEmail(request.address));
      accessLog.info(
        {
          reqId: request.id,
          method: request.method,
          url: options.logAddresses ? request.url : maskAddresses(request.url),
          status: reply.statusCode,
          endpoint,
          outcome,
          address,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    }
    done();
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    request.outcome ??= status === 413 ? 'too-large' : status >= 500 ? 'error' : `http-${status}`;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    // Never echo the request: a fixed text per status.
    reply
      .code(status)
      .type('text/plain; charset=utf-8')
      .send(status === 413 ? `Request body larger than ${BODY_LIMIT} bytes\n` : `HTTP ${status}\n`);
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
  });

  const serveAll = options.transport === 'https' || options.httpMode === 'full';
  app.register(poxRoutes, context);
  if (serveAll) {
    if (options.soap !== false) app.register(soapRoutes, context);
    app.register(jsonV2Routes, context);
    app.register(autoconfigRoutes, context);
    app.register(mobileconfigRoutes, context);
  }
  app.register(healthRoutes, context);
  if (deps.admin && serveAll)
    app.register(adminPlugin, { ...deps.admin, store: deps.store, now, https: options.transport === 'https' });
  return app;
}

export type RouteContext = AppDeps & {
  now: () => Date;
  /** Each domain's answers compiled once (src/server/templates.ts). */
  templates: AnswerTemplates;
  serverId: number;
  options: AppOptions;
};
