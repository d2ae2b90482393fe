/**
 * `startLab`: brings a scenario (scenario.ts) up for real on loopback, so that `autodisco discover --dns …`, curl,
 * openssl or a real mail client can be pointed at it.
 *
 * Address layout inside the lab's range (default 127.20.0.0/24; offsets from the network address):
 *
 *   .10          LDAP directory (when the scenario has one), port directory.port (default 389)
 *   .53          DNS server, UDP and TCP, port `dnsPort` (default 53)
 *   .100, .101…  the scenario's hosts, in scenario order, each on its own address with its own ports
 *
 * Every listener binds to its own 127.x address only; the range must lie inside 127.0.0.0/8. The lab's DNS is the
 * whole world for its clients: an empty root zone is added, so a name outside the scenario's zones gets NXDOMAIN.
 *
 * One PKI per lab: the trusted root "autodisco lab root" (its PEM is `caPem`, written to `caFile` for clients) with
 * an intermediate under it, and an untrusted root with its own intermediate, never handed to anyone.
 *
 * HTTPS: the certificate is chosen by SNI before the handshake (tls-listener.ts), so each connection is served with
 * exactly one certificate and exactly the chain the scenario describes. Requests on both listeners go through a
 * small router (exact path, case-insensitive, then `*`); autodisco answers are handed to the real server app,
 * built for that listener's transport.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { createDnsServer, type DnsServer } from '../dns/server.js';
import type { Zone } from '../dns/zone.js';
import { AutodiscoError } from '../errors.js';
import { buildScpDirectory } from '../ldap/scp.js';
import { createDirectoryServer, type DirectoryServer } from '../ldap/server.js';
import {
  type Authority,
  createAuthority,
  createIntermediate,
  type IssuedCertificate,
  issueCertificate,
} from '../pki/index.js';
import { buildApp } from '../server/app.js';
import { createLogger } from '../server/logger.js';
import { ServerMetrics } from '../server/metrics.js';
import type { Config } from '../settings/schema.js';
import { SqliteStore } from '../store/sqlite.js';
import {
  type AnswerKind,
  type AnswerSpec,
  answerKind,
  type CertificateSpec,
  HOST_REFERENCE,
  type HostSpec,
  type RouteSpec,
  type Scenario,
  scenarioZones,
  scpDirectoryOptions,
} from './scenario.js';
import { createSniListener } from './tls-listener.js';

/** Offsets from the range's network address. */
export const LAB_LAYOUT = { ldap: 10, dns: 53, firstHost: 100 } as const;
export const DEFAULT_LAB_RANGE = '127.20.0.0/24';
export const LAB_ROOT_NAME = 'autodisco lab root';

export interface LabOptions {
  /** A /24 or larger inside 127.0.0.0/8, given as its network address. @default '127.20.0.0/24' */
  range?: string;
  /** UDP and TCP port of the DNS server. @default 53 (0: any free port) */
  dnsPort?: number;
  /** The lab's clock: certificate validity windows are computed from it and autodisco answers carry it. */
  now?: Date;
  /** Where the in-process autodisco servers log. @default silent */
  logger?: FastifyBaseLogger;
}

export interface LabHost {
  /** The host's id in the scenario. */
  name: string;
  address: string;
  httpsPort?: number;
  httpPort?: number;
  /** e.g. { https: 'https://127.20.0.100:443', http: 'http://127.20.0.100:80' } */
  urls: { https?: string; http?: string };
  /** What the HTTPS listener serves: the default certificate first, then one per `sni` entry. */
  certificates: LabCertificate[];
}

export interface LabCertificate {
  /** SNI names that select it; null for the default certificate. */
  sni: string[] | null;
  /** The leaf, PEM. */
  certPem: string;
  /** As node:crypto prints it (`AB:CD:…`). */
  fingerprint256: string;
  /** Whether the intermediate is sent after the leaf. */
  chainSent: boolean;
}

