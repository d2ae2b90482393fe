/**
 * Random secrets (session ids, CSRF tokens, API tokens, login links) and the one-way form they are stored in.
 * These are 256-bit random values, not passwords: SHA-256 is enough to make a stolen database useless for
 * logging in, and a lookup by hash stays an index lookup.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of two strings (different lengths are simply unequal). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** API tokens start with this, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'adk_';
