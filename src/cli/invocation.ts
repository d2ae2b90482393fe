/**
 * How the commands autodisco prints (lab hints, serve's "Try it", "create one with ...", restore lines) are
 * spelled, so that each runs as shown where the user is:
 * - `autodisco ...` when the command on the PATH is this very program (`npm install -g autodisco-mail`, `npm link`);
 * - `npx autodisco ...` inside a project that has it (the repository after `npm ci`, where npx runs the root
 *   package's own bin, or a project that depends on the package): never a bare `npx autodisco` elsewhere, where npx
 *   would fetch the unrelated registry package named `autodisco`;
 * - otherwise `node <path of this program>`.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, relative, sep } from 'node:path';

/** The registry name of this package (`autodisco` is someone else's). The command stays `autodisco`. */
export const PACKAGE_NAME = 'autodisco-mail';
export const BIN = 'autodisco';

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The project folder (nearest package.json upwards from `cwd`) that runs `main` as `npx autodisco`, if any. */
function projectRunning(main: string, cwd: string): boolean {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
        // The checkout itself: npx runs its own bin (dist/cli/main.js; src/cli/main.ts when run from source).
        if (pkg.name === PACKAGE_NAME && main.startsWith(`${real(dir) ?? dir}${sep}`)) return true;
      } catch {
        // An unreadable package.json: not a project npx can use either.
      }
      return real(join(dir, 'node_modules', '.bin', BIN)) === main;
    }
    if (dirname(dir) === dir) return false;
  }
}

function onPath(main: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && real(join(dir, BIN)) === main) return true;
  }
  return false;
}

/** An argument as a POSIX shell reads it back: as it is when safe, else in single quotes. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

let cached: string | undefined;

/** `npx autodisco`, `autodisco` or `node dist/cli/main.js`: the prefix of every printed command. */
export function invocation(): string {
  if (cached !== undefined) return cached;
  const main = real(process.argv[1] ?? '') ?? process.argv[1] ?? '';
  const cwd = process.cwd();
  // Under `npx autodisco` (npm_command=exec) the bin is not on the user's PATH, whatever npx put on its own.
  if (process.env['npm_command'] !== 'exec' && onPath(main)) cached = BIN;
  else if (projectRunning(main, cwd)) cached = `npx ${BIN}`;
  else {
    const rel = relative(cwd, main);
    cached = `node ${shellQuote(rel.startsWith('..') || rel === '' ? main : rel)}`;
  }
  return cached;
}

/** A command line to print: `command('lab list')` → `npx autodisco lab list`. */
export function command(args: string): string {
  return `${invocation()} ${args}`;
}
