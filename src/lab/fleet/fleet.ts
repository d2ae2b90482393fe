/**
 * `startFleet`: hundreds to 10,000 mail domains on one machine, each reproducing one category (categories.ts),
 * with ONE DNS server, ONE HTTPS listener and one HTTP handler:
 *
 *   .53   DNS (UDP and TCP): one zone fleet.test with every domain, the providers' zones, an empty root
 *   .100  HTTPS :443 and HTTP :80: every host that answers HTTPS. The certificate is chosen by the SNI name
 *         (certificates.ts), made on first use; the answer by the Host name (websites, the domains' own
 *         Autodiscover server, the SRV hoster, the redirect provider, the shared web host)
 *   .101  HTTP :80 only: what must refuse HTTPS (the root of root-no-tls, the HTTP redirector)
 *
 * The three Autodiscover servers are the real autodisco app, each with one in-memory store holding all of its
 * domains. Nothing is made per domain at start-up except DNS records and store rows.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createDnsServer, type DnsServer } from '../../dns/server.js';
import { buildApp } from '../../server/app.js';
import { createLogger } from '../../server/logger.js';
import { ServerMetrics } from '../../server/metrics.js';
import type { Config } from '../../settings/schema.js';
import { SqliteStore } from '../../store/sqlite.js';
import { createPki } from '../certificates.js';
import { LAB_LAYOUT, parseLabRange } from '../range.js';
import { createSniListener } from '../tls-listener.js';
import { FleetCertificates, HOSTER_NAMES, OWN_SERVER, PROVIDER_NAMES } from './certificates.js';
import { domainOf, type FleetManifest, fleetConfigs, fleetManifest, fleetZones, planFleet } from './plan.js';

export const DEFAULT_FLEET_RANGE = '127.70.0.0/24';
/** Offsets of the two listening addresses in the range. */
export const FLEET_ADDRESSES = { tls: 100, plainOnly: 101 } as const;

export interface FleetOptions {
  domains: number;
  seed?: number;
  /** @default '127.70.0.0/24' (the fleet uses .53, .100 and .101 of it) */
  range?: string;
  /** @default 53 */
  dnsPort?: number;
  /** The fleet's clock (certificate validity windows). */
  now?: Date;
  /** Most TLS contexts kept at once. @default 4096 */
  certificateCache?: number;
  /**
   * Make every certificate before listening (certificates.ts issueAll) rather than on first use: a slower start,
   * and a fleet that then answers as real servers do, with nothing made while a client waits (`npm run
   * bench:audit` measures the audit against such a fleet).
   */
  issueFirst?: boolean;
}

export interface RunningFleet {
  manifest: FleetManifest;
  dns: string;
  caFile: string;
  caPem: string;
  dnsServer: DnsServer;
  certificates: FleetCertificates;
  /** Milliseconds from the call until everything listened. */
  startupMs: number;
  close(): Promise<void>;
}

const WEBSITE = '<!doctype html><title>Welcome</title><h1>Welcome</h1>';

interface Apps {
  exchange: FastifyInstance;
  exchangeHttp: FastifyInstance;
  /** The same store on plain HTTP serving everything (autoconfig over http://). */
  exchangeFull: FastifyInstance;
  hoster: FastifyInstance;
  provider: FastifyInstance;
}

type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const page =
  (status: number, body: string): Answer =>
  (_req, res) =>
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(body);
const NOT_FOUND = page(404, '<h1>404 Not Found</h1>');
const HOME = page(200, WEBSITE);
const toProvider: Answer = (_req, res) =>
  res
    .writeHead(302, { location: 'https://mail.provider.test/autodiscover/autodiscover.xml', 'content-length': '0' })
    .end();
const appAnswer =
  (app: FastifyInstance): Answer =>
  (req, res) =>
    app.routing(req, res);

/** Who answers a request, by the name it was sent to (Host header) and its scheme. */
function answerFor(apps: Apps, scheme: 'https' | 'http', req: IncomingMessage): Answer {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const path = (req.url ?? '/').split('?')[0]?.toLowerCase() ?? '/';
  if (scheme === 'https' && HOSTER_NAMES.includes(host)) return appAnswer(apps.hoster);
  if (scheme === 'https' && PROVIDER_NAMES.includes(host)) return appAnswer(apps.provider);
  const info = domainOf(host);
  if (info === undefined) return NOT_FOUND;
  const { category, label } = info;
  if (category === 'http-redirect') {
    const redirectGet = label === 'autodiscover' && req.method === 'GET' && path === '/autodiscover/autodiscover.xml';
    return scheme === 'http' && redirectGet ? toProvider : NOT_FOUND;
  }
  // autoconfig over plain HTTP (the only way this category offers it), from the same store as Autodiscover.
  if (category === 'plain-http-autoconfig' && label === 'autoconfig' && scheme === 'http')
    return appAnswer(apps.exchangeFull);
  const ownServer = label === 'mail' || (label === 'autodiscover' && category !== 'wildcard-dns');
  if (ownServer && OWN_SERVER.has(category)) return appAnswer(scheme === 'https' ? apps.exchange : apps.exchangeHttp);
  // The shared web host behind a wildcard record: a home page, 404 elsewhere.
  if (category === 'wildcard-dns') return path === '/' ? HOME : NOT_FOUND;
  return label === '' || label === 'www' ? HOME : NOT_FOUND;
}

