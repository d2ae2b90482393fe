/**
 * Lab scenarios for the concurrency test (test/discover/concurrency.test.ts) and the discovery benchmark
 * (bench/discover.ts, which imports this file: tests never import the benchmark): latency.test, whose candidates
 * answer late.
 *
 *   latency.test              "web": every request waits `rootMs`, then an HTML page (or, with `rootHangs`, never
 *                             answers: the client times out)
 *   autodiscover.latency.test "autodiscover": HTTPS waits `autodiscoverMs`, then 401 (Basic); plain HTTP (the HTTP
 *                             redirect method) waits `redirectMs`, then a 302 to mail.latency.test (`httpRedirect`)
 *                             or a 404 (the lookup goes on to SRV)
 *   _autodiscover._tcp        SRV → mail.latency.test:443
 *   mail.latency.test         "mail": the real autodisco server, after `mailMs`
 *
 * With `dnsDrop`, the lab's DNS never answers for latency.test and autodiscover.latency.test: each lookup of those
 * names costs the resolver's whole budget (then `timeout`), and the lookup goes on to SRV.
 *
 * Every certificate is valid (lab root), so credentials may go wherever the client would send them.
 */
import { parseScenario, type Scenario } from '../../src/lab/scenario.js';

export interface LatencyScenarioOptions {
  /** Scenario name (lower-case, digits, "-"). */
  name: string;
  rootMs: number;
  /** The root domain accepts connections and requests but never answers. */
  rootHangs: boolean;
  autodiscoverMs: number;
  redirectMs: number;
  /** The HTTP redirect method answers with a redirect to the mail host (true) or with 404 (false). */
  httpRedirect: boolean;
  mailMs: number;
  /** The DNS server drops every query for latency.test and autodiscover.latency.test. */
  dnsDrop: boolean;
}

export const LATENCY_EMAIL = 'chris@latency.test';

/** The delayed-answer world described above, as the YAML an admin would write, validated. */
export function latencyScenario(o: LatencyScenarioOptions): Scenario {
  const root = o.rootHangs ? '{ hang: true }' : `{ delayMs: ${o.rootMs}, then: { html: '<h1>Latency Inc.</h1>' } }`;
  const redirect = o.httpRedirect
    ? `{ delayMs: ${o.redirectMs}, then: { redirect: 'https://mail.latency.test/autodiscover/autodiscover.xml', status: 302 } }`
    : `{ delayMs: ${o.redirectMs}, then: { status: 404, body: 'no redirect here' } }`;
  const title = o.dnsDrop
    ? 'DNS never answers for the root domain and autodiscover.<domain>; SRV leads to the mail server'
    : o.rootHangs
      ? 'The root domain hangs; autodiscover.<domain> refuses; SRV leads to the mail server'
      : 'Every candidate answers late; the HTTP redirect method leads to the mail server';
  const faults = o.dnsDrop
    ? `
  faults:
    - { name: latency.test, action: drop }
    - { name: autodiscover.latency.test, action: drop }`
    : '';
  const yaml = `
name: ${o.name}
title: ${title}
email: ${LATENCY_EMAIL}
expect: { outlook: settings, outlook-2013: settings, activesync: settings, thunderbird: settings }
dns:
  zones:
    - origin: latency.test
      records:
        - { name: '@', type: A, value: 'host:web' }
        - { name: www, type: A, value: 'host:web' }
        - { name: autodiscover, type: A, value: 'host:autodiscover' }
        - { name: mail, type: A, value: 'host:mail' }
        - { name: _autodiscover._tcp, type: SRV, priority: 0, weight: 0, port: 443, target: mail.latency.test }
        - { name: '@', type: MX, preference: 10, exchange: mail.latency.test }${faults}
hosts:
  - name: web
    https: { certificate: { names: [latency.test, www.latency.test] } }
    http: {}
    routes:
      - { path: '*', answer: ${root} }
  - name: autodiscover
    https: { certificate: { names: [autodiscover.latency.test] } }
    http: {}
    routes:
      - path: '*'
        scheme: https
        answer:
          delayMs: ${o.autodiscoverMs}
          then: { status: 401, body: '', headers: { www-authenticate: 'Basic realm="latency"' } }
      - { path: '*', scheme: http, answer: ${redirect} }
  - name: mail
    https: { certificate: { names: [mail.latency.test] } }
    routes:
      - path: '*'
        answer:
          delayMs: ${o.mailMs}
          then:
            autodisco:
              domains:
                - name: latency.test
                  displayName: Latency Mail
                  imap: { host: imap.latency.test, port: 993 }
                  smtp: { host: smtp.latency.test, port: 587, security: starttls }
                  activeSync: { url: https://mail.latency.test/Microsoft-Server-ActiveSync }
              users:
                - { email: ${LATENCY_EMAIL}, displayName: Chris Gray }
`;
  return parseScenario(yaml, `${o.name}.yaml`);
}

/** Every candidate answers, late: the root domain 300 ms, autodiscover.<domain> 200 ms, the redirect 100 ms. */
export const DELAYED: LatencyScenarioOptions = {
  name: 'delayed-candidates',
  rootMs: 300,
  rootHangs: false,
  autodiscoverMs: 200,
  redirectMs: 50,
  httpRedirect: true,
  mailMs: 50,
  dnsDrop: false,
};

/** The root domain hangs (a client timeout); the HTTP redirect method finds nothing; SRV decides. */
export const ROOT_HANGS: LatencyScenarioOptions = {
  name: 'root-hangs',
  rootMs: 0,
  rootHangs: true,
  // Short, so that a client timeout well below a second still leaves it a wide margin.
  autodiscoverMs: 100,
  redirectMs: 50,
  httpRedirect: false,
  mailMs: 50,
  dnsDrop: false,
};

/**
 * The names of the root domain and of autodiscover.<domain> do not resolve in time (each lookup costs the
 * resolver's budget): the one latency the engine's concurrent prefetch (DNS and TLS) can overlap.
 */
export const SLOW_DNS: LatencyScenarioOptions = {
  name: 'slow-dns',
  rootMs: 300,
  rootHangs: false,
  autodiscoverMs: 200,
  redirectMs: 50,
  httpRedirect: false,
  mailMs: 50,
  dnsDrop: true,
};
