#!/usr/bin/env node
import { Command } from 'commander';
import { registerCommands } from './command-index.js';
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
await registerCommands(program, process.argv);

await program.parseAsync(process.argv);
