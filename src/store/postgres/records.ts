/**
 * One domain or user at a time (the admin API), and paged, literal search: the same meaning as SQLite's
 * (src/store/sqlite.ts), each write in one transaction that also tells the other instances (changes.ts).
 */
import type { DomainSettings, UserRecord } from '../../settings/schema.js';
import { rowToUser, type UserRow } from '../sqlite.js';
import type { ListQuery, Page } from '../store.js';
import { sendChange } from './changes.js';
import { type Queryable, USER_COLUMNS, writeUsers } from './rows.js';

type Begin = <T>(work: (tx: Queryable) => Promise<T>) => Promise<T>;

/** Adds a domain at the end, or replaces the one named `domain.name` in place; returns the one replaced. */
export function putDomain(begin: Begin, id: string, domain: DomainSettings): Promise<DomainSettings | undefined> {
  return begin(async (tx) => {
    await tx`LOCK TABLE autodisco_domains, autodisco_domain_names IN EXCLUSIVE MODE`;
    const [row] = await tx<{ position: number; settings: DomainSettings }[]>`SELECT position, settings
      FROM autodisco_domains WHERE name = ${domain.name}`;
    const [last] = await tx<{ p: number | null }[]>`SELECT max(position) AS p FROM autodisco_domains`;
    const position = row?.position ?? (last?.p ?? -1) + 1;
    // Deleting the row cascades to its names; its users stay (they are keyed by address, not by domain).
    await tx`DELETE FROM autodisco_domains WHERE name = ${domain.name}`;
    await tx`INSERT INTO autodisco_domains (name, position, settings)
      VALUES (${domain.name}, ${position}, ${JSON.stringify(domain)}::text::json)`; // text: jsonb reorders keys
    for (const name of [domain.name, ...domain.aliases]) {
      await tx`INSERT INTO autodisco_domain_names (name, domain) VALUES (${name}, ${domain.name})`;
    }
    await sendChange(tx, id, 'domain');
    return row?.settings;
  });
}

export function deleteDomain(begin: Begin, id: string, name: string): Promise<DomainSettings | undefined> {
  return begin(async (tx) => {
    const [row] = await tx<{ settings: DomainSettings }[]>`DELETE FROM autodisco_domains WHERE name = ${name}
      RETURNING settings`;
    if (row) await sendChange(tx, id, 'domain');
    return row?.settings;
  });
}

export function putUser(begin: Begin, id: string, user: UserRecord): Promise<UserRecord | undefined> {
  return begin(async (tx) => {
    const [before] = await tx<UserRow[]>`SELECT ${tx(USER_COLUMNS)} FROM autodisco_users WHERE email = ${user.email}
      FOR UPDATE`;
    await writeUsers(tx, [user], true);
    await sendChange(tx, id, 'users');
    return before ? rowToUser(before) : undefined;
  });
}

export function deleteUser(begin: Begin, id: string, email: string): Promise<UserRecord | undefined> {
  return begin(async (tx) => {
    const [row] = await tx<UserRow[]>`DELETE FROM autodisco_users WHERE email = ${email}
      RETURNING ${tx(USER_COLUMNS)}`;
    if (row) await sendChange(tx, id, 'users');
    return row ? rowToUser(row) : undefined;
  });
}

/** `search` as a LIKE pattern matching any text that contains it literally (`%`, `_` and `\` are not wildcards). */
function likePattern(search: string | undefined): string {
  return `%${(search ?? '').toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
}

export async function listDomains(sql: Queryable, query: ListQuery): Promise<Page<DomainSettings>> {
  const like = likePattern(query.search);
  const matching = sql`EXISTS (SELECT 1 FROM autodisco_domain_names n WHERE n.domain = d.name
    AND n.name LIKE ${like} ESCAPE '\\')`;
  const [count] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM autodisco_domains d WHERE ${matching}`;
  const rows = await sql<{ settings: DomainSettings }[]>`SELECT settings FROM autodisco_domains d WHERE ${matching}
    ORDER BY position LIMIT ${query.limit} OFFSET ${query.offset}`;
  return { items: rows.map((r) => r.settings), total: Number(count?.n ?? 0) };
}

export async function listUsers(
  sql: Queryable,
  query: ListQuery & { domains?: readonly string[] },
): Promise<Page<UserRecord>> {
  const like = likePattern(query.search);
  // The domain is what follows the last "@" (local parts may hold a quoted "@").
  const inDomains = query.domains
    ? sql`AND substring(email from '[^@]*$') = ANY(${[...query.domains]}::text[])`
    : sql``;
  const [count] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM autodisco_users
    WHERE email LIKE ${like} ESCAPE '\\' ${inDomains}`;
  const rows = await sql<UserRow[]>`SELECT ${sql(USER_COLUMNS)} FROM autodisco_users
    WHERE email LIKE ${like} ESCAPE '\\' ${inDomains} ORDER BY email LIMIT ${query.limit} OFFSET ${query.offset}`;
  return { items: rows.map(rowToUser), total: Number(count?.n ?? 0) };
}
