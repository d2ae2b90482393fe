/** `autodisco admin add-user NAME` and `admin add-token NAME`: the accounts of the web UI and admin API. */
import type { Command } from 'commander';
import type { AdminStore } from '../../auth/admin-store.js';
import { Auth } from '../../auth/auth.js';
import { openAdminStoreAt } from '../../auth/open-admin-store.js';
import { hashPassword, passwordProblem } from '../../auth/password.js';
import { usage } from '../options.js';
import { reportError } from '../output.js';
import { promptPassword } from '../password-prompt.js';
import { DEFAULT_DB, displayDb, openStore } from '../store.js';

/** Account names: what a person types in a login form and reads in the audit log. */
export const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkAccountName(name: string): void {
  if (!ACCOUNT_NAME.test(name)) {
    throw usage(
      `account name "${name}": expected 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

/**
 * The admin store inside an existing settings database, an SQLite file or a PostgreSQL URL (a mistyped --db must
 * not create a second one).
 */
export async function openAdminStore(db: string): Promise<AdminStore> {
  const { store } = await openStore(db, { create: false });
  await store.close();
  return openAdminStoreAt(db);
}

async function readNewPassword(env: string | undefined): Promise<string> {
  if (env !== undefined) {
    const value = process.env[env];
    if (value === undefined || value === '') throw usage(`--password-env ${env}: that environment variable is not set`);
    return value;
  }
  let first: string;
  try {
    first = await promptPassword('New password: ');
  } catch {
    throw usage('no terminal to ask for the password: give --password-env VAR with the password in that variable');
  }
  const problem = passwordProblem(first);
  if (problem) throw usage(problem);
  if ((await promptPassword('Again: ')) !== first) throw usage('the two passwords differ; nothing was changed');
  return first;
}

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('accounts of the web UI and admin API');
  admin
    .command('add-user')
    .description('create an account (the password is asked without echo, or read from --password-env)')
    .argument('<name>', 'account name')
    .option('--db <path|url>', 'the settings database: an SQLite file or a postgres:// URL (must exist)', DEFAULT_DB)
    .option('--password-env <VAR>', 'environment variable holding the password (never give it on the command line)')
    .option('--reset', 'set a new password for an existing account (and end its sessions)')
    .action(async (name: string, opts: { db: string; passwordEnv?: string; reset?: boolean }) => {
      try {
        checkAccountName(name);
        const store = await openAdminStore(opts.db);
        try {
          const existing = await store.findAccount(name);
          if (existing && !opts.reset)
            throw usage(`account "${name}" exists already; add --reset to set a new password`);
          if (!existing && opts.reset) throw usage(`account "${name}" does not exist; drop --reset to create it`);
          const password = await readNewPassword(opts.passwordEnv);
          const problem = passwordProblem(password);
          if (problem) throw usage(problem);
          const hash = await hashPassword(password);
          const at = new Date();
          if (existing) {
            await store.setPassword(name, hash);
            await store.deleteSessions(name);
          } else {
            await store.addAccount(name, hash, at);
          }
          await store.audit({
            at: at.toISOString(),
            actor: 'cli',
            action: existing ? 'account.password' : 'account.create',
            target: `account ${name}`,
            before: null,
            after: null,
          });
          process.stdout.write(
            `${existing ? 'new password set for' : 'created'} account ${name} in ${displayDb(opts.db)}\n`,
          );
        } finally {
          await store.close();
        }
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  admin
    .command('add-token')
    .description('create an API token for an account (printed once; only its hash is kept)')
    .argument('<name>', 'account name')
    .requiredOption('--label <text>', 'what the token is for, e.g. deploy-script')
    .option('--db <path|url>', 'the settings database: an SQLite file or a postgres:// URL (must exist)', DEFAULT_DB)
    .action(async (name: string, opts: { db: string; label: string }) => {
      try {
        const store = await openAdminStore(opts.db);
        try {
          if (!(await store.findAccount(name))) throw usage(`account "${name}" does not exist`);
          const { token } = await new Auth(store).createToken(name, opts.label);
          await store.audit({
            at: new Date().toISOString(),
            actor: 'cli',
            action: 'token.create',
            target: `account ${name}`,
            before: null,
            after: { label: opts.label },
          });
          process.stderr.write('The token is shown once; keep it now (send it as "Authorization: Bearer <token>"):\n');
          process.stdout.write(`${token}\n`);
        } finally {
          await store.close();
        }
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