async function listen(server: NetServer, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => {});
}

export async function startFleet(options: FleetOptions): Promise<RunningFleet> {
  const started = performance.now();
  const range = parseLabRange(options.range ?? DEFAULT_FLEET_RANGE);
  const seed = options.seed ?? 1;
  const domains = planFleet(options.domains, seed);
  const at = (offset: number) => range.at(offset);
  const sockets = new Set<Socket>();
  const servers: NetServer[] = [];
  const apps: FastifyInstance[] = [];
  const stores: SqliteStore[] = [];
  let dnsServer: DnsServer | undefined;
  let tempDir: string | undefined;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await Promise.allSettled([
      ...servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      ...apps.map((a) => a.close()),
      dnsServer?.close(),
    ]);
    for (const store of stores) await store.close();
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  };
  try {
    const pki = await createPki(options.now);
    tempDir = await mkdtemp(join(tmpdir(), 'autodisco-fleet-'));
    const caFile = join(tempDir, 'fleet-root.pem');
    await writeFile(caFile, pki.labRoot.certPem, { mode: 0o644 });

    const zones = fleetZones(domains, (role) =>
      at(role === 101 || role === 104 ? FLEET_ADDRESSES.plainOnly : FLEET_ADDRESSES.tls),
    );
    dnsServer = createDnsServer({
      address: at(LAB_LAYOUT.dns),
      port: options.dnsPort ?? 53,
      zones,
      maxLogEntries: 1000,
    });
    const dns = (await dnsServer.start()).server;

    const logger = createLogger({ level: 'silent' });
    const storeOf = async (config: Config) => {
      const store = new SqliteStore(':memory:');
      stores.push(store);
      await store.replaceAll(config);
      return store;
    };
    const app = async (store: SqliteStore, transport: 'https' | 'http', httpMode: 'redirect' | 'full' = 'redirect') => {
      const deps = {
        store,
        logger,
        metrics: new ServerMetrics(),
        ...(options.now ? { now: () => options.now as Date } : {}),
      };
      const built = buildApp(deps, transport === 'https' ? { transport } : { transport, httpMode });
      apps.push(built);
      await built.ready();
      return built;
    };
    const configs = fleetConfigs(domains);
    // One store per server, shared by its listeners.
    const own = await storeOf(configs.exchange);
    const routed: Apps = {
      exchange: await app(own, 'https'),
      exchangeHttp: await app(own, 'http'),
      exchangeFull: await app(own, 'http', 'full'),
      hoster: await app(await storeOf(configs.hoster), 'https'),
      provider: await app(await storeOf(configs.provider), 'https'),
    };

    const track = (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    };
    const serverOptions = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 };
    const overTls = createHttpServer(serverOptions, (req, res) => answerFor(routed, 'https', req)(req, res));
    const plain = createHttpServer(serverOptions, (req, res) => answerFor(routed, 'http', req)(req, res));
    const certificates = new FleetCertificates(pki, options.now, options.certificateCache);
    if (options.issueFirst === true) await certificates.issueAll(domains.map((d) => d.domain));
    const tls = createSniListener({
      defaultContext: await certificates.context(null),
      choices: [],
      choose: (servername) => certificates.context(servername),
      // A certificate is made on the first handshake for its name (about 8 ms of CPU): on a busy machine a burst of
      // new names queues, and the lab must not be the one that gives up.
      handshakeTimeoutMs: 30_000,
      onConnection: track,
      onSecure: (socket) => {
        track(socket);
        overTls.emit('connection', socket);
      },
    });
    servers.push(tls);
    await listen(tls, at(FLEET_ADDRESSES.tls), 443);
    for (const offset of [FLEET_ADDRESSES.tls, FLEET_ADDRESSES.plainOnly]) {
      const listener = createNetServer((socket) => {
        track(socket);
        plain.emit('connection', socket);
      });
      servers.push(listener);
      await listen(listener, at(offset), 80);
    }
    return {
      manifest: fleetManifest(domains, seed, { range: range.cidr, dns, ca: caFile }),
      dns,
      caFile,
      caPem: pki.labRoot.certPem,
      dnsServer,
      certificates,
      startupMs: Math.round(performance.now() - started),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
