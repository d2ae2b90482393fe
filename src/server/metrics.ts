import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type Endpoint = 'pox' | 'soap' | 'json-v2' | 'autoconfig' | 'mobileconfig' | 'http-redirect' | 'other';

/** One registry per server instance, so tests (and two servers in one process) do not share counters. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'autodisco_requests_total',
    help: 'Autodiscover requests by endpoint and outcome',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'autodisco_request_duration_seconds',
    help: 'Time to answer, by endpoint',
    labelNames: ['endpoint'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'autodisco_' });
  }

  observe(endpoint: Endpoint, outcome: string, seconds: number): void {
    this.requests.inc({ endpoint, outcome });
    this.latency.observe({ endpoint }, seconds);
  }
}
