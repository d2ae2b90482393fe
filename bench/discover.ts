/**
 * `npm run bench:discover`: discovery against a lab whose candidates answer late (test/helpers/latency-scenario.ts),
 * for the client profiles, with the concurrent prefetch on and off (EngineOptions.concurrent; one variant also
 * with prefetchRequests).
 *
 * First a check, which fails the run loudly: concurrent and sequential runs must give the same outcome, the same
 * steps in the same order (method, URL, result, status, redirect) and send credentials with the same steps, and
 * the lab's hosts must have logged exactly the requests the steps show, in the same order, in both modes (with
 * prefetchRequests, requests the walk never made are allowed and counted: that is what the option trades).
 * Then the figures, each a ratio measured in the same run: the concurrent wall time against the slowest deciding
 * step (what a client that overlapped everything could reach) and against the sum of the steps' own times (what a
 * sequential client spends), next to the sequential wall time and the real client's sequential estimate (its own
 * timeout counted for each timed-out step).
 *
 * BENCH_RUNS sets the runs per profile and mode (default 5, 1 with `--quick`, which `npm run bench -- --quick`
 * passes; medians are printed). The whole benchmark takes about two minutes with the default.
 */
import { type EngineOptions, runDiscovery } from '../src/discover/engine.js';
import { createNodePorts } from '../src/discover/node-ports.js';
import { PROFILE_NAMES, PROFILES } from '../src/discover/profiles.js';
import type { DiscoveryReport, ProfileName } from '../src/discover/report.js';
import { type RunningLab, startLab } from '../src/lab/lab.js';
import { behaviour, loggedRequests, stepRequests, trafficDifference } from '../src/lab/traffic.js';
import {
  DELAYED,
  LATENCY_EMAIL,
  type LatencyScenarioOptions,
  latencyScenario,
  ROOT_HANGS,
  SLOW_DNS,
} from '../test/helpers/latency-scenario.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? (process.argv.includes('--quick') ? 1 : 5));
const RANGE = '127.45.0.0/24';
const CREDENTIALS = { user: LATENCY_EMAIL, password: 'bench-not-a-secret' };

