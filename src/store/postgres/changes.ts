/**
 * Hearing other instances' imports: every write that changes the contents sends a NOTIFY on one channel from
 * inside its transaction (PostgreSQL delivers it at COMMIT, and only if it commits), and every serving process
 * LISTENs on that channel over one connection of its own. One notification per import, whatever the number of
 * instances: no polling.
 *
 * The driver re-establishes LISTEN after a lost connection and calls `onListen` again: notifications sent
 * meanwhile are lost, so a re-listen counts as a change too.
 */
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';

export const CHANGES_CHANNEL = 'autodisco_changes';

/**
 * Who sent a change: a store forgets what it read at its own COMMIT already, and must not forget again when
 * its own notification arrives later (what it read in between is current).
 */
export function newSenderId(): string {
  return randomUUID();
}

/** The payload is `<sender id> <what>`. */
export async function sendChange(sql: Sql | TransactionSql, sender: string, what: string): Promise<void> {
  await sql`SELECT pg_notify(${CHANGES_CHANNEL}, ${`${sender} ${what}`})`;
}

/**
 * Listens until the pool ends. `onChange` runs for each notification from another store and after each reconnection
 * (not the first listen). Resolves once listening.
 */
export async function listenForChanges(
  sql: Sql,
  self: string,
  onChange: (why: 'notify' | 'reconnected') => void,
): Promise<void> {
  let listens = 0;
  await sql.listen(
    CHANGES_CHANNEL,
    (payload) => {
      if (!payload.startsWith(`${self} `)) onChange('notify');
    },
    () => {
      listens++;
      if (listens > 1) onChange('reconnected');
    },
  );
}
