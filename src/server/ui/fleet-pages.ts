/**
 * /ui/fleet and /ui/fleet/{domain}: the latest audit of the fleet (outcome counts per client, finding codes,
 * filters, a page of domains, the trend of broken domains) and one domain's events and latest reports. Every
 * list is filtered and paged by the results store (sqlite-fleet.ts); the pages only render a page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DomainDetail, FleetDomain, FleetQuery, FleetSummary, Page, TrendPoint } from '../../audit/fleet.js';
import type { AuditEvent } from '../../audit/results.js';
import { PROFILE_NAMES } from '../../discover/profiles.js';
import { type FleetAccess, fleetAccess, latestQuery, OUTCOME_FILTERS, unavailable } from '../api/audits-query.js';
import type { AdminContext } from '../api/context.js';
import { type Html, html } from './html.js';
import { clientSection } from './report-html.js';
import { trendChart } from './trend-svg.js';

export type SendPage = (
  request: FastifyRequest,
  reply: FastifyReply,
  title: string,
  content: (csrf: string) => Html,
  section: string,
) => FastifyReply;

const PAGE_SIZE = 50;
const TREND_RUNS = 30;
const OUTCOME_WORDS = { settings: 'gets settings', prompt: 'stops at a prompt', failed: 'fails', broken: 'broken' };
const when = (iso: string) => `${iso.replace('T', ' ').slice(0, 19)} UTC`;

function noStore(access: Exclude<FleetAccess, { ok: true }>): Html {
  const [why, cmd] = access.message.split(' Produce them with: ');
  return html`<div class="notice${access.status === 503 ? ' error' : ''}" role="status"><p>${why}</p>
${cmd ? html`<p>Produce them with this command, where the file lists one domain or e-mail address per line (<code>--from-config settings.yaml</code> audits every domain you serve instead):</p><pre><code>${cmd.replace(/ \(one domain.*$/, '')}</code></pre><p>Then reload this page.</p>` : ''}</div>`;
}

/** The page's query string with some parameters changed ('' drops one). */
function link(q: Record<string, string | number | undefined>, change: Record<string, string | number>): string {
  const merged = { ...q, ...change };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(merged))
    if (v !== undefined && v !== '' && !(k === 'offset' && v === 0)) params.set(k, String(v));
  const s = params.toString();
  return `/ui/fleet${s ? `?${s}` : ''}`;
}

function summaryTables(s: FleetSummary): Html {
  return html`<p>${s.domains} domain(s) audited; <strong>${s.broken}</strong> with a client that gets no settings${s.latestAt ? html`; latest result ${when(s.latestAt)}` : ''}.</p>
<div class="row"><div><div class="table-wrap"><table><caption>Latest outcome per client (domains)</caption>
<thead><tr><th scope="col">Client</th><th scope="col">Gets settings</th><th scope="col">Stops at a prompt</th><th scope="col">Fails</th></tr></thead>
<tbody>${s.byClient.map((c) => html`<tr><th scope="row">${c.client}</th>${(['settings', 'prompt', 'failed'] as const).map((o) => html`<td><a href="${link({}, { client: c.client, outcome: o })}" aria-label="${c[o]} domain(s) where ${c.client} ${OUTCOME_WORDS[o]}">${c[o]}</a></td>`)}</tr>`)}</tbody></table></div></div>
<div><div class="table-wrap"><table><caption>Finding codes in the latest results</caption>
<thead><tr><th scope="col">Code</th><th scope="col">Domains</th><th scope="col">Results</th></tr></thead>
<tbody>${s.codes.length ? s.codes.map((c) => html`<tr><td><a href="${link({}, { code: c.code })}"><code>${c.code}</code></a></td><td>${c.domains}</td><td>${c.results}</td></tr>`) : html`<tr><td colspan="3">No findings.</td></tr>`}</tbody></table></div></div></div>`;
}

