/**
 * `import` of a file of any size: read as a stream (settings/stream.ts), every user checked by the same schema
 * as validateConfig and staged in a temporary SQLite file (store/staging.ts), every problem collected; only a
 * file without problems opens the store, and then replaces its contents in one transaction (store.ts).
 * Memory stays bounded whatever the number of users (README, "Large stores").
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { AutodiscoError, type Problem } from '../errors.js';
import { redirectCycles } from '../settings/redirect-cycles.js';
import { type DomainSettings, domain as domainSchema, user as userSchema } from '../settings/schema.js';
import { lineOfKey, readConfigStream, type UserItem } from '../settings/stream.js';
import { readJsonConfigStream } from '../settings/stream-json.js';
import { domainKeys, userKey, validateConfig, zodProblems } from '../settings/validate.js';
import type { PostgresStoreOptions } from '../store/postgres/store.js';
import { UserStaging } from '../store/staging.js';
import type { ManagedStore } from '../store/store.js';
import { type ImportResult, importContents, openStore } from './store.js';

/** Problems listed in full; past this, the count is still exact and one line says how many more there are. */
export const MAX_LISTED_PROBLEMS = 10_000;

class Problems {
  readonly listed: Problem[] = [];
  count = 0;
  add(problem: Problem): void {
    this.count++;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push(problem);
  }
  all(): Problem[] {
    const more = this.count - this.listed.length;
    if (more <= 0) return this.listed;
    return [...this.listed, { path: '', message: `and ${more} more problem(s), not listed` }];
  }
}

const at = (line: number | null | undefined) => (line ? ` (line ${line})` : '');

/** The domains part, checked by validateConfig itself; the names its users may use (valid or not). */
function checkTop(top: unknown, source: string, problems: Problems) {
  const body = (typeof top === 'object' && top !== null && !Array.isArray(top) ? top : {}) as Record<string, unknown>;
  let domains: DomainSettings[] = [];
  let schema: string | undefined;
  try {
    // The users were checked one by one already; an object's `users` list is left out here.
    const document = body === top && Array.isArray(body['users']) ? { ...body, users: [] } : top;
    const config = validateConfig(document, source);
    domains = config.domains;
    schema = config.$schema;
  } catch (err) {
    if (!(err instanceof AutodiscoError) || err.code !== 'ADK_ERR_CONFIG_INVALID') throw err;
    for (const p of err.problems) problems.add(p);
  }
  // Users may name a domain whose record is broken: that record's own problem says enough (as validateConfig).
  const names = new Set<string>();
  const indexed: { index: number; value: DomainSettings }[] = [];
  (Array.isArray(body['domains']) ? body['domains'] : []).forEach((raw: unknown, index: number) => {
    const r = domainSchema.safeParse(raw);
    if (r.success) indexed.push({ index, value: r.data });
    for (const n of domainKeys(raw, index, r.data).names) names.add(n);
  });
  return {
    domains,
    indexed,
    schema,
    names,
    inlineUsers: Array.isArray(body['users']) ? (body['users'] as unknown[]) : [],
  };
}

export interface FileImport extends ImportResult {
  domains: number;
  users: number;
  created: boolean;
  /** The store, still open, when `keepOpen` was asked (`serve --config` goes on with it; `:memory:` too). */
  store?: ManagedStore;
}

/**
 * Checks `file` completely, then (only if it has no problem) replaces the contents of the store at `db`,
 * creating it if needed. The store is closed after, unless `keepOpen`.
 */
