/**
 * `watch --metrics`: the latest outcome and certificate days left per domain and client, for Prometheus and
 * Alertmanager. Labels are the domain and the client only (never an address), so the series are bounded by the
 * domains watched. A registry of its own, on its own plain-HTTP listener.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { AuditResult } from './results.js';
import { daysLeft } from './results.js';

const OUTCOME_VALUE = { settings: 0, prompt: 1, failed: 2 } as const;

export class WatchMetrics {
  readonly registry = new Registry();
  readonly #outcome = new Gauge({
    name: 'autodisco_audit_outcome',
    help: 'Latest outcome of the lookup per domain and client: 0 settings, 1 prompt (the client stops at a question), 2 failed',
    labelNames: ['domain', 'client'],
    registers: [this.registry],
  });
  readonly #settings = new Gauge({
    name: 'autodisco_audit_settings_obtained',
    help: '1 when the latest lookup of the domain by the client got settings, else 0',
    labelNames: ['domain', 'client'],
    registers: [this.registry],
  });
  readonly #findings = new Gauge({
    name: 'autodisco_audit_findings',
    help: 'Number of distinct finding codes in the latest lookup',
    labelNames: ['domain', 'client'],
    registers: [this.registry],
  });
  readonly #daysLeft = new Gauge({
    name: 'autodisco_audit_certificate_days_left',
    help: 'Whole days until the earliest expiry among the certificates the client used (absent when it used none)',
    labelNames: ['domain', 'client'],
    registers: [this.registry],
  });
  readonly runs = new Counter({
    name: 'autodisco_watch_runs_total',
    help: 'Audit runs completed',
    registers: [this.registry],
  });
  readonly lastRun = new Gauge({
    name: 'autodisco_watch_last_run_timestamp_seconds',
    help: 'When the last audit run finished (Unix time)',
    registers: [this.registry],
  });
  readonly webhookFailures = new Counter({
    name: 'autodisco_watch_webhook_failures_total',
    help: 'Event deliveries given up after every retry (or dropped)',
    registers: [this.registry],
  });

  /** Replaces the per-domain series with the latest results of the domains watched. */
  async update(
    results: Iterable<AuditResult> | AsyncIterable<AuditResult>,
    domains: ReadonlySet<string>,
    now = new Date(),
  ): Promise<void> {
    // Read first, then swap the gauges at once: a scrape meanwhile sees the previous run whole, never half.
    const watched: AuditResult[] = [];
    for await (const r of results) if (domains.has(r.domain)) watched.push(r);
    for (const g of [this.#outcome, this.#settings, this.#findings, this.#daysLeft]) g.reset();
    for (const r of watched) {
      const labels = { domain: r.domain, client: r.client };
      this.#outcome.set(labels, OUTCOME_VALUE[r.outcome]);
      this.#settings.set(labels, r.outcome === 'settings' ? 1 : 0);
      this.#findings.set(labels, r.codes.length);
      if (r.certNotAfter !== null) this.#daysLeft.set(labels, daysLeft(r.certNotAfter, now.toISOString()));
    }
  }
}

export async function listenMetrics(metrics: WatchMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500).end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
