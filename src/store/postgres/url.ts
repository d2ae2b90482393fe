/**
 * PostgreSQL URLs as the commands take them (`--db postgres://user:password@host:port/db`), and what messages
 * may say about them: never the password. The password can also come from PGPASSWORD, so that commands
 * (and the restore lines autodisco prints) never need to carry it.
 */

/** Whether `--db` names a database server rather than a file: any `scheme://`. */
export function isDatabaseUrl(db: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(db);
}

/** Whether the URL is one this version opens (postgres:// or postgresql://). */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * `postgres://chris:secret@db.example:5432/autodisco?sslmode=require` → `postgres://chris@db.example:5432/autodisco?sslmode=require`.
 * Works on text that is not a valid URL too (the userinfo is cut at its last `@`), and drops a `password=`
 * query parameter.
 */
export function maskUrl(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(url);
  if (!scheme) return url;
  const rest = url.slice(scheme[1]!.length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
  const at = authority.lastIndexOf('@');
  let masked = authority;
  if (at !== -1) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    masked = `${colon === -1 ? userinfo : userinfo.slice(0, colon)}@${authority.slice(at + 1)}`;
  }
  const cleanTail = tail.replace(/([?&])password=[^&#]*(&?)/gi, (_m, sep: string, amp: string) => (amp ? sep : ''));
  return `${scheme[1]}${masked}${cleanTail.replace(/[?&]$/, '')}`;
}

/** Whether the URL carries a password (so a printed command, which does not, needs PGPASSWORD). */
export function urlHasPassword(url: string): boolean {
  return maskUrl(url) !== url;
}

/** The parts messages name: host, port and database (defaults as libpq's). */
export function urlParts(url: string): { host: string; port: string; database: string; user: string } {
  try {
    const parsed = new URL(url);
    return {
      host: parsed.hostname || 'localhost',
      port: parsed.port || '5432',
      database: decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || 'postgres',
      user: decodeURIComponent(parsed.username) || process.env['PGUSER'] || 'postgres',
    };
  } catch {
    return { host: '?', port: '?', database: '?', user: '?' };
  }
}
