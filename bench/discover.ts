/**
 * `npm run bench:discover`: discovery against a lab whose candidates answer late (bench/scenarios/discover-latency.ts),
 * for the client profiles, with the concurrent prefetch on and off (EngineOptions.concurrent).
 *
 * First a check, which fails the run loudly: concurrent and sequential runs must give the same outcome, the same
 * steps in the same order (method, URL, result, status, redirect) and send credentials with the same steps.
 * Then the figures, each a ratio measured in the same run: the concurrent wall time against the slowest deciding
 * step (what a client that overlapped everything could reach) and against the sum of the steps' own times (what a
 * sequential client spends), next to the sequential wall time and the real client's sequential estimate (its own
 * timeout counted for each timed-out step).
 *
 * BENCH_RUNS sets the runs per profile and mode (default 5; medians are printed). The whole benchmark takes about
 * two minutes with the default.
 */
import { runDiscovery } from '../src/discover/engine.js';
import { createNodePorts } from '../src/discover/node-ports.js';
import { PROFILE_NAMES, PROFILES } from '../src/discover/profiles.js';
import type { DiscoveryReport, ProfileName } from '../src/discover/report.js';
import { type RunningLab, startLab } from '../src/lab/lab.js';
import {
  behaviour,
  DELAYED,
  LATENCY_EMAIL,
  type LatencyScenarioOptions,
  latencyScenario,
  ROOT_HANGS,
  SLOW_DNS,
} from './scenarios/discover-latency.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const RANGE = '127.45.0.0/24';
const CREDENTIALS = { user: LATENCY_EMAIL, password: 'bench-not-a-secret' };

if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS "${process.env['BENCH_RUNS']}": expected ≥ 1`);

interface Variant {
  scenario: LatencyScenarioOptions;
  /** The engine's limit for each request (EngineOptions.timeoutMs): well above every delay that must not time out. */
  timeoutMs: number;
  /** The resolver's budget per lookup (createNodePorts). */
  dnsTimeoutMs: number;
  /** What is slow, for the legend. */
  story: string;
  profiles: readonly ProfileName[];
  /** false: no credentials, so the prefetch may send the (unauthenticated) requests early too. */
  credentials?: false;
}

const VARIANTS: Variant[] = [
  {
    scenario: DELAYED,
    timeoutMs: 1_000,
    dnsTimeoutMs: 1_000,
    profiles: PROFILE_NAMES,
    story:
      'HTTP answers late: root 300 ms (HTML), autodiscover 200 ms (401), HTTP redirect 50 ms (302 to mail), mail 50 ms',
  },
  {
    scenario: DELAYED,
    timeoutMs: 1_000,
    dnsTimeoutMs: 1_000,
    profiles: ['outlook', 'thunderbird'],
    credentials: false,
    story: 'the same, without credentials: every request is unauthenticated, so the prefetch sends them at once',
  },
  {
    scenario: ROOT_HANGS,
    timeoutMs: 600,
    dnsTimeoutMs: 1_000,
    profiles: PROFILE_NAMES,
    story:
      'the root domain never answers (each request to it times out after 600 ms), autodiscover 100 ms (401), HTTP redirect 50 ms (404), SRV → mail 50 ms',
  },
  {
    scenario: SLOW_DNS,
    timeoutMs: 1_000,
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function discover(
  lab: RunningLab,
  variant: Variant,
  profile: ProfileName,
  concurrent: boolean,
): Promise<DiscoveryReport> {
  return runDiscovery(
    {
      email: LATENCY_EMAIL,
      profile: PROFILES[profile],
      exclude: new Set(),
      // The redirect and SRV targets are followed (the user answers the prompt with yes, in advance).
      accept: { redirect: true, certificate: false },
      ...(variant.credentials === false ? {} : { credentials: CREDENTIALS }),
      timeoutMs: variant.timeoutMs,
      ca: [lab.caPem],
      concurrent,
    },
    createNodePorts({ dnsServers: [lab.dns], timeoutMs: variant.dnsTimeoutMs }),
  );
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
      const concurrent: DiscoveryReport[] = [];
      const sequential: DiscoveryReport[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Alternate which mode goes first, so that neither always meets a warmer lab.
        for (const mode of i % 2 === 0 ? [true, false] : [false, true]) {
          (mode ? concurrent : sequential).push(await discover(lab, variant, profile, mode));
        }
      }
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
      const stepSum = median(sequential.map((r) => timing(r).sequentialMs));
      rows.push({
        scenario: variant.credentials === false ? `${scenario.name} (no credentials)` : scenario.name,
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
  `Identical outcome, steps (method, URL, result, status, redirect) and credential placement, concurrent vs sequential: checked on all ${rows.length * RUNS * 2} runs.`,
  '',
  '| scenario | profile | outcome | steps (timeouts, with credentials) | wall concurrent ms | wall sequential ms | slowest step ms | Σ step ms | client sequential ms | wall / slowest step | wall / Σ steps | concurrent / sequential wall |',
  '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.scenario} | ${r.profile} | ${r.outcome} | ${r.steps} (${r.timeouts}, ${r.credentialSteps}) | ${ms(r.wallConcurrent)} | ${ms(r.wallSequential)} | ${ms(r.slowestStep)} | ${ms(r.stepSum)} | ${ms(r.clientSequential)} | ${x(r.wallConcurrent / r.slowestStep)} | ${x(r.wallConcurrent / r.stepSum)} | ${x(r.wallConcurrent / r.wallSequential)} |`,
  ),
  '',
  ...VARIANTS.map((v) => `${v.scenario.name}: ${v.story}.`),
  '',
  `Medians of ${RUNS} run(s). "wall" is the report's timing.wallMs with the prefetch on (concurrent) or off (sequential).`,
  "The step figures come from the sequential runs' reports, where each step's ms is its own undisturbed time:",
  'slowest step = the largest step ms (a lower bound for a client that overlapped every candidate); Σ step ms =',
  "timing.sequentialMs; client sequential = timing.clientSequentialMs (each timeout at the profile's own client timeout).",
  `In the concurrent runs' reports the steps' ms include prefetches measured while they overlapped: their Σ is ${x(median(rows.map((r) => r.concurrentStepSumRatio)))} the sequential Σ (median over rows).`,
  `Whole benchmark: ${((performance.now() - started) / 1000).toFixed(1)} s.`,
  '',
];
process.stdout.write(out.join('\n'));
