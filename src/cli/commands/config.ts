import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../settings/validate.js';
import { SqliteStore } from '../../store/sqlite.js';
import { EXIT, reportError } from '../output.js';

export const DEFAULT_DB = 'data/autodisco.sqlite';

export function registerConfigCommands(program: Command): void {
  program
    .command('import')
    .description('validate a configuration file and apply it to the store, all or nothing')
    .argument('<file>', 'YAML (or JSON) configuration, see schemas/config.schema.json')
    .option('--db <path>', 'SQLite database file', DEFAULT_DB)
    .action(async (file: string, opts: { db: string }) => {
      try {
        // Validate everything before the store is even opened: a bad file changes nothing.
        const config = await loadConfigFile(file);
        const store = new SqliteStore(opts.db);
        try {
          await store.replaceAll(config);
        } finally {
          await store.close();
        }
        process.stdout.write(
          `imported ${config.domains.length} domain(s) and ${config.users.length} user(s) into ${opts.db}\n`,
        );
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });

  program
    .command('export')
    .description('write the stored configuration as YAML')
    .option('--db <path>', 'SQLite database file', DEFAULT_DB)
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts: { db: string; output?: string }) => {
      try {
        const store = new SqliteStore(opts.db);
        let text: string;
        try {
          const config = await store.exportAll();
          text = `# autodisco configuration (JSON schema: schemas/config.schema.json in the autodisco package)\n${stringify(config)}`;
        } finally {
          await store.close();
        }
        if (opts.output) await writeFile(opts.output, text);
        else process.stdout.write(text);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
