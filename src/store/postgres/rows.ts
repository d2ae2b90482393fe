/**
 * Reading and writing rows: the domains with their names, and users in batches. Every function takes the
 * connection or transaction to use, so a whole import runs on the transaction that replaces the contents.
 */
import type { Sql, TransactionSql } from 'postgres';
import type { DomainSettings, UserRecord } from '../../settings/schema.js';
import { rowToUser, type UserRow, userToRow } from '../sqlite.js';

/** A pooled client, a reserved connection or a transaction: all run tagged queries. */
export type Queryable = Sql | TransactionSql;

/** Users per INSERT: one statement with eight array parameters, however many rows. */
const BATCH = 5000;
/** Rows per cursor fetch while streaming users out. */
const FETCH = 2000;

export const USER_COLUMNS = [
  'email',
  'display_name',
  'login_name',
  'mailbox_server',
  'legacy_dn',
  'mailbox_id',
  'redirect_addr',
  'redirect_url',
] as const satisfies readonly (keyof UserRow)[];

export async function readDomains(sql: Queryable): Promise<DomainSettings[]> {
  const rows = await sql<{ settings: DomainSettings }[]>`SELECT settings FROM autodisco_domains ORDER BY position`;
  return rows.map((r) => r.settings);
}

export async function countUsers(sql: Queryable): Promise<number> {
  const [row] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM autodisco_users`;
  return Number(row?.n ?? 0);
}

/** Every user in address order, fetched a few thousand at a time through a cursor. */
export async function* streamUsers(sql: Queryable): AsyncGenerator<UserRecord> {
  const query = sql<UserRow[]>`SELECT ${sql(USER_COLUMNS)} FROM autodisco_users ORDER BY email`;
  for await (const rows of query.cursor(FETCH)) {
    for (const row of rows) yield rowToUser(row);
  }
}

export async function writeDomains(sql: Queryable, domains: readonly DomainSettings[]): Promise<void> {
  for (const [position, d] of domains.entries()) {
    await sql`INSERT INTO autodisco_domains (name, position, settings)
      VALUES (${d.name}, ${position}, ${JSON.stringify(d)}::text::json)`; // as text: jsonb would reorder the keys
    for (const name of [d.name, ...d.aliases]) {
      await sql`INSERT INTO autodisco_domain_names (name, domain) VALUES (${name}, ${d.name})`;
    }
  }
}

async function insertBatch(sql: Queryable, rows: UserRow[], upsert: boolean): Promise<void> {
  const column = (key: (typeof USER_COLUMNS)[number]) => rows.map((r) => r[key]);
  const conflict = upsert
    ? sql`ON CONFLICT (email) DO UPDATE SET display_name = EXCLUDED.display_name, login_name = EXCLUDED.login_name,
        mailbox_server = EXCLUDED.mailbox_server, legacy_dn = EXCLUDED.legacy_dn, mailbox_id = EXCLUDED.mailbox_id,
        redirect_addr = EXCLUDED.redirect_addr, redirect_url = EXCLUDED.redirect_url`
    : sql``;
  await sql`INSERT INTO autodisco_users (${sql(USER_COLUMNS)})
    SELECT * FROM unnest(${column('email')}::text[], ${column('display_name')}::text[], ${column('login_name')}::text[],
      ${column('mailbox_server')}::text[], ${column('legacy_dn')}::text[], ${column('mailbox_id')}::text[],
      ${column('redirect_addr')}::text[], ${column('redirect_url')}::text[])
    ${conflict}`;
}

/**
 * Writes users in batches; returns how many. Only one batch is in memory at a time, so a million users from
 * the import's staging file stream through. `upsert` replaces a row with the same address (a plain insert
 * fails on one: the whole transaction then changes nothing).
 */
export async function writeUsers(sql: Queryable, users: Iterable<UserRecord>, upsert: boolean): Promise<number> {
  // Keyed by address: in an upsert the last row of an address wins (one INSERT … ON CONFLICT cannot touch a row twice).
  let batch = new Map<string, UserRow>();
  let n = 0;
  for (const user of users) {
    if (upsert) batch.delete(user.email);
    else if (batch.has(user.email)) throw new Error(`users: ${user.email} appears twice`);
    batch.set(user.email, userToRow(user));
    n++;
    if (batch.size >= BATCH) {
      await insertBatch(sql, [...batch.values()], upsert);
      batch = new Map();
    }
  }
  if (batch.size > 0) await insertBatch(sql, [...batch.values()], upsert);
  return n;
}
