/**
 * The one engine: walks a profile's plan for an address, step by step, exactly in the client's order, and
 * records every step. Redirects (redirectUrl, HTTP 3xx) are followed in place; redirectAddr restarts the plan for
 * the new address. By default DNS lookups and TLS handshakes of later candidates are started early, but no HTTP
 * request is: every request a server receives is a step of the report, sent when the walk gets there. Only
 * `prefetchRequests` also sends the unauthenticated requests early (never one with credentials), so the outcome,
 * the order of steps and where credentials go are always those of the sequential client.
 */
import { type AddressParts, baseDomain, checkAddress, fillTemplate } from './candidates.js';
import { type DiscoverOptions, type DiscoverPorts, Lookup, type Next } from './context.js';
import type { PlanStep, StepProtocol } from './profiles.js';
import { type DiscoveryReport, REPORT_SCHEMA_ID, type Refusal, type Step, type StepMethod } from './report.js';
import { checkServices } from './service-checks.js';
import { autoconfigStep } from './steps/autoconfig.js';
import { autoconfigMxSteps } from './steps/autoconfig-mx.js';
import { connect, getRequest } from './steps/connect.js';
import { httpRedirectStep } from './steps/http-redirect.js';
import { buildPost, postStep } from './steps/post.js';
import { scpSteps } from './steps/scp.js';
import { soapProbe } from './steps/soap-probe.js';
import { srvSteps } from './steps/srv.js';

export interface EngineOptions extends DiscoverOptions {
  /** Start the DNS lookups and TLS handshakes of every candidate at once (default true); false: nothing ahead. */
  concurrent?: boolean;
  /**
   * Also send the unauthenticated requests of later candidates early (default false). Faster, but servers then
   * receive requests the real client would not make (e.g. autodiscover.<domain> after a root-domain prompt).
   */
  prefetchRequests?: boolean;
}

function methodOf(step: PlanStep): StepMethod {
  switch (step.kind) {
    case 'scp':
      return 'scp';
    case 'post':
      return step.method;
    case 'http-redirect':
      return 'http-redirect';
    case 'srv':
      return 'srv';
    case 'autoconfig':
      return 'autoconfig';
    case 'autoconfig-mx':
      return 'autoconfig-mx';
  }
}

function skipped(method: StepMethod, email: string, host: string, detail: string, round: number, url?: URL): Step {
  return {
    method,
    email,
    ...(url ? { url: url.href } : {}),
    host,
    addresses: [],
    result: 'skipped',
    status: null,
    redirectTo: null,
    detail,
    ms: 0,
    round,
  };
}

const ignore = () => undefined;

/**
 * Starts, for every candidate of the plan at once, DNS lookups and TLS handshakes (which no server logs as a
 * request) and, only with `prefetchRequests`, the requests that would go without credentials. The walk then
 * takes each result in the client's order; nothing early changes which steps the report shows.
 */
function prefetch(lookup: Lookup, address: AddressParts, round: number, requests: boolean): void {
  for (const planStep of lookup.profile.plan) {
    const method = methodOf(planStep);
    if (lookup.options.exclude.has(method) || planStep.kind === 'scp') continue;
    if (planStep.kind === 'srv') {
      const name = planStep.name.replace('{domain}', address.domain);
      lookup.once(`srv:${name}`, () => lookup.ports.dns.resolveSrv(name)).catch(ignore);
      continue;
    }
    if (planStep.kind === 'autoconfig-mx') {
      const { domain } = address;
      lookup.once(`mx:${domain}`, () => lookup.ports.dns.resolveMx(domain)).catch(ignore);
      continue;
    }
    const url = fillTemplate(planStep.url, address);
    // An autoconfig URL over plain HTTP carries the address: it is only sent when the walk gets there.
    if (planStep.kind === 'autoconfig' && url.protocol !== 'https:') continue;
    connect(lookup, method, address.email, url, round, { prefetch: true })
      .then((outcome) => {
        if (outcome.kind !== 'connected' || !requests) return;
        const c = outcome.connection;
        if (planStep.kind === 'post' && planStep.protocol === 'soap') {
          // What an EWS application sends first is the probe (steps/soap-probe.ts), never the POST.
          lookup.sendEarly(getRequest(lookup, new URL(`https://${url.hostname}/autodiscover/autodiscover.xml`), c));
        } else if (planStep.kind === 'post') {
          const { request, mayAuthenticate } = buildPost(
            lookup,
            {
              method,
              url,
              email: address.email,
              round,
              foreign: false,
              consented: true,
              ...(planStep.protocol ? { protocol: planStep.protocol } : {}),
            },
            c,
          );
          if (!mayAuthenticate) lookup.sendEarly(request);
        } else {
          lookup.sendEarly(getRequest(lookup, url, c));
        }
      })
      .catch(ignore);
  }
}

