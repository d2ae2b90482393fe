/** What a running lab holds while it runs: its hosts' state and everything close() must release. */
import type { Server as NetServer, Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { SqliteStore } from '../store/sqlite.js';
import type { AnswerSpec, HostSpec } from './scenario.js';
import type { LabRequest } from './types.js';

/** The in-process autodisco apps of one autodisco answer, one per listener kind. */
export interface AutodiscoApps {
  https?: FastifyInstance;
  http?: FastifyInstance;
}

export interface HostRuntime {
  spec: HostSpec;
  address: string;
  apps: Map<AnswerSpec, AutodiscoApps>;
}

export interface Resources {
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

export const MAX_REQUEST_LOG = 10_000;