function filterForm(q: FleetQuery, codes: FleetSummary['codes']): Html {
  const option = (value: string, label: string, current: string | undefined) =>
    html`<option value="${value}"${current === value ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/ui/fleet" role="search" aria-label="Filter domains"><div class="row">
<div><label for="fl-client">Client</label><select id="fl-client" name="client">${option('', 'Any client', q.client ?? '')}${PROFILE_NAMES.map((p) => option(p, p, q.client))}</select></div>
<div><label for="fl-outcome">Outcome</label><select id="fl-outcome" name="outcome">${option('', 'Any outcome', q.outcome ?? '')}${OUTCOME_FILTERS.map((o) => option(o, o === 'broken' ? 'broken (anything but settings)' : OUTCOME_WORDS[o], q.outcome))}</select></div>
<div><label for="fl-code">Finding code</label><select id="fl-code" name="code">${option('', 'Any or none', q.code ?? '')}${codes.map((c) => option(c.code, c.code, q.code))}</select></div>
<div><label for="fl-search">Domain contains</label><input id="fl-search" name="search" value="${q.search ?? ''}"></div>
</div><p><button type="submit">Filter</button> <a href="/ui/fleet">Clear filters</a></p></form>`;
}

function domainTable(
  page: Page<FleetDomain>,
  q: FleetQuery,
  clients: string[],
  params: Record<string, string | number | undefined>,
): Html {
  const cell = (r: { outcome: string; codes: string[] } | undefined) =>
    r
      ? html`<td class="outcome-cell outcome-${r.outcome}">${r.outcome}${r.codes.length ? html`<br><small>${r.codes.join(', ')}</small>` : ''}</td>`
      : html`<td>not audited</td>`;
  const end = Math.min(q.offset + q.limit, page.total);
  return html`<div class="table-wrap"><table><caption>Domains${q.client || q.outcome || q.code || q.search ? ' (filtered)' : ''}: ${page.total === 0 ? 'none' : `${q.offset + 1}–${end} of ${page.total}`}</caption>
<thead><tr><th scope="col">Domain</th>${clients.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
<tbody>${page.items.map((d) => html`<tr><th scope="row"><a href="/ui/fleet/${encodeURIComponent(d.domain)}">${d.domain}</a></th>${clients.map((c) => cell(d.results.find((r) => r.client === c)))}</tr>`)}</tbody></table></div>
<nav class="pager" aria-label="Pages">${q.offset > 0 ? html`<a href="${link(params, { offset: Math.max(0, q.offset - q.limit) })}">Previous</a>` : ''}
<span>${page.total === 0 ? 'none' : `${q.offset + 1}–${end} of ${page.total}`}</span>
${end < page.total ? html`<a href="${link(params, { offset: q.offset + q.limit })}">Next</a>` : ''}</nav>`;
}

const EVENT_WORDS: Record<AuditEvent['kind'], string> = {
  'new-problem': 'new problem',
  fixed: 'fixed',
  'certificate-expiring': 'certificate expiring',
};

function eventItem(e: AuditEvent): Html {
  const change =
    e.previousOutcome === null
      ? `${e.outcome} (first audit)`
      : e.previousOutcome === e.outcome
        ? e.outcome
        : `${e.previousOutcome} → ${e.outcome}`;
  return html`<li class="step event-${e.kind}"><span class="method">${EVENT_WORDS[e.kind]}</span> <span class="result">${e.client}</span>
<div class="meta">${when(e.at)}; run ${e.runId}; ${change}</div>
${e.codes.length ? html`<p class="detail">${e.kind === 'fixed' ? 'gone: ' : 'new: '}${e.codes.join(', ')}</p>` : ''}${e.kind === 'certificate-expiring' ? html`<p class="detail">${e.daysLeft} day(s) left, until ${e.certNotAfter}</p>` : ''}</li>`;
}