/** Follows redirectUrl / HTTP 3xx answers: https only, no loops, at most the profile's number of redirects. */
async function followRedirects(
  lookup: Lookup,
  first: Next,
  address: AddressParts,
  round: number,
  consented: boolean,
  record: Recorder = (s) => lookup.record(s),
  protocol?: StepProtocol,
): Promise<Next> {
  let next = first;
  while (next.kind === 'redirect-url') {
    const to = next.url;
    if (lookup.budgetSpent('redirect', address.email, to.hostname, round, record)) return { kind: 'fail' };
    lookup.redirects++;
    const refuse = (refusal: Refusal, detail: string): Next => {
      record({
        ...skipped('redirect', address.email, to.hostname, detail, round, to),
        result: 'refused',
        refusal,
      });
      return { kind: 'continue' };
    };
    if (lookup.redirects > lookup.profile.maxRedirects) {
      return refuse(
        'redirect-limit',
        `More than ${lookup.profile.maxRedirects} redirects: the client stops following them.`,
      );
    }
    if (to.protocol !== 'https:') {
      return refuse(
        'insecure-redirect',
        `The redirect points to ${to.href}: clients follow only https:// URLs, never plain HTTP.`,
      );
    }
    const key = `${address.email} ${to.href.toLowerCase()}`;
    if (lookup.urlsSeen.has(key)) {
      return refuse('redirect-loop', `${to.href} was already asked for ${address.email}: a redirect loop.`);
    }
    lookup.urlsSeen.add(key);
    // Credentials may follow a redirect inside the user's own organisation, or anywhere the user agreed to.
    const foreign = baseDomain(to.hostname) !== baseDomain(address.domain);
    const run = await postStep(lookup, {
      method: 'redirect',
      url: to,
      email: address.email,
      round,
      foreign,
      consented: consented || lookup.options.accept.redirect,
      ...(protocol ? { protocol } : {}),
    });
    record(run.step);
    next = run.next;
  }
  return next;
}

/** Handles Action=redirectAddr: the whole plan again for the new address, within the redirect budget. */
async function restartFor(lookup: Lookup, target: string, round: number): Promise<Next> {
  // The step that answered redirectAddr (steps that ran alongside it may have been recorded after it).
  const producer = lookup.steps.findLast((s) => s.result === 'redirect-addr' && s.redirectTo === target);
  const refuse = (refusal: Refusal, detail: string): Next => {
    if (producer) {
      producer.result = 'refused';
      producer.refusal = refusal;
      producer.detail = `${producer.detail} ${detail}`;
    }
    return { kind: 'fail' };
  };
  lookup.redirects++;
  if (lookup.redirects > lookup.profile.maxRedirects) {
    return refuse('redirect-limit', `Not followed: more than ${lookup.profile.maxRedirects} redirects in all.`);
  }
  const check = checkAddress(target);
  if (!check.ok) return refuse('invalid-address', `Not followed: ${check.reason}.`);
  if (lookup.addressesSeen.has(check.address.email)) {
    return refuse('redirect-loop', `Not followed: ${check.address.email} was already looked up (a redirect loop).`);
  }
  return walk(lookup, check.address, round + 1);
}

type Recorder = (step: Step) => void;

