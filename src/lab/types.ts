/** What a running lab is and what it records: the public shapes of `startLab` (lab.ts). */
import type { FastifyBaseLogger } from 'fastify';
import type { DnsServer } from '../dns/server.js';
import type { DirectoryServer } from '../ldap/server.js';
import type { AnswerKind, Scenario } from './scenario.js';

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
