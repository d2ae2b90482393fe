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
 * One PKI per lab (certificates.ts): the trusted root "autodisco lab root" (its PEM is `caPem`, written to `caFile`
 * for clients) with an intermediate under it, and an untrusted root with its own intermediate, never handed to anyone.
 *
 * HTTPS: the certificate is chosen by SNI before the handshake (hosts.ts, tls-listener.ts), so each connection is
 * served with exactly one certificate and exactly the chain the scenario describes. Requests on both listeners go
 * through a small router (answer.ts: exact path, case-insensitive, then `*`); autodisco answers are handed to the
 * real server app (apps.ts), built for that listener's transport. This file starts and stops the whole.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDnsServer, type DnsServer } from '../dns/server.js';
import type { Zone } from '../dns/zone.js';
import { AutodiscoError } from '../errors.js';
import { buildScpDirectory } from '../ldap/scp.js';
import { createDirectoryServer, type DirectoryServer } from '../ldap/server.js';
import { createLogger } from '../server/logger.js';
import { buildApps } from './apps.js';
import { createPki } from './certificates.js';
import { startHost } from './hosts.js';
import { DEFAULT_LAB_RANGE, invalidArgument, LAB_LAYOUT, parseLabRange } from './range.js';
import type { HostRuntime, Resources } from './runtime.js';
import { HOST_REFERENCE, type Scenario, scenarioZones, scpDirectoryOptions } from './scenario.js';
import type { LabHost, LabOptions, RunningLab } from './types.js';

export { LAB_ROOT_NAME } from './certificates.js';
export { DEFAULT_LAB_RANGE, LAB_LAYOUT, type LabRange, parseLabRange } from './range.js';
export type { LabCertificate, LabHost, LabOptions, LabRequest, RunningLab } from './types.js';

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