async function runPlanStep(
  lookup: Lookup,
  planStep: PlanStep,
  address: AddressParts,
  round: number,
  recordStep: Recorder = (s) => lookup.record(s),
): Promise<Next> {
  const { email, domain } = address;
  if (planStep.kind === 'post')
    lookup.urlsSeen.add(`${email} ${fillTemplate(planStep.url, address).href.toLowerCase()}`);
  const { protocol } = planStep.kind === 'autoconfig' || planStep.kind === 'autoconfig-mx' ? {} : planStep;
  // Every step of the SOAP part says so in the report (the rules tell SOAP from POX by it).
  const record: Recorder =
    protocol === 'soap'
      ? (s) => {
          s.protocol = protocol;
          recordStep(s);
        }
      : recordStep;
  const follow = (first: Next, consented: boolean) =>
    followRedirects(lookup, first, address, round, consented, record, protocol);
  switch (planStep.kind) {
    case 'scp':
      return scpSteps(lookup, address, round, record, (first) => follow(first, false), protocol);
    case 'post': {
      let url = fillTemplate(planStep.url, address);
      if (protocol === 'soap') {
        // An EWS application posts SOAP only to a host whose probe says it serves it (steps/soap-probe.ts).
        const svc = await soapProbe(lookup, planStep.method, email, url.hostname, round, record);
        if (!svc) return { kind: 'continue' };
        url = svc;
      }
      const run = await postStep(lookup, {
        method: planStep.method,
        url,
        email,
        round,
        foreign: false,
        consented: true,
        ...(protocol ? { protocol } : {}),
      });
      record(run.step);
      return follow(run.next, false);
    }
    case 'http-redirect': {
      const run = await httpRedirectStep(lookup, fillTemplate(planStep.url, address), email, domain, round);
      record(run.step);
      // Reaching here with a redirect means the user agreed (or no consent was needed).
      if (protocol !== 'soap' || run.next.kind !== 'redirect-url') return follow(run.next, true);
      // An EWS application takes only the host of the redirect, and asks its SOAP endpoint there if it has one.
      const svc = await soapProbe(lookup, 'redirect', email, run.next.url.hostname, round, record);
      return svc ? follow({ kind: 'redirect-url', url: svc }, true) : { kind: 'continue' };
    }
    case 'srv':
      return srvSteps(lookup, planStep.name.replace('{domain}', domain), email, domain, round, record, protocol);
    case 'autoconfig': {
      const run = await autoconfigStep(lookup, fillTemplate(planStep.url, address), email, round);
      record(run.step);
      return run.next;
    }
    case 'autoconfig-mx':
      return autoconfigMxSteps(lookup, planStep.url, address, round, record);
  }
}

/** The step that stands for an excluded plan step (--exclude, as Outlook's Exclude* policy values do). */
function excludedStep(lookup: Lookup, planStep: PlanStep, address: AddressParts, round: number): Step | undefined {
  const method = methodOf(planStep);
  if (!lookup.options.exclude.has(method)) return undefined;
  const url =
    planStep.kind === 'scp' || planStep.kind === 'srv' || planStep.kind === 'autoconfig-mx'
      ? undefined
      : fillTemplate(planStep.url, address);
  const host =
    url?.hostname ??
    (planStep.kind === 'srv'
      ? planStep.name.replace('{domain}', address.domain)
      : planStep.kind === 'autoconfig-mx'
        ? address.domain
        : '');
  const step = skipped(
    method,
    address.email,
    host,
    `Excluded (--exclude ${method}), as Outlook's Exclude* policy values do.`,
    round,
    url,
  );
  return 'protocol' in planStep && planStep.protocol ? { ...step, protocol: planStep.protocol } : step;
}

/**
 * A domain-joined client whose profile asks some DNS candidates alongside SCP (Outlook 2013, docs/lookups.md):
 * the SCP lookup and those steps, in their own order, run at the same time. Their steps are recorded after the
 * SCP steps, marked `parallel: 'scp'`. An answer from SCP wins; otherwise the lookup goes on with what the
 * candidates found, as the real client does (they are not asked twice).
 */
async function scpWithAlongside(
  lookup: Lookup,
  scp: PlanStep,
  alongside: readonly PlanStep[],
  address: AddressParts,
  round: number,
): Promise<Next> {
  const beside: Step[] = [];
  const record: Recorder = (step) => {
    step.parallel = 'scp';
    step.detail = `Alongside the SCP lookup: ${step.detail}`;
    beside.push(step);
  };
  const chain = (async (): Promise<Next> => {
    for (const planStep of alongside) {
      const excluded = excludedStep(lookup, planStep, address, round);
      if (excluded) {
        record(excluded);
        continue;
      }
      const next = await runPlanStep(lookup, planStep, address, round, record);
      if (next.kind !== 'continue') return next;
    }
    return { kind: 'continue' };
  })();
  const fromScp = await runPlanStep(lookup, scp, address, round);
  const fromDns = await chain;
  for (const step of beside) {
    if (step.result === 'prompt' && fromScp.kind !== 'continue') {
      // The question still appears; it just does not decide the outcome (steps/connect.ts wrote "stops here").
      step.detail = step.detail.replace(
        `${lookup.profile.short} stops here and asks the user.`,
        `${lookup.profile.short} asks the user: the warning appears although the SCP lookup, run at the same time, decides the lookup.`,
      );
    }
    lookup.record(step);
  }
  return fromScp.kind !== 'continue' ? fromScp : fromDns;
}