/** One request a lab host received, and what it answered. */
export interface LabRequest {
  time: Date;
  host: string;
  scheme: 'https' | 'http';
  method: string;
  /** Path and query as received. */
  url: string;
  /** The Host header. */
  hostHeader?: string;
  /** The name the client sent in SNI (HTTPS only). */
  servername?: string;
  /** The kind of answer given, or 'not-found' when no route took the request. */
  answer: AnswerKind | 'not-found';
  /** The scheme of an Authorization header (e.g. "Basic"), so tests see where credentials went; never the secret. */
  authScheme?: string;
}

export interface RunningLab {
  scenario: Scenario;
  /** The range in use, e.g. '127.20.0.0/24'. */
  range: string;
  /** `ip:port` of the lab's DNS server: what `--dns` takes. */
  dns: string;
  /** The DNS server itself (its `queries` log shows what clients asked). */
  dnsServer: DnsServer;
  /** Path of a PEM file holding the trusted lab root, in a temporary directory removed by close(). */
  caFile: string;
  caPem: string;
  /** `ldap://ip:port` when the scenario has a directory. */
  ldap?: string;
  directoryServer?: DirectoryServer;
  hosts: LabHost[];
  /** Host id → address. */
  addresses: ReadonlyMap<string, string>;
  /** Requests the hosts received, oldest first (the most recent 10,000). */
  requests: readonly LabRequest[];
  /** Closes every listener, connection, timer and in-process server, and removes the temporary directory. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Address range

export interface LabRange {
  /** Normalised CIDR, e.g. '127.20.0.0/24'. */
  cidr: string;
  prefix: number;
  /** Number of addresses in the range. */
  size: number;
  /** The address `offset` above the network address. */
  at(offset: number): string;
}

function invalidArgument(message: string): AutodiscoError {
  return new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', message);
}

