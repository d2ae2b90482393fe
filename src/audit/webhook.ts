/**
 * Event delivery to a webhook: one JSON POST per run that raised events, the body signed with HMAC-SHA256
 * (header `X-Autodisco-Signature: sha256=<hex>`, the same scheme as GitHub's `X-Hub-Signature-256`), retried
 * with exponential backoff on a network error, a timeout, HTTP 429 or 5xx. Deliveries run in the background,
 * one after the other in run order, so a dead receiver never holds up the next audit; at most `maxPending`
 * batches wait (the oldest is dropped, and said so, beyond that).
 */
import { createHmac } from 'node:crypto';
import type { AuditEvent } from './results.js';

export const SIGNATURE_HEADER = 'X-Autodisco-Signature';
export const WEBHOOK_SCHEMA_ID = 'autodisco.watch-events/1';

export interface WebhookOptions {
  url: string;
  secret: string;
  /** Attempts in all, the first included. @default 5 */
  attempts?: number;
  /** The first retry waits this long, each next one twice as long. @default 1000 */
  backoffMs?: number;
  /** Deadline of one attempt. @default 10000 */
  timeoutMs?: number;
  maxPending?: number;
  log?(line: string): void;
  /** A delivery given up (after every retry) or dropped. */
  onGiveUp?(): void;
}

export interface WebhookPayload {
  schema: typeof WEBHOOK_SCHEMA_ID;
  run: { id: number; startedAt: string; finishedAt: string };
  events: AuditEvent[];
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export type DeliveryResult =
  | { ok: true; attempts: number; status: number }
  | { ok: false; attempts: number; reason: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One delivery with its retries. */
export async function deliver(options: WebhookOptions, payload: WebhookPayload): Promise<DeliveryResult> {
  const attempts = options.attempts ?? 5;
  const backoff = options.backoffMs ?? 1000;
  const body = JSON.stringify(payload);
  const signature = sign(options.secret, body);
  let reason = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature, 'user-agent': 'autodisco-watch' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300)
        return { ok: true, attempts: attempt, status: response.status };
      reason = `HTTP ${response.status}`;
      // Another 4xx will not change by asking again (a wrong URL, a rejected signature).
      if (response.status < 500 && response.status !== 429) return { ok: false, attempts: attempt, reason };
    } catch (error) {
      reason = (error as Error).name === 'TimeoutError' ? 'no answer in time' : String((error as Error).cause ?? error);
    }
    if (attempt < attempts) {
      options.log?.(`webhook: attempt ${attempt} failed (${reason}); retrying in ${backoff * 2 ** (attempt - 1)} ms`);
      await sleep(backoff * 2 ** (attempt - 1));
    }
  }
  return { ok: false, attempts, reason };
}

/** Background delivery in run order. */
export class WebhookQueue {
  readonly #pending: WebhookPayload[] = [];
  #busy: Promise<void> | null = null;
  failures = 0;
  delivered = 0;

  constructor(readonly options: WebhookOptions) {}

  send(payload: WebhookPayload): void {
    this.#pending.push(payload);
    const max = this.options.maxPending ?? 100;
    while (this.#pending.length > max) {
      const dropped = this.#pending.shift();
      this.failures++;
      this.options.onGiveUp?.();
      this.options.log?.(`webhook: too many deliveries waiting; the events of run ${dropped?.run.id} were dropped`);
    }
    this.#busy ??= this.#drain();
  }

  async #drain(): Promise<void> {
    for (let next = this.#pending.shift(); next; next = this.#pending.shift()) {
      const result = await deliver(this.options, next);
      if (result.ok) this.delivered++;
      else {
        this.failures++;
        this.options.onGiveUp?.();
        this.options.log?.(
          `webhook: the events of run ${next.run.id} were not delivered after ${result.attempts} attempt(s): ${result.reason}`,
        );
      }
    }
    this.#busy = null;
  }

  /** Resolves once nothing waits (for a clean exit). */
  async idle(): Promise<void> {
    while (this.#busy) await this.#busy;
  }
}
