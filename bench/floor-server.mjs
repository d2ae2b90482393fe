/**
 * The floor of `npm run bench`: what any Node server that does the work issue 12 requires must spend per request,
 * without a framework. node:http, and per request exactly the work `serve` may not skip, done by serve's own
 * functions over the BUILT code (dist/):
 *   - the request parsed and validated (the address checked, the POX body read by serve's lean reader);
 *   - the user read from the SQLite store (a random user per request, as the bench sends them), the domain from
 *     the store's per-process map;
 *   - the answer from the domain's compiled template, filled with the user's values (v2 JSON rendered);
 *   - the security headers serve sends on every answer;
 *   - one access line at `info` through serve's logger (createLogger: pino, one write(2) per line) into the same
 *     kind of sink (stderr to a file), with the address masked as serve masks it;
 *   - one prom-client observation (serve's ServerMetrics).
 * No routing table, no hooks, no error handling, no body limit, no other formats: nothing else. If autodisco
 * serve is at 0.2× bare and the floor at 0.25×, the missing 0.05× is ours; the rest is the work itself.
 *
 *   node bench/floor-server.mjs <db>    prints {"port":…} once listening; stops on SIGTERM.
 */

import { createServer } from 'node:http';
import { renderAutoconfig } from '../dist/formats/autoconfig.js';
import { parseV2Protocol, renderV2 } from '../dist/formats/json-v2.js';
import { renderOutlookSettings } from '../dist/formats/pox/outlook-response.js';
import { parsePoxRequest } from '../dist/formats/pox/request.js';
import { SECURITY_HEADERS } from '../dist/server/hardening.js';
import { createLogger } from '../dist/server/logger.js';
import { lookupAddress, lookupFollowingMoves, normalizeAddress } from '../dist/server/lookup.js';
import { maskAddresses, maskEmail } from '../dist/server/mask.js';
import { ServerMetrics } from '../dist/server/metrics.js';
import { AnswerTemplates } from '../dist/server/templates.js';
import { SqliteStore } from '../dist/store/sqlite.js';

process.on('SIGTERM', () => process.exit(0));

const store = new SqliteStore(process.argv[2] ?? '');
const logger = createLogger({ level: 'info' }).child({}, { redact: [] });
const metrics = new ServerMetrics();
const templates = new AnswerTemplates();
const XML = 'text/xml; charset=utf-8';
const caps = { mapiHttp: false, exHttpInfo: false, negotiate: false };
let requests = 0;

/** What serve's routes send: autoconfig may be cached by the client a little, the rest never. */
const CACHE_CONTROL = { autoconfig: 'private, max-age=300', pox: 'private, no-store', 'json-v2': 'private, no-store' };

function answer(req, res, start, endpoint, status, type, body, email) {
  const cache = status === 200 ? (CACHE_CONTROL[endpoint] ?? 'no-store') : 'no-store';
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': cache });
  res.end(body);
  const ms = performance.now() - start;
  const outcome = status === 200 ? 'settings' : `http-${status}`;
  metrics.observe(endpoint, outcome, ms / 1000);
  logger.info(
    {
      reqId: `req-${++requests}`,
      method: req.method,
      url: maskAddresses(req.url ?? ''),
      status,
      endpoint,
      outcome,
      address: email && maskEmail(email),
      ms: Math.round(ms * 10) / 10,
    },
    'request',
  );
}

async function autoconfig(req, res, start, url) {
  const email = normalizeAddress(url.searchParams.get('emailaddress') ?? undefined);
  if (!email) return answer(req, res, start, 'autoconfig', 400, 'text/plain', 'bad address\n');
  const found = await lookupFollowingMoves(store, email);
  if (found.answer.kind !== 'settings' || !found.domain)
    return answer(req, res, start, 'autoconfig', 404, 'text/plain', 'no\n');
  const domains = [found.domain.name, ...found.domain.aliases];
  const xml = templates.xml(found, 'autoconfig', (a) => renderAutoconfig(a.settings, { domains }));
  answer(req, res, start, 'autoconfig', 200, XML, xml, email);
}

async function v2(req, res, start, url) {
  const email = normalizeAddress(
    decodeURIComponent(url.pathname.slice('/autodiscover/autodiscover.json/v1.0/'.length)),
  );
  const protocol = url.searchParams.get('Protocol') ?? undefined;
  if (!email || !parseV2Protocol(protocol)) return answer(req, res, start, 'json-v2', 400, 'text/plain', 'bad\n');
  const found = await lookupAddress(store, email);
  const result = renderV2(found.answer, protocol, { email });
  answer(
    req,
    res,
    start,
    'json-v2',
    result.status,
    'application/json; charset=utf-8',
    JSON.stringify(result.body),
    email,
  );
}

async function pox(req, res, start, body) {
  const parsed = parsePoxRequest(body);
  const email = parsed.ok ? normalizeAddress(parsed.request.emailAddress) : undefined;
  if (!email) return answer(req, res, start, 'pox', 400, 'text/plain', 'bad\n');
  const found = await lookupAddress(store, email);
  if (found.answer.kind !== 'settings') return answer(req, res, start, 'pox', 404, 'text/plain', 'no\n');
  const xml = templates.xml(found, 'outlook:000', (a) => renderOutlookSettings(a.settings, caps));
  answer(req, res, start, 'pox', 200, XML, xml, email);
}

const server = createServer((req, res) => {
  const start = performance.now();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://floor');
    const path = url.pathname;
    if (path === '/autodiscover/autodiscover.xml') void pox(req, res, start, Buffer.concat(chunks).toString('utf8'));
    else if (path.endsWith('/config-v1.1.xml')) void autoconfig(req, res, start, url);
    else if (path.startsWith('/autodiscover/autodiscover.json/v1.0/')) void v2(req, res, start, url);
    else answer(req, res, start, 'other', 404, 'text/plain', 'not found\n');
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
