/**
 * The CLI loads only the module of the command asked for (src/cli/command-index.ts): its list of top-level
 * commands must be exactly what the modules register, or a command would vanish from the CLI (or load another
 * command's module for nothing).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { COMMAND_MODULES, registerCommands } from '../../src/cli/command-index.js';
import { cli } from '../helpers/cli.js';

test('the index names every top-level command the modules register, each loading the module that registers it', async () => {
  const all = new Command();
  await registerCommands(all, ['node', 'autodisco']);
  assert.deepEqual(
    all.commands.map((c) => c.name()),
    Object.keys(COMMAND_MODULES),
  );
  for (const name of Object.keys(COMMAND_MODULES)) {
    const one = new Command();
    await registerCommands(one, ['node', 'autodisco', name, '--help']);
    assert.ok(
      one.commands.some((c) => c.name() === name),
      `${name}: its module registers it`,
    );
  }
});

test('a command from its module alone; help and a mistake still see every command', async () => {
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  for (const name of Object.keys(COMMAND_MODULES)) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
  const audit = await cli(['audit', '--help']);
  assert.equal(audit.code, 0);
  assert.match(audit.stdout, /--concurrency <n>/);
  const typo = await cli(['audti', 'x.txt']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command 'audti'/);
  assert.match(typo.stderr, /Did you mean audit\?/);
});