async function walk(lookup: Lookup, address: AddressParts, round: number): Promise<Next> {
  lookup.addressesSeen.add(address.email);
  const options = lookup.options as EngineOptions;
  if (options.concurrent !== false) prefetch(lookup, address, round, options.prefetchRequests === true);
  const { plan } = lookup.profile;
  /** Set once an EWS application gave up on SOAP Autodiscover: its remaining SOAP steps are not taken. */
  let soapGivenUp = false;
  for (let i = 0; i < plan.length; i++) {
    const planStep = plan[i] as PlanStep;
    const soap = 'protocol' in planStep && planStep.protocol === 'soap';
    if (soapGivenUp && soap) continue;
    // The POX lookup after the SOAP one is a new call of the EWS Managed API, with its own 10 hops.
    if (!soap && i > 0 && (plan[i - 1] as PlanStep & { protocol?: string }).protocol === 'soap') lookup.redirects = 0;
    if (lookup.budgetSpent(methodOf(planStep), address.email, address.domain, round)) return { kind: 'fail' };
    const excluded = excludedStep(lookup, planStep, address, round);
    if (excluded) {
      lookup.record(excluded);
      continue;
    }
    // A domain-joined client asks the candidates its profile marks `alongside: 'scp'` at the same time as SCP.
    const alongside: PlanStep[] = [];
    if (planStep.kind === 'scp' && lookup.options.ldap !== undefined) {
      for (let j = i + 1; j < plan.length; j++) {
        const later = plan[j];
        if (later?.kind !== 'post' || later.alongside !== 'scp') break;
        alongside.push(later);
      }
    }
    let next: Next;
    if (alongside.length > 0) {
      next = await scpWithAlongside(lookup, planStep, alongside, address, round);
      i += alongside.length; // asked already, beside SCP
    } else {
      next = await runPlanStep(lookup, planStep, address, round);
    }
    if (next.kind === 'redirect-addr') return restartFor(lookup, next.address, round);
    if (next.kind === 'soap-fallback') {
      soapGivenUp = true;
      continue;
    }
    if (next.kind !== 'continue') return next;
  }
  return { kind: 'fail' };
}

/** Runs one client's lookup and returns the contract's report (findings are added by the diagnosis). */
export async function runDiscovery(options: EngineOptions, ports: DiscoverPorts): Promise<DiscoveryReport> {
  const started = ports.now();
  const lookup = new Lookup(ports, options);
  const check = checkAddress(options.email);
  let end: Next;
  if (!check.ok) {
    const first = options.profile.plan[0];
    lookup.record({
      ...skipped(first ? methodOf(first) : 'root-domain', options.email, '', `Refused: ${check.reason}.`, 0),
      result: 'refused',
      refusal: 'invalid-address',
    });
    end = { kind: 'fail' };
  } else {
    end = await walk(lookup, check.address, 0);
  }
  // The walk is over: requests the prefetch sent that no step took are closed now (it used to leave them open
  // until their own deadline, holding the servers' connections while the service checks ran).
  lookup.end();
  const serviceChecks = end.kind === 'settings' ? await checkServices(lookup, end.settings) : undefined;
  let evidence: DiscoveryReport['evidence'];
  if (end.kind === 'fail' && check.ok) {
    // Where mail for the domain goes is the likeliest home of its Autodiscover service: the diagnosis suggests it.
    const { domain } = check.address;
    // Thunderbird's MX step may have asked already: the same answer, not a second query.
    const mx = await lookup.once(`mx:${domain}`, () => ports.dns.resolveMx(domain));
    if (mx.status === 'ok') {
      evidence = {
        mx: [...mx.records].sort((a, b) => a.priority - b.priority).map((r) => r.exchange.replace(/\.$/, '')),
      };
    }
  }
  const steps = lookup.steps;
  const sequentialMs = steps.reduce((sum, s) => sum + s.ms, 0);
  const clientSequentialMs = steps.reduce(
    // The real client waits its own timeout where we waited --timeout (DNS timeouts are the resolver's, not its).
    (sum, s) =>
      sum + (s.result === 'timeout' && s.phase !== 'dns' ? Math.max(s.ms, options.profile.clientTimeoutMs) : s.ms),
    0,
  );
  return {
    schema: REPORT_SCHEMA_ID,
    email: check.ok ? check.address.email : options.email,
    client: options.profile.name,
    outcome: end.kind === 'settings' ? 'settings' : end.kind === 'prompt' ? 'prompt' : 'failed',
    settings: end.kind === 'settings' ? end.settings : null,
    prompt: end.kind === 'prompt' ? end.prompt : null,
    steps,
    findings: [],
    ...(serviceChecks ? { serviceChecks } : {}),
    ...(evidence ? { evidence } : {}),
    timing: {
      wallMs: Math.round((ports.now() - started) * 10) / 10,
      sequentialMs: Math.round(sequentialMs * 10) / 10,
      clientSequentialMs: Math.round(clientSequentialMs * 10) / 10,
    },
  };
}