export async function fleetPages(app: FastifyInstance, ctx: AdminContext, send: SendPage): Promise<void> {
  app.get<{ Querystring: Record<string, unknown> }>('/ui/fleet', async (request, reply) => {
    let access = request.principal ? await fleetAccess(ctx.fleet) : undefined;
    const raw = Object.fromEntries(
      Object.entries(request.query).filter(
        ([k, v]) => ['client', 'outcome', 'code', 'search', 'offset'].includes(k) && typeof v === 'string' && v !== '',
      ),
    ) as Record<string, string>;
    const parsed = latestQuery.safeParse({ ...raw, limit: PAGE_SIZE });
    if (!parsed.success && access?.ok) reply.code(400);
    const q: FleetQuery = parsed.success ? parsed.data : { offset: 0, limit: PAGE_SIZE };
    // Read before rendering: the reader answers asynchronously, the page is rendered in one go.
    let read: { summary: FleetSummary; trend: TrendPoint[]; page: Page<FleetDomain> } | undefined;
    try {
      read = access?.ok
        ? {
            summary: await access.reader.summary(),
            trend: await access.reader.trend(TREND_RUNS),
            page: await access.reader.domains(q),
          }
        : undefined;
    } catch (err) {
      access = unavailable(ctx.fleet, err);
      if (!access) throw err;
      reply.code(access.status);
    }
    return send(
      request,
      reply,
      'Fleet',
      () => {
        if (!access) return html``;
        if (!access.ok || !read) return access.ok ? html`` : noStore(access);
        const { summary } = read;
        const clients = summary.byClient.map((c) => c.client);
        const params = { client: q.client, outcome: q.outcome, code: q.code, search: q.search, offset: q.offset };
        return html`<p>The latest result of every domain and client in ${ctx.fleet?.label}, from <code>autodisco audit</code> and <code>watch</code>.</p>
${summaryTables(summary)}
<h2>Broken domains over the runs</h2>${trendChart(read.trend)}
<h2>Domains</h2>
${parsed.success ? '' : html`<div class="notice error" role="alert">${parsed.error.issues.map((i) => html`<p>${String(i.path[0])} "${raw[String(i.path[0])] ?? ''}": ${i.message}</p>`)}</div>`}
${filterForm(q, summary.codes)}
${domainTable(read.page, q, clients, params)}`;
      },
      'fleet',
    );
  });

  app.get<{ Params: { domain: string } }>('/ui/fleet/:domain', async (request, reply) => {
    let access = request.principal ? await fleetAccess(ctx.fleet) : undefined;
    let detail: DomainDetail | undefined;
    try {
      detail = access?.ok ? await access.reader.domain(request.params.domain, 100) : undefined;
    } catch (err) {
      access = unavailable(ctx.fleet, err);
      if (!access) throw err;
      reply.code(access.status);
    }
    if (access?.ok && !detail) reply.code(404);
    const name = detail?.domain ?? request.params.domain;
    return send(
      request,
      reply,
      detail ? `Fleet: ${name}` : 'No audit result of this domain',
      () => {
        if (!access) return html``;
        if (!access.ok) return noStore(access);
        if (!detail) return html`<p>No audit result of ${name} is stored. <a href="/ui/fleet">The fleet</a></p>`;
        const address = detail.reports[0]?.report.email ?? `postmaster@${name}`;
        const since = (client: string) => detail.brokenSince.find((b) => b.client === client);
        return html`<p><a href="/ui/fleet">← The fleet</a> · <a class="button" href="/ui/diagnose?${new URLSearchParams({ email: address })}">Diagnose ${address} now</a></p>
<div class="table-wrap"><table><caption>Latest result per client</caption>
<thead><tr><th scope="col">Client</th><th scope="col">Outcome</th><th scope="col">Since</th><th scope="col">Findings</th><th scope="col">Audited (UTC)</th></tr></thead>
<tbody>${detail.latest.map((r) => html`<tr><th scope="row">${r.client}</th><td class="outcome-${r.outcome}">${OUTCOME_WORDS[r.outcome]}</td><td>${since(r.client) ? `broken since ${when(since(r.client)?.since ?? '')}` : 'fine'}</td><td>${r.codes.join(', ') || 'none'}</td><td>${when(r.at)}</td></tr>`)}</tbody></table></div>
<h2>Events, newest first</h2>
${detail.events.length ? html`<ol class="timeline events">${detail.events.map(eventItem)}</ol>` : html`<p>No events: every result was the same as the one before.</p>`}
<h2>Latest reports per client</h2>
<p>A result keeps its whole report when something changed; each report below is the latest kept one, and later results of the client found the same outcome and findings.</p>
<div class="clients">${detail.reports.map((k) => html`<div><p>Report of ${when(k.at)}:</p>${clientSection(k.report)}</div>`)}</div>`;
      },
      'fleet',
    );
  });
}