export async function importFile(
  file: string,
  options: {
    db: string;
    allowEmpty: boolean;
    keepOpen?: boolean;
    storeOptions?: Omit<PostgresStoreOptions, 'create'>;
  },
): Promise<FileImport> {
  const staging = new UserStaging();
  try {
    const recordProblems = new Problems();
    const crossProblems: Problem[] = [];
    let crossCount = 0;
    const duplicate = (
      index: number,
      line: number | undefined,
      email: string,
      first: { idx: number; line: number | null },
    ) => {
      crossCount++;
      if (crossProblems.length < MAX_LISTED_PROBLEMS) {
        crossProblems.push({
          path: `users[${index}].email`,
          message: `"${email}" is already at users[${first.idx}]${first.line ? `, line ${first.line}` : ''}${at(line)}`,
        });
      }
    };
    const addUser = (index: number, item: UserItem | undefined, raw: unknown) => {
      const r = userSchema.safeParse(raw, { reportInput: true });
      if (!r.success) {
        for (const issue of r.error.issues) {
          const key = issue.path[0];
          const where = item && typeof key === 'string' ? lineOfKey(item, key) : item?.line;
          const [p] = zodProblems(new z.ZodError([issue]), ['users', index]);
          if (p) recordProblems.add({ path: p.path, message: `${p.message}${at(where)}` });
        }
        // Its address, when readable, still counts for duplicates: fixing the record must not reveal a new problem.
        const email = userKey(raw, index, undefined).names[0];
        const first = email === undefined ? undefined : staging.addInvalid(index, item?.line, email);
        if (first) duplicate(index, item?.line, email as string, first);
        return;
      }
      const line = item?.line;
      const first = staging.add(index, line, r.data);
      if (first) duplicate(index, line, r.data.email, first);
    };
    // A .json file is cut by JSON's grammar, anything else by YAML's block structure: both in bounded memory.
    const read = /\.json$/i.test(file) ? readJsonConfigStream : readConfigStream;
    const { top } = await read(file, file, (item) => addUser(item.index, item, item.raw));
    const problems = new Problems();
    const checked = checkTop(top, file, problems);
    // A JSON file or a flow `users: [...]` came whole, with the top document: same checks, without lines.
    checked.inlineUsers.forEach((raw, index) => {
      addUser(index, undefined, raw);
    });
    for (const p of recordProblems.listed) problems.add(p);
    problems.count += recordProblems.count - recordProblems.listed.length;
    for (const p of crossProblems) problems.add(p);
    problems.count += crossCount - crossProblems.length;
    // Users outside every domain, reported in file order: the staged rows come in address order, so the
    // problems are sorted, keeping only the first MAX_LISTED_PROBLEMS (and counting the rest).
    let outside: (Problem & { idx: number })[] = [];
    let outsideCount = 0;
    for (const { idx, line, email } of staging.addresses()) {
      const domainName = email.slice(email.lastIndexOf('@') + 1);
      if (checked.names.has(domainName)) continue;
      outsideCount++;
      outside.push({
        idx,
        path: `users[${idx}].email`,
        message: `domain "${domainName}" is not in domains (expected one of the domain names or aliases)${at(line)}`,
      });
      if (outside.length >= 2 * MAX_LISTED_PROBLEMS) {
        outside = outside.sort((a, b) => a.idx - b.idx).slice(0, MAX_LISTED_PROBLEMS);
      }
    }
    for (const { path, message } of outside.sort((a, b) => a.idx - b.idx).slice(0, MAX_LISTED_PROBLEMS)) {
      problems.add({ path, message });
    }
    problems.count += outsideCount - Math.min(outside.length, MAX_LISTED_PROBLEMS);
    // Cycles through users' redirectAddr (the domains' own cycles were reported by validateConfig): only the
    // users that redirect can be part of one, so only they are read into memory.
    for (const p of redirectCycles(checked.indexed, [...staging.redirecting()])) {
      if (p.path.startsWith('users[')) problems.add(p);
    }
    if (problems.count > 0) {
      throw new AutodiscoError('ADK_ERR_CONFIG_INVALID', `${file}: ${problems.count} problem(s); nothing was changed`, {
        problems: problems.all(),
      });
    }

    // A file without domains would only ever start an empty store at a new path: a mistyped --db (or file) then
    // leaves a database behind that serve and export take for the real one.
    if (checked.domains.length === 0 && !options.allowEmpty && isNewFileStore(options.db)) {
      throw new AutodiscoError(
        'ADK_ERR_IMPORT_EMPTY',
        `${file} has no domains: importing it would create an empty store at ${options.db}; nothing was created (check the file and --db, or add --allow-empty if an empty store is what you want)`,
      );
    }
    // The file is good: only now is the store opened (and created if it does not exist).
    const { store, created } = await openStore(options.db, { create: true, ...options.storeOptions });
    let result: ImportResult;
    try {
      result = await importContents(
        store,
        { domains: checked.domains, userCount: staging.count, users: () => staging.byEmail() },
        { db: options.db, source: file, allowEmpty: options.allowEmpty },
      );
    } catch (err) {
      await store.close();
      throw err;
    }
    const counts = { domains: checked.domains.length, users: staging.count, created };
    if (options.keepOpen) return { ...result, ...counts, store };
    await store.close();
    return { ...result, ...counts };
  } finally {
    staging.close();
  }
}

/** Whether `db` names a database file that is not there yet (URLs name a server's database: not this check). */
function isNewFileStore(db: string): boolean {
  return db !== ':memory:' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(db) && !existsSync(db);
}
