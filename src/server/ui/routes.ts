/**
 * The pages under /ui/: server-rendered, with one small script (assets/app.js, a plain ES module) for the live
 * diagnosis and the forms. Every asset is served from here; the pages' CSP allows nothing from elsewhere.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROFILE_NAMES } from '../../discover/profiles.js';
import type { DiscoveryReport } from '../../discover/report.js';
import type { AdminContext } from '../api/context.js';
import { APP_JS, REPORT_CSS } from './assets.js';
import { fleetPages } from './fleet-pages.js';
import { domainForm, userForm } from './forms.js';
import { type Html, html } from './html.js';
import { page } from './layout.js';
import { loginRoutes } from './login.js';
import { reportFragment } from './report-html.js';

/** The steps a web diagnosis may skip besides SCP (discover --exclude). */
const NETWORK_STEPS = ['root-domain', 'autodiscover-domain', 'http-redirect', 'srv'];

export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const PAGE_SIZE = 50;

function pager(base: string, search: string, offset: number, total: number): Html {
  const link = (o: number) => `${base}?${new URLSearchParams({ ...(search ? { search } : {}), offset: String(o) })}`;
  return html`<nav class="pager" aria-label="Pages">${offset > 0 ? html`<a href="${link(Math.max(0, offset - PAGE_SIZE))}">Previous</a>` : ''}
<span>${total === 0 ? 'none' : `${offset + 1}–${Math.min(offset + PAGE_SIZE, total)} of ${total}`}</span>
${offset + PAGE_SIZE < total ? html`<a href="${link(offset + PAGE_SIZE)}">Next</a>` : ''}</nav>`;
}

function searchForm(base: string, search: string, label: string): Html {
  return html`<form method="get" action="${base}" role="search"><label for="search">${label}</label>
<div class="row"><div><input id="search" name="search" value="${search}"></div><div><button type="submit">Search</button></div></div></form>`;
}

const listQuery = (q: { search?: unknown; offset?: unknown }) => ({
  search: typeof q.search === 'string' ? q.search.slice(0, 320) : '',
  offset: Math.max(0, Number.parseInt(String(q.offset ?? 0), 10) || 0),
});