/** Validates a lab range: IPv4 CIDR, a /24 or larger (prefix 8 to 24), inside 127.0.0.0/8, a network address. */
export function parseLabRange(range: string): LabRange {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(range.trim());
  const expected = 'expected a loopback network such as 127.20.0.0/24';
  if (m === null) throw invalidArgument(`lab range "${range}" is not an IPv4 network (${expected})`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) throw invalidArgument(`lab range "${range}" is not an IPv4 network (${expected})`);
  if (octets[0] !== 127) {
    throw invalidArgument(
      `lab range "${range}" is outside 127.0.0.0/8: the lab listens on loopback only (${expected})`,
    );
  }
  if (prefix < 8 || prefix > 24) {
    throw invalidArgument(`lab range "${range}" must be a /24 or larger inside 127.0.0.0/8 (prefix 8 to 24)`);
  }
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = value - (value % size);
  const toText = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  if (network !== value) {
    throw invalidArgument(`lab range "${range}" is not a network address (did you mean ${toText(network)}/${prefix}?)`);
  }
  return {
    cidr: `${toText(network)}/${prefix}`,
    prefix,
    size,
    at(offset: number) {
      if (offset < 0 || offset >= size) throw invalidArgument(`offset ${offset} is outside ${range}`);
      return toText(network + offset);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Certificates

interface LabPki {
  labRoot: Authority;
  labIntermediate: Authority;
  untrustedRoot: Authority;
  untrustedIntermediate: Authority;
}

const DAY = 86_400_000;

async function createPki(now: Date | undefined): Promise<LabPki> {
  const at = now === undefined ? {} : { now };
  const labRoot = await createAuthority({ name: LAB_ROOT_NAME, organization: 'autodisco lab', ...at });
  const untrustedRoot = await createAuthority({
    name: 'autodisco untrusted root',
    organization: 'autodisco lab',
    ...at,
  });
  return {
    labRoot,
    labIntermediate: await createIntermediate(labRoot, {
      name: 'autodisco lab intermediate',
      organization: 'autodisco lab',
      ...at,
    }),
    untrustedRoot,
    untrustedIntermediate: await createIntermediate(untrustedRoot, {
      name: 'autodisco untrusted intermediate',
      organization: 'autodisco lab',
      ...at,
    }),
  };
}

interface ServedCertificate {
  issued: IssuedCertificate;
  context: SecureContext;
  /** What the server sends: the leaf, plus the intermediate when `sendIntermediate`. */
  certPem: string;
  keyPem: string;
}

async function issueFor(spec: CertificateSpec, pki: LabPki, now: Date | undefined): Promise<ServedCertificate> {
  const issuer =
    spec.issuer === 'self-signed'
      ? ('self-signed' as const)
      : spec.issuer === 'lab'
        ? spec.via === 'root'
          ? pki.labRoot
          : pki.labIntermediate
        : spec.via === 'root'
          ? pki.untrustedRoot
          : pki.untrustedIntermediate;
  const reference = now ?? new Date();
  const window =
    spec.validity === 'expiring'
      ? {
          notBefore: new Date(reference.getTime() - 83 * DAY),
          notAfter: new Date(reference.getTime() + 7 * DAY),
        }
      : { validity: spec.validity };
  const issued = await issueCertificate({
    issuer,
    dnsNames: spec.names.filter((n) => isIP(n) === 0),
    ipAddresses: spec.names.filter((n) => isIP(n) !== 0),
    ...(spec.commonName === undefined ? {} : { commonName: spec.commonName }),
    keyType: spec.keyType,
    ...window,
    ...(now === undefined ? {} : { now }),
  });
  const certPem = spec.sendIntermediate ? issued.fullChainPem : issued.certPem;
  return {
    issued,
    certPem,
    keyPem: issued.keyPem,
    context: createSecureContext({ cert: certPem, key: issued.keyPem }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Hosts

/** The in-process autodisco apps of one autodisco answer, one per listener kind. */
interface AutodiscoApps {
  https?: FastifyInstance;
  http?: FastifyInstance;
}

interface HostRuntime {
  spec: HostSpec;
  address: string;
  apps: Map<AnswerSpec, AutodiscoApps>;
}

interface Resources {
  servers: NetServer[];
  /** TCP sockets, and the TLS sockets over them: close() destroys both. */
  sockets: Set<Socket>;
  /** TLS socket → the TCP socket under it (a reset must go to the TCP socket). */
  tcpOf: WeakMap<Socket, Socket>;
  timers: Set<NodeJS.Timeout>;
  apps: FastifyInstance[];
  stores: SqliteStore[];
  requests: LabRequest[];
}

const MAX_REQUEST_LOG = 10_000;

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

function handler(host: HostRuntime, scheme: 'https' | 'http', resources: Resources) {
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

async function buildApps(
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
    if (host.spec.https && route.scheme !== 'http') {
      apps.https = buildApp(deps, { transport: 'https' });
    }
    if (host.spec.http && route.scheme !== 'https') {
      const httpsPort = host.spec.https?.port;
      apps.http = buildApp(deps, {
        transport: 'http',
        httpMode: 'httpMode' in spec ? spec.httpMode : 'redirect',
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

function listenError(cause: unknown, url: string, what: string): AutodiscoError {
  const code = (cause as NodeJS.ErrnoException).code ?? 'error';
  const why =
    code === 'EADDRINUSE'
      ? 'is already in use'
      : code === 'EACCES'
        ? 'needs privileges (ports below 1024 need root or CAP_NET_BIND_SERVICE)'
        : code === 'EADDRNOTAVAIL'
          ? 'is not an address of this machine (on macOS, add it first: sudo ifconfig lo0 alias <address>)'
          : `failed (${code})`;
  return new AutodiscoError('ADK_ERR_LISTEN', `${url} ${why} (${what})`, { cause });
}

async function listen(server: NetServer, address: string, port: number, url: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(listenError(err, url, what));
    server.once('error', onError);
    server.listen({ host: address, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After listening, errors belong to single connections.
  server.on('error', () => {});
}

/** Node's request timeout would answer a hang with 408 after 5 minutes: a lab hang is forever. */
const SERVER_OPTIONS = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 };

async function startHost(
  host: HostRuntime,
  pki: LabPki,
  now: Date | undefined,
  resources: Resources,
): Promise<LabHost> {
  const { spec, address } = host;
  const lab: LabHost = { name: spec.name, address, urls: {}, certificates: [] };
  const describe = (served: ServedCertificate, sni: string[] | null): LabCertificate => ({
    sni,
    certPem: served.issued.certPem,
    fingerprint256: served.issued.x509.fingerprint256,
    chainSent: served.certPem !== served.issued.certPem,
  });
  const track = (socket: Socket) => {
    resources.sockets.add(socket);
    socket.on('close', () => resources.sockets.delete(socket));
  };
  if (spec.https) {
    const main = await issueFor(spec.https.certificate, pki, now);
    const extra = await Promise.all(
      spec.https.sni.map(async (entry) => ({
        names: entry.names ?? entry.certificate.names.filter((n) => isIP(n) === 0),
        served: await issueFor(entry.certificate, pki, now),
      })),
    );
    const choices = extra.map((e) => ({ names: e.names, context: e.served.context }));
    lab.certificates.push(describe(main, null), ...extra.map((e) => describe(e.served, e.names)));
    // HTTP over the TLS connections: never listens itself, the TLS listener hands it each connection.
    const http = createHttpServer(SERVER_OPTIONS, handler(host, 'https', resources));
    const listener = createSniListener({
      defaultContext: main.context,
      choices,
      onConnection: track,
      onSecure: (tls, tcp) => {
        track(tls);
        resources.tcpOf.set(tls, tcp);
        http.emit('connection', tls);
      },
    });
    resources.servers.push(listener);
    const url = `https://${address}:${spec.https.port}`;
    await listen(listener, address, spec.https.port, url, `host "${spec.name}"`);
    lab.httpsPort = spec.https.port;
    lab.urls.https = url;
  }
  if (spec.http) {
    const server = createHttpServer(SERVER_OPTIONS, handler(host, 'http', resources));
    server.on('connection', track);
    resources.servers.push(server);
    const url = `http://${address}:${spec.http.port}`;
    await listen(server, address, spec.http.port, url, `host "${spec.name}"`);
    lab.httpPort = spec.http.port;
    lab.urls.http = url;
  }
  return lab;
}

// ---------------------------------------------------------------------------------------------------------------
// The lab

/** Zones with host references resolved, plus an empty root zone so unknown names are NXDOMAIN, not REFUSED. */
function labZones(scenario: Scenario, addresses: ReadonlyMap<string, string>): Zone[] {
  const zones = scenarioZones(scenario.dns, (id) => addresses.get(id));
  const hasRoot = zones.some((z) => z.origin !== undefined && z.origin.replace(/\.$/, '') === '');
  return hasRoot ? zones : [...zones, { origin: '.', records: [] }];
}

function checkReferences(scenario: Scenario, addresses: ReadonlyMap<string, string>): void {
  for (const [i, zone] of scenario.dns.zones.entries()) {
    for (const [j, r] of zone.records.entries()) {
      const ref = r.type === 'A' ? HOST_REFERENCE.exec(r.value) : null;
      if (ref !== null && !addresses.has((ref[1] ?? '').toLowerCase())) {
        throw new AutodiscoError('ADK_ERR_CONFIG_INVALID', 'The scenario has problems', {
          problems: [{ path: `dns.zones[${i}].records[${j}].value`, message: `no host is named "${ref[1]}"` }],
        });
      }
    }
  }
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalidArgument(`${what} ${port} is not a port number (0-65535)`);
  }
}

/**
 * Brings a validated scenario up: DNS, then the directory, then the hosts in order. When anything fails part-way,
 * everything already started is closed before the error (ADK_ERR_LISTEN naming the address and port) is thrown.
 */
export async function startLab(scenario: Scenario, options: LabOptions = {}): Promise<RunningLab> {
  const range = parseLabRange(options.range ?? DEFAULT_LAB_RANGE);
  const dnsPort = options.dnsPort ?? 53;
  checkPort(dnsPort, 'DNS port');
  const capacity = range.size - 1 - LAB_LAYOUT.firstHost;
  if (scenario.hosts.length > capacity) {
    throw invalidArgument(
      `the scenario has ${scenario.hosts.length} hosts; ${range.cidr} holds ${capacity} (use a larger range)`,
    );
  }
  const addresses = new Map<string, string>();
  scenario.hosts.forEach((h, i) => {
    addresses.set(h.name.toLowerCase(), range.at(LAB_LAYOUT.firstHost + i));
  });
  checkReferences(scenario, addresses);

  const now = options.now;
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const resources: Resources = {
    servers: [],
    sockets: new Set(),
    tcpOf: new WeakMap(),
    timers: new Set(),
    apps: [],
    stores: [],
    requests: [],
  };
  let dnsServer: DnsServer | undefined;
  let directoryServer: DirectoryServer | undefined;
  let tempDir: string | undefined;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const timer of resources.timers) clearTimeout(timer);
      resources.timers.clear();
      for (const socket of resources.sockets) socket.destroy();
      resources.sockets.clear();
      await Promise.allSettled([
        ...resources.servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              if (!server.listening) {
                resolve();
                return;
              }
              server.close(() => resolve());
            }),
        ),
        ...resources.apps.map((app) => app.close()),
        dnsServer?.close(),
        directoryServer?.close(),
      ]);
      await Promise.allSettled(resources.stores.map((store) => store.close()));
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    })();
    return closing;
  };

  try {
    const pki = await createPki(now);
    tempDir = await mkdtemp(join(tmpdir(), 'autodisco-lab-'));
    const caFile = join(tempDir, 'lab-root.pem');
    await writeFile(caFile, pki.labRoot.certPem, { mode: 0o644 });

    dnsServer = createDnsServer({
      address: range.at(LAB_LAYOUT.dns),
      port: dnsPort,
      zones: labZones(scenario, addresses),
      faults: scenario.dns.faults.map((f) => ({ name: f.name, action: f.action, ...(f.type ? { type: f.type } : {}) })),
    });
    const dnsAddress = await dnsServer.start();

    let ldap: string | undefined;
    if (scenario.directory !== undefined) {
      const dir = scenario.directory;
      directoryServer = createDirectoryServer({
        entries: buildScpDirectory(scpDirectoryOptions(dir)),
        ...(dir.bind === undefined ? {} : { bind: dir.bind }),
        address: range.at(LAB_LAYOUT.ldap),
        port: dir.port,
      });
      ldap = (await directoryServer.start()).url;
    }

    const hosts: LabHost[] = [];
    for (const spec of scenario.hosts) {
      const host: HostRuntime = { spec, address: addresses.get(spec.name.toLowerCase()) ?? '', apps: new Map() };
      await buildApps(host, resources, logger, now);
      hosts.push(await startHost(host, pki, now, resources));
    }

    const running: RunningLab = {
      scenario,
      range: range.cidr,
      dns: dnsAddress.server,
      dnsServer,
      caFile,
      caPem: pki.labRoot.certPem,
      hosts,
      addresses: new Map(hosts.map((h) => [h.name, h.address])),
      requests: resources.requests,
      close,
    };
    if (ldap !== undefined) running.ldap = ldap;
    if (directoryServer !== undefined) running.directoryServer = directoryServer;
    return running;
  } catch (err) {
    await close();
    throw err;
  }
}
