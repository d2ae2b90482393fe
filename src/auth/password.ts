/**
 * Password hashing: Argon2id (RFC 9106) through @node-rs/argon2, whose prebuilt binary ships inside the npm
 * package (Node 20's crypto has no Argon2). Parameters are OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane;
 * they are stored in each hash, so raising them later keeps old hashes verifiable.
 */
import { hash, verify } from '@node-rs/argon2';

const PARAMS = {
  algorithm: 2 /* Algorithm.Argon2id: a const enum, not importable here */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Passwords shorter than this are refused when an account is created. */
export const MIN_PASSWORD_LENGTH = 12;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** A hash of nothing anyone knows: an unknown account name costs the same time as a wrong password. */
let decoy: Promise<string> | undefined;

/** Whether `password` matches `stored`; with no stored hash, burns the same time and answers false. */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  if (stored === undefined) {
    decoy ??= hashPassword(`decoy-${Math.random()}`);
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}

/** Why a new password is refused, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `the password has ${password.length} characters; expected at least ${MIN_PASSWORD_LENGTH}`;
  }
  return undefined;
}
