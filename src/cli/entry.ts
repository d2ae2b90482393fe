/**
 * The CLI's own entry file (main.ts from source, main.js built), for the commands that start a process of their
 * own running this same CLI (watch-round.ts, supervise.ts). Not process.argv[1]: whoever started this process may
 * have named it otherwise (a wrapper that loads the CLI, as bench/audit-load.mjs does).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
export const CLI_ENTRY = fileURLToPath(new URL(`./main${extname(here)}`, import.meta.url));
