/**
 * Hearing other instances' imports: every write that changes the contents sends a NOTIFY on one channel from
 * inside its transaction (PostgreSQL delivers it at COMMIT, and only if it commits), and every serving process
 * LISTENs on that channel over one connection of its own. One notification per import, whatever the number of
 * instances: no polling.
 *
 * The driver re-establishes LISTEN after a lost connection and calls `onListen` again: notifications sent
 * meanwhile are lost, so a re-listen counts as a change too.
 */
import type { Sql } from 'postgres';

export const CHANGES_CHANNEL = 'autodisco_changes';

export async function sendChange(sql: Sql | import('postgres').TransactionSql, what: string): Promise<void> {
  await sql`SELECT pg_notify(${CHANGES_CHANNEL}, ${what})`;
}

/**
 * Listens until `unlisten` is called. `onChange` runs for each notification and after each reconnection
 * (not the first listen). Resolves once listening.
 */
export async function listenForChanges(
  sql: Sql,
  onChange: (why: 'notify' | 'reconnected') => void,
): Promise<{ unlisten: () => Promise<void> }> {
  let listens = 0;
  const request = await sql.listen(
    CHANGES_CHANNEL,
    () => onChange('notify'),
    () => {
      listens++;
      if (listens > 1) onChange('reconnected');
    },
  );
  return { unlisten: () => request.unlisten() };
}
