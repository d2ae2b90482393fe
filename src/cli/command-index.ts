/**
 * Every top-level command and the module that registers it. The CLI loads only the module of the command asked
 * for (all of them for help or a mistake): `serve` alone pulls in Fastify and its plugins, and every command used to
 * pay for all the others at start-up (about 0.25 s of the 0.65 s `audit` took before it read its first line).
 * test/cli/command-index.test.ts checks that this list and what the modules register agree.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

const config = async (): Promise<Register> => (await import('./commands/config.js')).registerConfigCommands;
const plan = async (): Promise<Register> => (await import('./commands/plan.js')).registerPlanCommands;

/** In the order `autodisco --help` lists them. */
export const COMMAND_MODULES: Record<string, () => Promise<Register>> = {
  serve: async () => (await import('./commands/serve.js')).registerServeCommand,
  import: config,
  export: config,
  discover: async () => (await import('./commands/discover.js')).registerDiscoverCommand,
  plan,
  publish: plan,
  lab: async () => (await import('./commands/lab.js')).registerLabCommands,
  audit: async () => (await import('./commands/audit.js')).registerAuditCommand,
  watch: async () => (await import('./commands/watch.js')).registerWatchCommand,
  worker: async () => (await import('./commands/worker.js')).registerWorkerCommand,
  admin: async () => (await import('./commands/admin.js')).registerAdminCommands,
};

/** Registers the command `argv` names, or every command when it names none of them (help, a typo, no command). */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const named = argv[2] !== undefined ? COMMAND_MODULES[argv[2]] : undefined;
  const loaders = named !== undefined ? [named] : [...new Set(Object.values(COMMAND_MODULES))];
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program);
}
