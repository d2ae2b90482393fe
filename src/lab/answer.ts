/**
 * How a lab host answers a request: the router (exact path, case-insensitive, then `*`), the request log, and each
 * kind of answer (the real autodisco app, a fixed reply, HTML, a redirect, a delay, a hang, a TCP reset).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { type HostRuntime, MAX_REQUEST_LOG, type Resources } from './runtime.js';
import { type AnswerSpec, answerKind, type HostSpec, type RouteSpec } from './scenario.js';
import type { LabRequest } from './types.js';

function routeFor(spec: HostSpec, method: string, path: string, scheme: 'https' | 'http'): RouteSpec | undefined {
  const lower = path.toLowerCase();
  const applies = (r: RouteSpec) =>
    (r.method === 'any' || r.method === method.toUpperCase()) && (r.scheme === 'any' || r.scheme === scheme);
  return (
    spec.routes.find((r) => r.path !== '*' && r.path.toLowerCase() === lower && applies(r)) ??
    spec.routes.find((r) => r.path === '*' && applies(r))
  );
}

/** Sends a TCP RST (not a FIN): what a firewall or a crashed proxy does. Falls back to a plain destroy. */
function resetConnection(socket: Socket, resources: Resources): void {
  const tcp = resources.tcpOf.get(socket) ?? socket;
  try {
    tcp.resetAndDestroy();
  } catch {
    tcp.destroy();
  }
  socket.destroy();
}

function answer(
  host: HostRuntime,
  spec: AnswerSpec,
  scheme: 'https' | 'http',
  req: IncomingMessage,
  res: ServerResponse,
  resources: Resources,
): void {
  if ('autodisco' in spec) {
    const app = host.apps.get(spec)?.[scheme];
    if (app === undefined) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('lab: no autodisco app here\n');
      return;
    }
    app.routing(req, res);
    return;
  }
  if ('redirect' in spec) {
    res.writeHead(spec.status, { location: spec.redirect, 'content-length': '0' }).end();
    return;
  }
  if ('html' in spec) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(spec.html);
    return;
  }
  if ('delayMs' in spec) {
    const timer = setTimeout(() => {
      resources.timers.delete(timer);
      if (!req.socket.destroyed) answer(host, spec.then, scheme, req, res, resources);
    }, spec.delayMs);
    resources.timers.add(timer);
    return;
  }
  if ('hang' in spec) {
    // Read the body so the client is not blocked writing it, then never answer.
    req.resume();
    return;
  }
  if ('reset' in spec) {
    resetConnection(req.socket, resources);
    return;
  }
  res.writeHead(spec.status, { ...spec.headers, 'content-type': spec.contentType }).end(spec.body);
}

export function handler(host: HostRuntime, scheme: 'https' | 'http', resources: Resources) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const route = routeFor(host.spec, method, path, scheme);
    const socket = req.socket;
    const servername =
      socket instanceof TLSSocket ? (socket as TLSSocket & { servername?: string | false }).servername : undefined;
    const entry: LabRequest = {
      time: new Date(),
      host: host.spec.name,
      scheme,
      method,
      url,
      answer: route === undefined ? 'not-found' : answerKind(route.answer),
    };
    if (req.headers.host !== undefined) entry.hostHeader = req.headers.host;
    if (typeof servername === 'string') entry.servername = servername;
    const authorization = req.headers.authorization;
    if (authorization) entry.authScheme = authorization.split(' ')[0] ?? '';
    resources.requests.push(entry);
    if (resources.requests.length > MAX_REQUEST_LOG) resources.requests.shift();
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    try {
      answer(host, route.answer, scheme, req, res, resources);
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('lab: the answer failed\n');
    }
  };
}
