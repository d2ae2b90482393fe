#!/usr/bin/env node
import { Command } from 'commander';
import { registerAdminCommands } from './commands/admin.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDiscoverCommand } from './commands/discover.js';
import { registerLabCommands } from './commands/lab.js';
import { registerPlanCommands } from './commands/plan.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWatchCommand } from './commands/watch.js';
import { registerWorkerCommand } from './commands/worker.js';
import { EXIT, stopQuietlyWhenOutputCloses } from './output.js';

const program = new Command()
  .name('autodisco')
  .description("Mail Autodiscover: serve it, reproduce each client's lookup, explain what is wrong")
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride((err) => {
    // Usage mistakes exit 2, as the discover contract fixes for every command.
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

stopQuietlyWhenOutputCloses();
registerServeCommand(program);
registerConfigCommands(program);
registerDiscoverCommand(program);
registerPlanCommands(program);
registerLabCommands(program);
registerAuditCommand(program);
registerWatchCommand(program);
registerWorkerCommand(program);
registerAdminCommands(program);

await program.parseAsync(process.argv);