if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS "${process.env['BENCH_RUNS']}": expected ≥ 1`);

interface Variant {
  scenario: LatencyScenarioOptions;
  /**
   * The engine's limit for each request (EngineOptions.timeoutMs): well above every delay that must not time out,
   * with room for a loaded machine (at 1 s, a 300 ms answer timed out in one run of two under a load average of 10,
   * and the check of identical behaviour failed for it).
   */
  timeoutMs: number;
  /** The resolver's budget per lookup (createNodePorts). */
  dnsTimeoutMs: number;
  /** What is slow, for the legend. */
  story: string;
  profiles: readonly ProfileName[];
  /** false: no credentials (every request is unauthenticated). */
  credentials?: false;
  /** The concurrent runs also send the unauthenticated requests early (EngineOptions.prefetchRequests). */
  prefetchRequests?: true;
}

const VARIANTS: Variant[] = [
  {
    scenario: DELAYED,
    timeoutMs: 3_000,
    dnsTimeoutMs: 1_000,
    profiles: PROFILE_NAMES,
    story:
      'HTTP answers late: root 300 ms (HTML), autodiscover 200 ms (401), HTTP redirect 50 ms (302 to mail), mail 50 ms',
  },
  {
    scenario: DELAYED,
    timeoutMs: 3_000,
    dnsTimeoutMs: 1_000,
    profiles: ['outlook', 'thunderbird'],
    credentials: false,
    prefetchRequests: true,
    story:
      'the same, without credentials and with --prefetch-requests: every request is unauthenticated, so the prefetch sends them at once',
  },
  {
    scenario: ROOT_HANGS,
    // The limit runs from the connection on: at 600 ms, a loaded machine (load average 8) sometimes spent it on the
    // TLS handshake, so the request was never sent and the check of identical behaviour failed.
    timeoutMs: 1_500,
    dnsTimeoutMs: 1_000,
    profiles: PROFILE_NAMES,
    story:
      'the root domain never answers (each request to it times out after 1.5 s), autodiscover 100 ms (401), HTTP redirect 50 ms (404), SRV → mail 50 ms',
  },
  {
    scenario: SLOW_DNS,
    timeoutMs: 3_000,
    dnsTimeoutMs: 300,
    // outlook-2013 and activesync ask the same candidates as outlook: two profiles keep the whole run near 2 minutes.
    profiles: ['outlook', 'thunderbird'],
    story:
      'DNS drops the root domain and autodiscover names (each lookup of them costs the whole 300 ms resolver budget), SRV → mail 50 ms',
  },
];

/** Throws, with both step lists, when a run differs in behaviour from the reference (a sequential run). */
function assertSameBehaviour(what: string, reference: DiscoveryReport, other: DiscoveryReport): void {
  const a = behaviour(reference);
  const b = behaviour(other);
  if (a.length === b.length && a.every((line, i) => line === b[i])) return;
  throw new Error(
    `${what} differs from the sequential reference\n  reference:\n    ${a.join('\n    ')}\n  this run:\n    ${b.join('\n    ')}`,
  );
}

/**
 * Throws when the hosts did not log exactly the requests of the run's steps, in order; with prefetchRequests the
 * extra (early) requests are allowed and their number returned.
 */
function checkTraffic(what: string, run: Run, extrasAllowed: boolean): number {
  const expected = stepRequests(run.report);
  if (!extrasAllowed && expected.length === run.logged.length && expected.every((l, i) => l === run.logged[i]))
    return 0;
  const { missing, extra } = trafficDifference(expected, run.logged);
  if (extrasAllowed && missing.length === 0) return extra.length;
  throw new Error(
    `${what}: the servers' log is not the report's requests\n  steps:\n    ${expected.join('\n    ')}\n  logged:\n    ${run.logged.join('\n    ')}`,
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

interface Run {
  report: DiscoveryReport;
  /** What the lab's hosts logged during the run (loggedRequests). */
  logged: string[];
}

async function discover(lab: RunningLab, variant: Variant, profile: ProfileName, concurrent: boolean): Promise<Run> {
  const before = lab.requests.length;
  const mode: Pick<EngineOptions, 'concurrent' | 'prefetchRequests'> = {
    concurrent,
    ...(concurrent && variant.prefetchRequests ? { prefetchRequests: true } : {}),
  };
  const report = await runDiscovery(
    {
      email: LATENCY_EMAIL,
      profile: PROFILES[profile],
      exclude: new Set(),
      // The redirect and SRV targets are followed (the user answers the prompt with yes, in advance).
      accept: { redirect: true, certificate: false },
      ...(variant.credentials === false ? {} : { credentials: CREDENTIALS }),
      timeoutMs: variant.timeoutMs,
      ca: [lab.caPem],
      ...mode,
    },
    createNodePorts({ dnsServers: [lab.dns], timeoutMs: variant.dnsTimeoutMs }),
  );
  // Requests still in flight from early sends land after the report: give them a moment to be logged.
  if (mode.prefetchRequests) await new Promise((r) => setTimeout(r, variant.timeoutMs));
  return { report, logged: loggedRequests(lab.requests.slice(before)) };
}

interface Row {
  scenario: string;
  profile: ProfileName;
  outcome: string;
  steps: number;
  timeouts: number;
  credentialSteps: number;
  wallConcurrent: number;
  wallSequential: number;
  /** From the sequential runs: each step's own time, undisturbed by prefetches. */
  slowestStep: number;
  stepSum: number;
  clientSequential: number;
  /** Σ step ms as the concurrent runs' own reports give it, over the sequential runs' Σ. */
  concurrentStepSumRatio: number;
  /** Requests the servers received that no step shows (prefetchRequests only), median per concurrent run. */
  extraRequests: number;
}

const timing = (r: DiscoveryReport) =>
  r.timing ?? { wallMs: Number.NaN, sequentialMs: Number.NaN, clientSequentialMs: Number.NaN };
const slowest = (r: DiscoveryReport) => Math.max(0, ...r.steps.map((s) => s.ms));

async function measure(variant: Variant, warmUp: boolean): Promise<Row[]> {
  const scenario = latencyScenario(variant.scenario);
  const lab = await startLab(scenario, { range: RANGE, dnsPort: 0 });
  const rows: Row[] = [];
  try {
    // One discarded run warms up this process's code paths.
    if (warmUp) await discover(lab, variant, 'outlook', true);
    for (const profile of variant.profiles) {
      const concurrentRuns: Run[] = [];
      const sequentialRuns: Run[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Alternate which mode goes first, so that neither always meets a warmer lab.
        for (const mode of i % 2 === 0 ? [true, false] : [false, true]) {
          (mode ? concurrentRuns : sequentialRuns).push(await discover(lab, variant, profile, mode));
        }
      }
      const concurrent = concurrentRuns.map((r) => r.report);
      const sequential = sequentialRuns.map((r) => r.report);
      const reference = sequential[0]!;
      const expected = scenario.expect?.[profile];
      if (expected !== undefined && reference.outcome !== expected) {
        throw new Error(
          `${scenario.name}/${profile}: outcome ${reference.outcome}, the scenario expects ${expected}\n    ${behaviour(reference).join('\n    ')}`,
        );
      }
      for (const [mode, reports] of [
        ['sequential', sequential],
        ['concurrent', concurrent],
      ] as const) {
        for (const [i, r] of reports.entries()) {
          assertSameBehaviour(`${scenario.name}/${profile} ${mode} run ${i + 1}`, reference, r);
        }
      }
      for (const [i, run] of sequentialRuns.entries()) {
        checkTraffic(`${scenario.name}/${profile} sequential run ${i + 1}`, run, false);
      }
      const extras = concurrentRuns.map((run, i) =>
        checkTraffic(`${scenario.name}/${profile} concurrent run ${i + 1}`, run, variant.prefetchRequests === true),
      );
      const stepSum = median(sequential.map((r) => timing(r).sequentialMs));
      rows.push({
        scenario:
          variant.credentials === false
            ? `${scenario.name} (no credentials${variant.prefetchRequests ? ', --prefetch-requests' : ''})`
            : scenario.name,
        profile,
        outcome: reference.outcome,
        steps: reference.steps.length,
        timeouts: reference.steps.filter((s) => s.result === 'timeout').length,
        credentialSteps: reference.steps.filter((s) => s.credentialsSent === true).length,
        wallConcurrent: median(concurrent.map((r) => timing(r).wallMs)),
        wallSequential: median(sequential.map((r) => timing(r).wallMs)),
        slowestStep: median(sequential.map(slowest)),
        stepSum,
        clientSequential: median(sequential.map((r) => timing(r).clientSequentialMs)),
        concurrentStepSumRatio: median(concurrent.map((r) => timing(r).sequentialMs)) / stepSum,
        extraRequests: median(extras),
      });
    }
  } finally {
    await lab.close();
  }
  return rows;
}

const started = performance.now();
process.stdout.write(
  `autodisco discovery benchmark: lab on ${RANGE}, every profile ${RUNS}× with the concurrent prefetch on and ${RUNS}× off,` +
    ' credentials given (except where noted), redirects accepted\n',
);
const rows: Row[] = [];
for (const [i, variant] of VARIANTS.entries()) rows.push(...(await measure(variant, i === 0)));

const ms = (v: number) => v.toFixed(0);
const x = (v: number) => `${v.toFixed(2)}×`;
const out: string[] = [
  '',
  `Identical outcome, steps (method, URL, result, status, redirect) and credential placement, concurrent vs sequential, and servers' logs equal to the steps' requests: checked on all ${rows.length * RUNS * 2} runs.`,
  '',
  '| scenario | profile | outcome | steps (timeouts, with credentials) | wall concurrent ms | wall sequential ms | slowest step ms | Σ step ms | client sequential ms | wall / slowest step | wall / Σ steps | concurrent / sequential wall | extra requests logged |',
  '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.scenario} | ${r.profile} | ${r.outcome} | ${r.steps} (${r.timeouts}, ${r.credentialSteps}) | ${ms(r.wallConcurrent)} | ${ms(r.wallSequential)} | ${ms(r.slowestStep)} | ${ms(r.stepSum)} | ${ms(r.clientSequential)} | ${x(r.wallConcurrent / r.slowestStep)} | ${x(r.wallConcurrent / r.stepSum)} | ${x(r.wallConcurrent / r.wallSequential)} | ${r.extraRequests} |`,
  ),
  '',
  ...VARIANTS.map((v) => `${v.scenario.name}: ${v.story}.`),
  '',
  `Medians of ${RUNS} run(s). "wall" is the report's timing.wallMs with the prefetch on (concurrent: DNS and TLS ahead, and requests too where the scenario says --prefetch-requests) or off (sequential).`,
  '"extra requests logged": requests the hosts received that no step of the report shows (only --prefetch-requests may cause them).',
  "The step figures come from the sequential runs' reports, where each step's ms is its own undisturbed time:",
  'slowest step = the largest step ms (a lower bound for a client that overlapped every candidate); Σ step ms =',
  "timing.sequentialMs; client sequential = timing.clientSequentialMs (each timeout at the profile's own client timeout).",
  `In the concurrent runs' reports the steps' ms include prefetches measured while they overlapped: their Σ is ${x(median(rows.map((r) => r.concurrentStepSumRatio)))} the sequential Σ (median over rows).`,
  `Whole benchmark: ${((performance.now() - started) / 1000).toFixed(1)} s.`,
  '',
];
process.stdout.write(out.join('\n'));
