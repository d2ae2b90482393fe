import type { Command } from 'commander';
import { AutodiscoError } from '../../errors.js';
import { streamConfigChunks, writeChunks, writeFileChunks } from '../config-yaml.js';
import { fileReason } from '../files.js';
import { importFile } from '../import-file.js';
import { EXIT, reportError } from '../output.js';
import { DEFAULT_DB, describeSnapshot, displayDb, openStore } from '../store.js';

export function registerConfigCommands(program: Command): void {
  program
    .command('import')
    .description(
      'validate a configuration file and apply it to the store, all or nothing (creates the database if it does not exist; keeps a snapshot of what it replaces)',
    )
    .argument('<file>', 'YAML (or JSON) configuration, see schemas/config.schema.json')
    .option(
      '--db <path|url>',
      'SQLite database file (created if missing) or postgres://user@host:port/db (tables created if missing)',
      DEFAULT_DB,
    )
    .option('--allow-empty', 'allow a file without domains to delete every stored domain')
    .action(async (file: string, opts: { db: string; allowEmpty?: boolean }) => {
      try {
        // The whole file is checked before the store is even opened: a bad file changes (or creates) nothing.
        const result = await importFile(file, { db: opts.db, allowEmpty: opts.allowEmpty ?? false });
        process.stdout.write(
          `imported ${result.domains} domain(s) and ${result.users} user(s) into ${result.created ? 'the new database ' : ''}${displayDb(opts.db)}\n${describeSnapshot(result, opts.db)}`,
        );
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });

  program
    .command('export')
    .description('write the stored configuration as YAML')
    .option('--db <path|url>', 'SQLite database file or postgres://user@host:port/db (must exist)', DEFAULT_DB)
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts: { db: string; output?: string }) => {
      try {
        const { store } = await openStore(opts.db, { create: false });
        try {
          // Streamed row by row from the store to the output, waiting whenever the output is behind.
          const contents = await store.contents();
          const chunks = streamConfigChunks(contents.domains, contents.users());
          try {
            if (opts.output) {
              const output = opts.output;
              await writeFileChunks(output, chunks, { flags: 'w' }).catch((cause: unknown) => {
                throw new AutodiscoError(
                  'ADK_ERR_OUTPUT',
                  `--output ${output}: cannot write the file: ${fileReason(cause)}`,
                  { cause },
                );
              });
            } else {
              await writeChunks(process.stdout, chunks);
            }
          } finally {
            await chunks.return(undefined);
            await contents.close?.();
          }
        } finally {
          await store.close();
        }
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
