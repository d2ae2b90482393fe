import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { Config } from '../../settings/schema.js';
import { loadConfigFile } from '../../settings/validate.js';
import { writeOutputFile } from '../files.js';
import { EXIT, reportError } from '../output.js';
import { DEFAULT_DB, describeSnapshot, importConfig, openStore } from '../store.js';

/** The stored configuration as the YAML file `import` reads (export's output, and import's snapshots). */
export function renderConfigYaml(config: Config): string {
  return `# autodisco configuration (JSON schema: schemas/config.schema.json in the autodisco-mail package)\n${stringify(config)}`;
}

export function registerConfigCommands(program: Command): void {
  program
    .command('import')
    .description(
      'validate a configuration file and apply it to the store, all or nothing (creates the database if it does not exist; keeps a snapshot of what it replaces)',
    )
    .argument('<file>', 'YAML (or JSON) configuration, see schemas/config.schema.json')
    .option('--db <path>', 'SQLite database file (created if missing)', DEFAULT_DB)
    .option('--allow-empty', 'allow a file without domains to delete every stored domain')
    .action(async (file: string, opts: { db: string; allowEmpty?: boolean }) => {
      try {
        // Validate everything before the store is even opened: a bad file changes nothing.
        const config = await loadConfigFile(file);
        const { store, created } = openStore(opts.db, { create: true });
        let snapshot = '';
        try {
          const result = await importConfig(store, config, {
            db: opts.db,
            source: file,
            allowEmpty: opts.allowEmpty ?? false,
            render: renderConfigYaml,
          });
          snapshot = describeSnapshot(result, opts.db);
        } finally {
          await store.close();
        }
        process.stdout.write(
          `imported ${config.domains.length} domain(s) and ${config.users.length} user(s) into ${created ? 'the new database ' : ''}${opts.db}\n${snapshot}`,
        );
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });

  program
    .command('export')
    .description('write the stored configuration as YAML')
    .option('--db <path>', 'SQLite database file (must exist)', DEFAULT_DB)
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts: { db: string; output?: string }) => {
      try {
        const { store } = openStore(opts.db, { create: false });
        let text: string;
        try {
          text = renderConfigYaml(await store.exportAll());
        } finally {
          await store.close();
        }
        if (opts.output) await writeOutputFile(opts.output, text, '--output');
        else process.stdout.write(text);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
