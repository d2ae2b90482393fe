/** The frame of every page: skip link, navigation, who is logged in, logout (a form with its CSRF token). */
import type { Principal } from '../../auth/auth.js';
import { type Html, html } from './html.js';

export interface PageOptions {
  principal?: Principal | undefined;
  /** The current section, marked aria-current in the navigation. */
  section?: string;
}

const SECTIONS = [
  ['diagnose', '/ui/diagnose', 'Diagnose'],
  ['domains', '/ui/domains', 'Domains'],
  ['users', '/ui/users', 'Users'],
  ['fleet', '/ui/fleet', 'Fleet'],
  ['audit', '/ui/audit', 'Audit log'],
  ['tokens', '/ui/tokens', 'API tokens'],
] as const;

export function page(title: string, content: Html, options: PageOptions = {}): string {
  const p = options.principal;
  const csrf = p?.csrfToken;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · autodisco</title>
${csrf ? html`<meta name="csrf-token" content="${csrf}">` : ''}
<link rel="stylesheet" href="/ui/assets/app.css">
<script type="module" src="/ui/assets/app.js"></script>
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><strong>autodisco</strong>
${
  p
    ? html`<nav aria-label="Main"><ul>${SECTIONS.map(([key, href, label]) => html`<li><a href="${href}"${options.section === key ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>
<form method="post" action="/ui/logout"><input type="hidden" name="_csrf" value="${csrf}"><span>${p.account}</span> <button class="secondary" type="submit">Log out</button></form>`
    : ''
}
</header>
<main id="main"><h1>${title}</h1>
${content}
</main></body></html>`.text;
}
