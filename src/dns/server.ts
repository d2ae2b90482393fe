/**
 * An authoritative DNS server for tests and the lab: declarative zones (zone.ts) served over UDP and TCP
 * (RFC 1035 §4.2.2 length-prefixed) on one address and one port, with a query log and injectable faults.
 * It answers only from its own data and never recurses.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { AutodiscoError } from '../errors.js';
import { canonicalName } from './names.js';
import { type DnsFault, type FaultAction, type QueryLogEntry, respond, type Transport } from './respond.js';
import { compileZones, type Zone, type ZoneSet } from './zone.js';

export type { DnsFault, FaultAction, QueryLogEntry, Transport } from './respond.js';

export interface DnsServerOptions {
  /** An IP literal. @default '127.0.0.1' */
  address?: string;
  /** UDP and TCP use the same port. @default 0: an ephemeral port, chosen by the system */
  port?: number;
  zones: readonly Zone[];
  faults?: readonly DnsFault[];
  /** The log keeps the most recent entries only. @default 10_000 */
  maxLogEntries?: number;
}

export interface DnsServerAddress {
  address: string;
  port: number;
  family: 4 | 6;
  /** `127.0.0.1:5353` or `[::1]:5353`: what `--dns` and `createNodeResolver({ servers })` take. */
  server: string;
}

/** A port the system picked for UDP may be taken for TCP; a fresh pick usually succeeds. */
const EPHEMERAL_ATTEMPTS = 20;
/** RFC 7766 §6.2.3 lets servers close idle TCP connections; this keeps close() from waiting on clients. */
const TCP_IDLE_MS = 30_000;

function hostPort(address: string, port: number): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

function listenError(err: unknown, address: string, port: number, transport: Transport): AutodiscoError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'EADDRINUSE'
      ? 'the address is already in use (EADDRINUSE)'
      : code === 'EACCES'
        ? 'permission denied (EACCES); ports below 1024 need privileges'
        : code === 'EADDRNOTAVAIL'
          ? 'the address is not on this machine (EADDRNOTAVAIL)'
          : err instanceof Error
            ? err.message
            : String(err);
  const where = hostPort(address, port);
  return new AutodiscoError('ADK_ERR_LISTEN', `The DNS server could not listen on ${where} (${transport}): ${reason}`, {
    cause: err,
  });
}

