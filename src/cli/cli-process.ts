/**
 * The plumbing of the commands that start a process of their own running this same CLI (`watch`'s runs,
 * watch-round.ts; `worker`'s working process, supervise.ts): how the parent starts it, and how the child talks back
 * over the IPC channel.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The CLI's own entry file (main.ts from source, main.js built). Not process.argv[1]: whoever started this process
 * may have named it otherwise (a wrapper that loads the CLI, as bench/audit-load.mjs does).
 */
const CLI_ENTRY = fileURLToPath(new URL(`./main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** This same command line (the CLI, its arguments and Node options, a loader such as tsx included), with `env` added. */
export function forkCli(env: Record<string, string>): ChildProcess {
  return fork(CLI_ENTRY, process.argv.slice(2), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Sends to the parent; resolves once the message is written (at once when the channel is gone). */
export function sendToParent(message: object): Promise<void> {
  return new Promise((done) => {
    if (!process.connected || process.send === undefined) return done();
    process.send(message, undefined, {}, () => done());
  });
}

/**
 * A child's SIGINT and SIGTERM change nothing: a Ctrl-C reaches the whole process group, and the parent decides
 * and passes it on over the channel, so that a signal is never acted on twice.
 */
export function leaveSignalsToParent(): void {
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
}
