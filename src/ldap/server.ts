/**
 * A small LDAPv3 server on loopback, for tests and the lab: enough of Active Directory for a client to read the root
 * DSE, bind, and find Autodiscover SCP objects, and (with `writable`) for a bound account to add them. Plain TCP only (no TLS, no SASL), in-process.
 * Loopback is enforced because passwords cross the socket in clear text.
 */
import { createServer, isIPv4, type Server } from 'node:net';
import { AutodiscoError } from '../errors.js';
import { type AttributeValues, Directory, type DirectoryEntry } from './directory.js';
import { type BindAccount, type DirectoryOperation, Session } from './session.js';

export type { AttributeValues, DirectoryEntry, SearchScope } from './directory.js';
export type { BindAccount, DirectoryOperation } from './session.js';

export interface DirectoryServerOptions {
  entries: readonly DirectoryEntry[];
  /**
   * Who may bind (simple bind). Omitted or 'anonymous-only': only anonymous binds succeed, and anonymous
   * connections may search everything. A list of accounts: those may bind, and like AD an anonymous connection
   * may still bind and read the root DSE but any other search gets operationsError (000004DC).
   */
  bind?: readonly BindAccount[] | 'anonymous-only';
  /**
   * Accept LDAP adds (default false: every write is refused with unwillingToPerform). Only a connection bound as one
   * of the `bind` accounts may add; anonymous adds get insufficientAccessRights (50), an existing DN
   * entryAlreadyExists (68), a missing parent noSuchObject (32). The directory sets whenCreated (and objectCategory).
   */
  writable?: boolean;
  /** A loopback address: 127.0.0.0/8 or ::1. Default 127.0.0.1. */
  address?: string;
  /** Default 0: any free port. */
  port?: number;
  /**
   * Root DSE attributes replacing or adding to the derived ones (namingContexts, defaultNamingContext,
   * rootDomainNamingContext, configurationNamingContext, schemaNamingContext, supportedLDAPVersion,
   * supportedControl). An empty array removes one.
   */
  rootDse?: Readonly<Record<string, AttributeValues>>;
  /** Largest LDAPMessage accepted; a client announcing a bigger one is disconnected. Default 1 MiB. */
  maxMessageBytes?: number;
}

export interface DirectoryServerAddress {
  address: string;
  port: number;
  /** e.g. `ldap://127.0.0.2:38945` */
  url: string;
}

export interface DirectoryServer {
  /** Starts listening; calling again while running returns the same address. */
  start(): Promise<DirectoryServerAddress>;
  /** Stops listening and drops every connection. Safe to call more than once. */
  close(): Promise<void>;
  /** Every operation so far, oldest first (a live view). */
  readonly log: readonly DirectoryOperation[];
  clearLog(): void;
}

function isLoopback(address: string): boolean {
  return address === '::1' || (isIPv4(address) && address.startsWith('127.'));
}

export function createDirectoryServer(options: DirectoryServerOptions): DirectoryServer {
  const address = options.address ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!isLoopback(address)) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `the LDAP test server listens on loopback only, not ${address}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', `port ${port} is not a TCP port number`);
  }
  const directory = new Directory(options.entries, options.rootDse); // validates entries now, not at first search
  const accounts = options.bind === undefined || options.bind === 'anonymous-only' ? undefined : options.bind;
  const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
  const host = address.includes(':') ? `[${address}]` : address;

  const log: DirectoryOperation[] = [];
  const sessions = new Set<Session>();
  let server: Server | undefined;
  let running: DirectoryServerAddress | undefined;
  let nextConnection = 1;

  const record = (op: DirectoryOperation): void => {
    log.push(op);
  };

  async function start(): Promise<DirectoryServerAddress> {
    if (running !== undefined) return running;
    const srv = createServer((socket) => {
      const session = new Session(socket, {
        id: nextConnection++,
        directory,
        accounts,
        writable: options.writable === true,
        maxMessageBytes,
        record,
      });
      sessions.add(session);
      socket.on('close', () => sessions.delete(session));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, address, () => {
          srv.off('error', reject);
          resolve();
        });
      });
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const why =
        code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs privileges' : `failed (${code})`;
      throw new AutodiscoError('ADK_ERR_LISTEN', `ldap://${host}:${port} ${why}`, { cause });
    }
    srv.on('error', () => {}); // after listening, errors belong to single connections, handled there
    const bound = srv.address();
    const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
    server = srv;
    running = { address, port: boundPort, url: `ldap://${host}:${boundPort}` };
    return running;
  }

  async function close(): Promise<void> {
    const srv = server;
    server = undefined;
    running = undefined;
    for (const session of sessions) session.destroy();
    sessions.clear();
    if (srv !== undefined) await new Promise<void>((resolve) => srv.close(() => resolve()));
  }

  return {
    start,
    close,
    get log() {
      return log;
    },
    clearLog() {
      log.length = 0;
    },
  };
}