/** The UDP socket's receive buffer asked for (see #bind). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

function bindUdp(socket: dgram.Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function listenTcp(server: net.Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function faultKey(name: string, type: string | undefined): string {
  return `${canonicalName(name)} ${type?.toUpperCase() ?? '*'}`;
}

export class DnsServer {
  /** Every question received, in order. Clear with clearQueries(). */
  readonly queries: QueryLogEntry[] = [];
  readonly #address: string;
  readonly #port: number;
  readonly #maxLog: number;
  #zones: ZoneSet;
  #faults = new Map<string, FaultAction>();
  #udp: dgram.Socket | null = null;
  #tcp: net.Server | null = null;
  #connections = new Set<net.Socket>();
  #bound: DnsServerAddress | null = null;
  #starting: Promise<DnsServerAddress> | null = null;

  constructor(options: DnsServerOptions) {
    this.#address = options.address ?? '127.0.0.1';
    this.#port = options.port ?? 0;
    if (net.isIP(this.#address) === 0) {
      throw new AutodiscoError(
        'ADK_ERR_INVALID_ARGUMENT',
        `DNS server address "${this.#address}" is not an IP address`,
      );
    }
    if (!Number.isInteger(this.#port) || this.#port < 0 || this.#port > 65535) {
      throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `DNS server port ${this.#port} is not 0-65535`);
    }
    this.#maxLog = options.maxLogEntries ?? 10_000;
    this.#zones = compileZones(options.zones);
    this.setFaults(options.faults ?? []);
  }

  /** The bound address after start(), else null. */
  get address(): DnsServerAddress | null {
    return this.#bound;
  }

  /** Replaces every zone at once; invalid data throws ADK_ERR_CONFIG_INVALID and leaves the old zones served. */
  setZones(zones: readonly Zone[]): void {
    this.#zones = compileZones(zones, this.#zones.serial + 1);
  }

  /** Replaces the fault table. A fault with a type wins over one without for that type. */
  setFaults(faults: readonly DnsFault[]): void {
    const table = new Map<string, FaultAction>();
    for (const f of faults) {
      if (f.action !== 'drop' && f.action !== 'servfail') {
        throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `DNS fault "${String(f.action)}" is not drop or servfail`);
      }
      table.set(faultKey(f.name, f.type), f.action);
    }
    this.#faults = table;
  }

  clearQueries(): void {
    this.queries.length = 0;
  }

  /** Binds UDP, then TCP on the same port. Throws ADK_ERR_LISTEN naming address:port. Idempotent. */
  start(): Promise<DnsServerAddress> {
    this.#starting ??= this.#bind().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #bind(): Promise<DnsServerAddress> {
    if (this.#bound !== null) return this.#bound;
    const family = net.isIPv6(this.#address) ? 6 : 4;
    for (let attempt = 1; ; attempt++) {
      const udp = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
      try {
        await bindUdp(udp, this.#address, this.#port);
      } catch (err) {
        udp.close();
        throw listenError(err, this.#address, this.#port, 'udp');
      }
      // A receive buffer as DNS servers size theirs (unbound's so-rcvbuf): the default 208 KiB holds a few hundred
      // queries, and an audit of hundreds of domains at once sends bursts larger than that while this process is
      // busy with TLS handshakes (the fleet lab), so the kernel dropped queries (bench/profile-issue-10.md). The
      // kernel caps it at net.core.rmem_max without complaint.
      udp.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
      const port = udp.address().port;
      const tcp = net.createServer((socket) => this.#serveTcp(socket));
      try {
        await listenTcp(tcp, this.#address, port);
      } catch (err) {
        udp.close();
        const retry = this.#port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!retry || attempt >= EPHEMERAL_ATTEMPTS) throw listenError(err, this.#address, port, 'tcp');
        continue;
      }
      udp.on('message', (message, peer) => {
        const bytes = this.#answer(message, 'udp');
        // A client that went away cannot be told anything; the error has nowhere useful to go.
        if (bytes !== null) udp.send(bytes, peer.port, peer.address, () => {});
      });
      // After binding, UDP errors concern single datagrams (e.g. ICMP from a vanished client), not the server.
      udp.on('error', () => {});
      this.#udp = udp;
      this.#tcp = tcp;
      this.#bound = { address: this.#address, port, family, server: hostPort(this.#address, port) };
      return this.#bound;
    }
  }

  /** Closes both sockets and every open TCP connection. Safe to call when not started. */
  async close(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = null;
    this.#tcp = null;
    this.#bound = null;
    for (const socket of this.#connections) socket.destroy();
    this.#connections.clear();
    await Promise.all([
      udp === null ? undefined : new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp === null ? undefined : new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  #answer(message: Buffer, transport: Transport): Buffer | null {
    const { bytes, entry } = respond(message, {
      zones: this.#zones,
      transport,
      fault: (name, type) =>
        this.#faults.get(faultKey(name, type)) ?? this.#faults.get(faultKey(name, undefined)) ?? null,
    });
    if (entry !== null) {
      this.queries.push(entry);
      if (this.queries.length > this.#maxLog) this.queries.splice(0, this.queries.length - this.#maxLog);
    }
    return bytes;
  }

  #serveTcp(socket: net.Socket): void {
    this.#connections.add(socket);
    socket.on('close', () => this.#connections.delete(socket));
    // Resets by clients are routine (c-ares closes after its answer); there is no one to report them to.
    socket.on('error', () => {});
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // A segment may carry part of a message or several messages (RFC 7766 §8 pipelining).
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const bytes = this.#answer(message, 'tcp');
        if (bytes === null) continue;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(bytes.length);
        socket.write(Buffer.concat([prefix, bytes]));
      }
    });
  }
}

export function createDnsServer(options: DnsServerOptions): DnsServer {
  return new DnsServer(options);
}
