/**
 * A long-running command that hands its work to a process of its own, replaced by a fresh one from time to time:
 * `worker --recycle-after N`. On Node 20 every TLS handshake whose peer chain is read leaves those certificates
 * allocated in OpenSSL for good (bench/profile-issue-10.md, "Memory"): a process that makes lookups for days grows
 * without bound, and only its end gives the memory back. (`watch` makes each run in a process of its own instead,
 * watch-round.ts: its runs are the natural unit.)
 *
 * The supervisor is the command as started (the PID a service manager knows); the working process is the same
 * command line forked with SUPERVISED_ENV set to its generation (1, 2, …), so it parses and checks the same
 * options. Over the IPC channel:
 *   worker → supervisor:  `ready` once it listens (a message sent before would be lost), `recycle` (it has done
 *                         its share and is stopping: start the next one when it is gone)
 *   supervisor → worker:  `stop` (finish what is in hand, then exit), `stop-now` (exit at once)
 * The working process leaves signals to the supervisor (cli-process.ts), and stops at once when the supervisor is
 * gone (the channel closes): a supervisor killed outright takes its work with it, as a single process would.
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { forkCli, leaveSignalsToParent, sendToParent } from './cli-process.js';

export const SUPERVISED_ENV = 'AUTODISCO_SUPERVISED';

type ToWorker = { type: 'stop' } | { type: 'stop-now' };
type FromWorker = { type: 'ready' } | { type: 'recycle' };

/**
 * Runs working processes one after another for as long as each ends by asking to be replaced; resolves with the
 * exit status of the last one. `log` says when one is replaced.
 */
export async function supervise(log: (line: string) => void): Promise<number> {
  let signals = 0;
  let current: ChildProcess | undefined;
  let listening = false;
  const passOn = () => {
    if (signals > 0 && listening && current?.connected)
      current.send({ type: signals === 1 ? 'stop' : 'stop-now' } satisfies ToWorker);
  };
  const onSignal = () => {
    signals++;
    passOn();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (let generation = 1; ; generation++) {
      const child = forkCli({ [SUPERVISED_ENV]: String(generation) });
      current = child;
      listening = false;
      let recycle = false;
      child.on('message', (message: FromWorker) => {
        if (message.type === 'recycle') recycle = true;
        else {
          listening = true;
          // A signal that came while the process was starting is passed on now that it can hear it.
          passOn();
        }
      });
      // 'close', not 'exit': by then every message it sent has been read.
      const status = await new Promise<number>((resolve) => {
        child.once('error', (error) => {
          log(`cannot start the working process: ${error.message}`);
          resolve(1);
        });
        child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + constants.signals[signal])));
      });
      if (!recycle) return status;
      // It was handing over (and so said nothing of its end) when the stop came: say it here.
      if (signals > 0) {
        log('stopped');
        return status;
      }
      log(`process ${child.pid} has ended; a fresh process takes over (--recycle-after)`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

let listeners: { message: (message: ToWorker) => void; gone: () => void } | undefined;

/**
 * The working process's side: the supervisor's `stop` and `stop-now` as callbacks, and a way to ask to be replaced.
 * It must call releaseParent() when its work is over, however it ends: the open channel would keep it alive.
 */
export function supervisedByParent(onStop: (now: boolean) => void): { recycle: () => Promise<void> } {
  listeners = { message: (message) => onStop(message.type === 'stop-now'), gone: () => onStop(true) };
  leaveSignalsToParent();
  process.on('message', listeners.message);
  process.on('disconnect', listeners.gone);
  void sendToParent({ type: 'ready' } satisfies FromWorker);
  return { recycle: () => sendToParent({ type: 'recycle' } satisfies FromWorker) };
}

/** Closes the channel to the supervisor (which then sees this process end), without counting that as a stop. */
export function releaseParent(): void {
  if (listeners !== undefined) {
    process.off('message', listeners.message);
    process.off('disconnect', listeners.gone);
    listeners = undefined;
  }
  if (isSupervised() && process.connected) process.disconnect();
}

/** Whether this process is a working process started by supervise(). */
export function isSupervised(): boolean {
  return process.env[SUPERVISED_ENV] !== undefined && process.send !== undefined;
}