export async function uiRoutes(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') && !reply.hasHeader('content-disposition'))
      reply.header('content-security-policy', PAGE_CSP);
    return payload;
  });
  await app.register(loginRoutes, ctx);

  app.get('/ui/assets/app.css', async (_r, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(REPORT_CSS),
  );
  app.get('/ui/assets/app.js', async (_r, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(APP_JS),
  );
  app.get('/ui', async (_r, reply) => reply.redirect('/ui/diagnose', 302));

  /** The page, or the login page when nobody is logged in (--public-diagnose opens the diagnose pages). */
  const send = (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    content: (csrf: string) => Html,
    section: string,
    open = false,
  ) => {
    const principal = request.principal;
    if (!principal && !open) return reply.redirect(`/ui/login?${new URLSearchParams({ next: request.url })}`, 303);
    return reply
      .type('text/html; charset=utf-8')
      .send(page(title, content(principal?.csrfToken ?? ''), { principal, section }));
  };
  const openDiagnose = ctx.options.publicDiagnose;
  // The site and the SCP step only where the server searches a directory (serve --diagnose-ldap): elsewhere a site
  // would change nothing, and the page says why there is no SCP step instead.
  const directoryFields = (directory: boolean) => {
    const skippable = directory ? ['scp', ...NETWORK_STEPS] : NETWORK_STEPS;
    const skip = html`<fieldset><legend>Skip steps</legend>${skippable.map((s) => html`<label><input type="checkbox" name="exclude" value="${s}"> ${s}</label>`)}</fieldset>`;
    if (!directory) {
      return html`${skip}<p class="hint">No SCP (Active Directory) search: this server was started without --diagnose-ldap, so every client is diagnosed as a computer outside the domain.</p>`;
    }
    return html`<label for="f-site">Directory site (optional)</label><span class="hint" id="f-site-hint">The client computer's Active Directory site, as <code>discover --site</code>: Outlook tries the SCPs of this site first, then those without a site. Empty: no site.</span><input id="f-site" name="site" autocomplete="off" maxlength="63" aria-describedby="f-site-error f-site-hint"><p class="field-error" id="f-site-error" hidden></p>
${skip}`;
  };
  await fleetPages(app, ctx, send);

  app.get<{ Querystring: Record<string, unknown> }>('/ui/diagnose', (request, reply) =>
    send(
      request,
      reply,
      'Diagnose Autodiscover',
      () => html`<form data-diagnose-form novalidate>
<div class="notice error" id="form-errors" role="alert" tabindex="-1" hidden></div>
<label for="f-email">E-mail address</label><input id="f-email" name="email" required autocomplete="off" aria-describedby="f-email-error" value="${typeof request.query['email'] === 'string' ? request.query['email'].slice(0, 320) : ''}"><p class="field-error" id="f-email-error" hidden></p>
<label for="f-client">Client</label><select id="f-client" name="client"><option value="all">All clients, side by side</option>${PROFILE_NAMES.map((p) => html`<option>${p}</option>`)}</select>
<fieldset><legend>Answer prompts in advance</legend>
<label><input type="checkbox" name="accept" value="certificate"> Accept a certificate prompt (as a user who presses Yes)</label>
<label><input type="checkbox" name="accept" value="redirect"> Accept a redirect prompt</label></fieldset>
${directoryFields(ctx.options.directory === true)}
<fieldset><legend>Credentials (optional: used for this lookup only, never stored or logged)</legend><div class="row">
<div><label for="f-user">User name</label><input id="f-user" name="user" autocomplete="off"></div>
<div><label for="f-password">Password</label><input id="f-password" name="password" type="password" autocomplete="off" aria-describedby="f-password-error"><p class="field-error" id="f-password-error" hidden></p></div></div></fieldset>
<p><button type="submit">Diagnose</button></p></form>
<section aria-live="polite" id="live" hidden><h2>Live</h2><p id="live-status"></p><div class="clients" id="live-clients"></div></section>`,
      'diagnose',
      openDiagnose,
    ),
  );

  app.get<{ Params: { id: string } }>('/ui/diagnoses/:id', async (request, reply) => {
    const stored = /^[A-Za-z0-9_-]{22}$/.test(request.params.id)
      ? await ctx.diagnoses.find(request.params.id)
      : undefined;
    const id = request.params.id;
    if (!stored) {
      const running = await ctx.diagnoses.isRunning(id);
      reply.code(running ? 200 : 404);
      return send(
        request,
        reply,
        running ? 'Diagnosis running' : 'No such diagnosis',
        () =>
          running
            ? html`<p>Still running: <a href="/ui/diagnoses/${id}">reload</a> in a moment.</p>`
            : html`<p>No diagnosis has this id. <a href="/ui/diagnose">Start one</a>.</p>`,
        'diagnose',
        openDiagnose,
      );
    }
    const reports = stored.reports as DiscoveryReport[];
    return send(
      request,
      reply,
      `Diagnosis of ${reports[0]?.email ?? ''}`,
      () => html`<p>Made on ${stored.createdAt}. Permalink: <a href="/ui/diagnoses/${stored.id}">/ui/diagnoses/${stored.id}</a>.
Download: <a href="/api/v1/diagnoses/${stored.id}/report.json" download>JSON report</a> · <a href="/api/v1/diagnoses/${stored.id}/report.html" download>HTML file</a></p>
${reportFragment(reports)}`,
      'diagnose',
      openDiagnose,
    );
  });

  app.get<{ Querystring: Record<string, unknown> }>('/ui/domains', async (request, reply) => {
    const q = listQuery(request.query);
    const result = request.principal
      ? await ctx.store.listDomains({ search: q.search, offset: q.offset, limit: PAGE_SIZE })
      : { items: [], total: 0 };
    return send(
      request,
      reply,
      'Domains',
      () => html`<p><a class="button" href="/ui/domains/new">New domain</a> <a class="button secondary" href="/api/v1/export" download>Export YAML</a></p>
<details><summary>Import a YAML file (replaces every domain and user)</summary>
<div class="notice error" id="form-errors" role="alert" tabindex="-1" hidden></div>
<form data-import-form novalidate><label for="f-file">Configuration file (as autodisco export writes it)</label><input id="f-file" name="file" type="file" accept=".yaml,.yml,.json">
<label><input type="checkbox" name="allowEmpty" value="true"> Allow a file without domains to empty the store</label>
<p><button type="submit">Import</button></p><p id="import-status" role="status"></p></form></details>
${searchForm('/ui/domains', q.search, 'Search domains')}
<div class="table-wrap"><table><caption>Stored domains</caption><thead><tr><th scope="col">Name</th><th scope="col">Aliases</th><th scope="col">Answers with</th></tr></thead><tbody>
${result.items.map((d) => html`<tr><td><a href="/ui/domains/${encodeURIComponent(d.name)}">${d.name}</a></td><td>${d.aliases.join(', ')}</td><td>${d.redirect ? ('domain' in d.redirect ? `moved to ${d.redirect.domain}` : `redirect to ${d.redirect.url}`) : ['imap', 'pop3', 'smtp', 'activeSync', 'exchange'].filter((k) => k in d).join(', ')}</td></tr>`)}
</tbody></table></div>${pager('/ui/domains', q.search, q.offset, result.total)}`,
      'domains',
    );
  });
  app.get('/ui/domains/new', (request, reply) =>
    send(request, reply, 'New domain', (csrf) => domainForm(undefined, csrf), 'domains'),
  );
  app.get<{ Params: { name: string } }>('/ui/domains/:name', async (request, reply) => {
    const found = request.principal
      ? (await ctx.store.listDomains({ offset: 0, limit: 1_000_000 })).items.find((d) => d.name === request.params.name)
      : undefined;
    if (request.principal && !found) reply.code(404);
    return send(
      request,
      reply,
      found ? `Domain ${found.name}` : 'No such domain',
      (csrf) =>
        found
          ? html`${domainForm(found, csrf)}
<form data-delete="/api/v1/domains/${encodeURIComponent(found.name)}" data-next="/ui/domains"><button class="danger" type="submit">Delete ${found.name}</button></form>`
          : html`<p>No domain named ${request.params.name} is stored. <a href="/ui/domains">All domains</a></p>`,
      'domains',
    );
  });

  app.get<{ Querystring: Record<string, unknown> }>('/ui/users', async (request, reply) => {
    const q = listQuery(request.query);
    const result = request.principal
      ? await ctx.store.listUsers({ search: q.search, offset: q.offset, limit: PAGE_SIZE })
      : { items: [], total: 0 };
    return send(
      request,
      reply,
      'Users',
      () => html`<p><a class="button" href="/ui/users/new">New user</a></p>
${searchForm('/ui/users', q.search, 'Search users by address')}
<div class="table-wrap"><table><caption>Stored users</caption><thead><tr><th scope="col">Address</th><th scope="col">Display name</th><th scope="col">Moved</th></tr></thead><tbody>
${result.items.map((u) => html`<tr><td><a href="/ui/users/${encodeURIComponent(u.email)}">${u.email}</a></td><td>${u.displayName ?? ''}</td><td>${u.redirectAddr ?? u.redirectUrl ?? ''}</td></tr>`)}
</tbody></table></div>${pager('/ui/users', q.search, q.offset, result.total)}`,
      'users',
    );
  });
  app.get('/ui/users/new', (request, reply) =>
    send(request, reply, 'New user', (csrf) => userForm(undefined, csrf), 'users'),
  );
  app.get<{ Params: { email: string } }>('/ui/users/:email', async (request, reply) => {
    const found = request.principal ? await ctx.store.findUser(request.params.email.toLowerCase()) : undefined;
    if (request.principal && !found) reply.code(404);
    return send(
      request,
      reply,
      found ? `User ${found.email}` : 'No such user',
      (csrf) =>
        found
          ? html`${userForm(found, csrf)}
<form data-delete="/api/v1/users/${encodeURIComponent(found.email)}" data-next="/ui/users"><button class="danger" type="submit">Delete ${found.email}</button></form>`
          : html`<p>No such user is stored. <a href="/ui/users">All users</a></p>`,
      'users',
    );
  });

  app.get<{ Querystring: Record<string, unknown> }>('/ui/audit', async (request, reply) => {
    const q = listQuery(request.query);
    const result = request.principal
      ? await ctx.adminStore.auditLog({ search: q.search, offset: q.offset, limit: PAGE_SIZE })
      : { items: [], total: 0 };
    const show = (v: unknown) =>
      v === null || v === undefined
        ? ''
        : html`<details><summary>show</summary><pre>${JSON.stringify(v, null, 2)}</pre></details>`;
    return send(
      request,
      reply,
      'Audit log',
      () => html`${searchForm('/ui/audit', q.search, 'Search by who, action or target')}
<div class="table-wrap"><table><caption>Every change, newest first</caption><thead><tr><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Target</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>
${result.items.map((e) => html`<tr><td>${e.at.replace('T', ' ').slice(0, 19)}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.target}</td><td>${show(e.before)}</td><td>${show(e.after)}</td></tr>`)}
</tbody></table></div>${pager('/ui/audit', q.search, q.offset, result.total)}`,
      'audit',
    );
  });

  app.get('/ui/tokens', async (request, reply) => {
    const tokens = request.principal ? await ctx.adminStore.listTokens(request.principal.account) : [];
    return send(
      request,
      reply,
      'API tokens',
      (
        csrf,
      ) => html`<p>Scripts send a token as <code>Authorization: Bearer &lt;token&gt;</code>. A token is shown once, when it is created; only its hash is kept.</p>
<div class="notice" id="new-token" role="status" hidden></div>
<form data-token-form novalidate><label for="f-label">What the token is for</label><input id="f-label" name="label" required aria-describedby="f-label-error"><p class="field-error" id="f-label-error" hidden></p><p><button type="submit">Create token</button></p></form>
<div class="table-wrap"><table><caption>Your tokens</caption><thead><tr><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Delete</th></tr></thead><tbody>
${tokens.map((t) => html`<tr><td>${t.label}</td><td>${t.createdAt}</td><td>${t.lastUsedAt ?? 'never'}</td><td><form data-delete="/api/v1/tokens/${t.id}" data-next="/ui/tokens"><button class="danger" type="submit" aria-label="Delete token ${t.label}">Delete</button></form></td></tr>`)}
</tbody></table></div>
<h2>Sessions</h2><form method="post" action="/ui/logout"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="everywhere" value="1"><button class="danger" type="submit">Log out everywhere</button></form>`,
      'tokens',
    );
  });
}
