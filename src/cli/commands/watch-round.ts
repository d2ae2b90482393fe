/**
 * Each run of `autodisco watch` is made by a process of its own, started for the run and gone after it.
 *
 * Why: on Node 20, every TLS handshake whose peer chain the probe reads leaves that chain's certificates allocated
 * in OpenSSL for good (bench/profile-issue-10.md, "Memory"; `bench/peer-x509-leak.ts` shows it): about 16 KB a
 * domain, so a watch over 10,000 domains every hour would grow by 160 MB an hour until the machine kills it. A run
 * in its own process gives all of that back when the run ends, and so does V8's heap of the run's garbage; the
 * watch itself (schedule, webhook queue, /metrics, Ctrl-C) lives on in the parent, which makes no handshake.
 *
 * The run's process is this same command line, forked with WATCH_RUN_ENV set, so it parses and checks the same
 * options. It talks to the watch over the IPC channel only:
 *   run → watch:  `ready` once it listens (a message sent before would be lost), `events` as the results store
 *                 raises them, then `done` once the run is stored and closed
 *   watch → run:  `start` (the addresses, read by the watch), `stop` (finish the lookups in flight)
 * It leaves signals to the watch (cli-process.ts), and ends at once when the watch is gone (the channel closes).
 */
import type { ChildProcess } from 'node:child_process';
import type { AuditTarget } from '../../audit/input.js';
import type { AuditEvent } from '../../audit/results.js';
import type { Outcome } from '../../discover/report.js';
import { forkCli, leaveSignalsToParent, sendToParent } from '../cli-process.js';

export const WATCH_RUN_ENV = 'AUTODISCO_WATCH_RUN';

export type ToRun = { type: 'start'; targets: AuditTarget[] } | { type: 'stop' };
export type FromRun =
  | { type: 'ready' }
  | { type: 'events'; events: AuditEvent[] }
  | { type: 'done'; runId: number; counts: Record<Outcome, number> };

/** The run's process ended without storing the run; it said why on stderr itself. */
export class RunProcessFailed extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface RunProcessOutcome {
  runId: number;
  counts: Record<Outcome, number>;
  pid: number;
}

/** One run, in a process of its own (see the module's comment). */
export class RunProcess {
  readonly #child: ChildProcess;
  readonly finished: Promise<RunProcessOutcome>;
  #ready = false;
  #stopAsked = false;

  constructor(run: number, targets: AuditTarget[], onEvents: (events: AuditEvent[]) => void) {
    this.#child = forkCli({ [WATCH_RUN_ENV]: String(run) });
    const child = this.#child;
    this.finished = new Promise((resolve, reject) => {
      let done: RunProcessOutcome | undefined;
      child.on('message', (message: FromRun) => {
        if (message.type === 'ready') {
          this.#ready = true;
          this.#send({ type: 'start', targets });
          if (this.#stopAsked) this.#send({ type: 'stop' });
        } else if (message.type === 'events') onEvents(message.events);
        else done = { runId: message.runId, counts: message.counts, pid: child.pid ?? 0 };
      });
      child.once('error', reject);
      // 'close', not 'exit': by then every message the run sent has been read.
      child.once('close', (code, signal) => {
        if (done !== undefined && code === 0) return resolve(done);
        // The run's process said why on stderr (the same stderr as the watch) before it exited, unless killed.
        const how = signal !== null ? `was killed (${signal})` : `exited with status ${code}`;
        reject(new RunProcessFailed(`the process of run ${run} ${how} before the run was stored`, code || 1));
      });
    });
  }

  /** Finish the lookups in flight, store what they give, and end the run early. */
  stop(): void {
    this.#stopAsked = true;
    if (this.#ready) this.#send({ type: 'stop' });
  }

  /** Ends the run's process at once: its lookups in flight are lost (not stored). */
  kill(): void {
    this.#child.kill('SIGKILL');
  }

  #send(message: ToRun): void {
    if (this.#child.connected) this.#child.send(message);
  }
}

let releaseHandlers: () => void = () => undefined;

/** The run's side: waits for `start`, then hands over the run, and a way to be told to stop. */
export function awaitRunStart(): Promise<{
  targets: AuditTarget[];
  onStop: (stop: () => void) => void;
  send: (message: FromRun) => Promise<void>;
}> {
  leaveSignalsToParent();
  let stopped = false;
  let stop: (() => void) | undefined;
  const onStopMessage = () => {
    stopped = true;
    stop?.();
  };
  // The watch is gone (killed outright): the run goes with it, as it would have in one process. What it has not
  // stored yet is looked up again by the next run, whose events then say it; events raised here would reach no one.
  const orphaned = () => process.exit(130);
  process.on('disconnect', orphaned);
  releaseHandlers = () => process.off('disconnect', orphaned);
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error(`${WATCH_RUN_ENV} is set but this process has no IPC channel: it is started by watch only`));
      return;
    }
    process.on('message', (message: ToRun) => {
      if (message.type === 'stop') return onStopMessage();
      resolve({
        targets: message.targets,
        onStop: (handler) => {
          stop = handler;
          if (stopped) handler();
        },
        send: (m: FromRun) => sendToParent(m),
      });
    });
    void sendToParent({ type: 'ready' } satisfies FromRun);
  });
}

/** Closes the run's channel to the watch, however the run ended: the open channel would keep the process alive. */
export function releaseWatch(): void {
  releaseHandlers();
  if (process.env[WATCH_RUN_ENV] !== undefined && process.connected) process.disconnect();
}
