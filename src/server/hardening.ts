/**
 * What every answer carries and what every request goes through before a route sees it, whoever answers it
 * (a route, the not-found handler, or the framework's own 4xx): security headers, a Content-Type that cannot
 * turn a POX request into an HTTP 415, and the endpoint a metric is counted under.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Endpoint, ServerMetrics } from './metrics.js';

/**
 * Headers on every answer. None of the answers is HTML, so nothing may run, load or frame anything; browsers
 * must not guess a type (a JSON error read as HTML); no Referer leaves a page that links out of one.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** HSTS over HTTPS only (RFC 6797 §7.2: a host must not send it over plain HTTP); no includeSubDomains, which
 * would bind every host under the domain, not just the Autodiscover names. */
export const HSTS = 'max-age=31536000';

/** RFC 9110 §8.3.1 media-type with parameters, as Fastify checks it before any parser runs. */
const MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(;.*)?$/s;

/** The endpoint of a route, for answers the framework gives before the handler has said which it is. */
export function endpointOfRoute(url: string | undefined): Endpoint {
  if (url === undefined) return 'other';
  const path = url.toLowerCase();
  if (path === '/autodiscover/autodiscover.xml') return 'pox';
  if (path.startsWith('/autodiscover/autodiscover.json')) return 'json-v2';
  if (path.endsWith('/config-v1.1.xml')) return 'autoconfig';
  if (path === '/email.mobileconfig') return 'mobileconfig';
  return 'other';
}

export function harden(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    // Exchange reads the body whatever the Content-Type says (docs/protocol.md §3.4), and so does the catch-all
    // parser: an empty or unparseable header is dropped here, so the request reaches the route and a bad body
    // gets the protocol's error 600, not the framework's HTTP 415.
    const type = request.headers['content-type'];
    if (type !== undefined && !MEDIA_TYPE.test(type)) request.headers['content-type'] = 'application/octet-stream';
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    setHeaders(request, reply);
    done(null, payload);
  });
}

function setHeaders(request: FastifyRequest, reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  const tls = (request.raw.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  if (tls || request.protocol === 'https') reply.header('strict-transport-security', HSTS);
  // Answers name mailbox settings: no shared cache may keep one unless the route said it may.
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
}

/**
 * Fastify's answer to a URL it cannot decode (FST_ERR_BAD_URL) quotes the URL and runs no hook; this one quotes
 * nothing, sets the headers itself and counts itself (endpoint "other", outcome "bad-url").
 */
export function frameworkErrorsFor(metrics: ServerMetrics) {
  return (_error: Error, request: FastifyRequest, reply: FastifyReply): void => {
    setHeaders(request, reply);
    metrics.observe('other', 'bad-url', 0);
    reply.code(400).type('text/plain; charset=utf-8').send('Bad request: the URL has an invalid %-escape\n');
  };
}
