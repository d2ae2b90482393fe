/**
 * What the command line needs of a Redis queue before it connects: the URL read into connection options, the URL
 * as it may be printed, and the dead-letter error. Kept apart from bullmq.ts so that every command does not load
 * BullMQ and its Redis client at start (a third of the CLI's start-up); bullmq.ts is imported when a queue is used.
 */
import type { RedisOptions } from 'ioredis';

/** redis://[user:password@]HOST:PORT[/DB] or rediss://… (TLS); throws the reason in words. */
export function redisConnection(raw: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('expected redis://HOST:PORT (or rediss:// for TLS)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('expected redis://HOST:PORT');
  if (url.hostname === '') throw new Error('the host is missing: expected redis://HOST:PORT');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new Error(`database "${db}": expected a number such as /0`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(url.username !== '' ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password !== '' ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis: a command must wait for a reconnection rather than fail after N retries.
    maxRetriesPerRequest: null,
  };
}

/** The queue URL as it may be printed: without the password. */
export function printableQueueUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

/** A job that failed JOB_ATTEMPTS times: it stays in the failed set of the queue. */
export class DeadLetterError extends Error {}
