/**
 * The domain and user forms. Fields are named by their path in the record (`imap.port`), so the API's problems
 * (`imap.port: Too big: …`) land next to the field they name; the script (assets/app.js) turns the fields into
 * the JSON record and shows the problems. Settings without a field of their own are edited as JSON ("more").
 */
import type { DomainSettings, UserRecord } from '../../settings/schema.js';
import { type Html, html } from './html.js';

const fieldId = (path: string) => `f-${path.replace(/\./g, '-')}`;

export function field(
  path: string,
  label: string,
  value: unknown,
  options: { type?: string; hint?: string; data?: string; required?: boolean } = {},
): Html {
  const id = fieldId(path);
  const hint = options.hint ? html`<span class="hint" id="${id}-hint">${options.hint}</span>` : '';
  return html`<div><label for="${id}">${label}</label>${hint}
<input id="${id}" name="${path}" type="${options.type ?? 'text'}" value="${value ?? ''}"${options.data ? html` data-type="${options.data}"` : ''}${options.required ? html` required` : ''} aria-describedby="${id}-error${options.hint ? html` ${id}-hint` : ''}">
<p class="field-error" id="${id}-error" hidden></p></div>`;
}

function select(path: string, label: string, value: string | undefined, choices: readonly string[]): Html {
  const id = fieldId(path);
  return html`<div><label for="${id}">${label}</label>
<select id="${id}" name="${path}" aria-describedby="${id}-error"><option value="">(default)</option>${choices.map((c) => html`<option${c === value ? html` selected` : ''}>${c}</option>`)}</select>
<p class="field-error" id="${id}-error" hidden></p></div>`;
}

function server(key: 'imap' | 'pop3' | 'smtp', title: string, s: DomainSettings['imap']): Html {
  return html`<fieldset><legend>${title}</legend><div class="row">
${field(`${key}.host`, 'Host', s?.host)}
${field(`${key}.port`, 'Port', s?.port, { type: 'text', data: 'number', hint: 'empty: the protocol default' })}
${select(`${key}.security`, 'Security', s?.security, ['tls', 'starttls', 'none'])}
${field(`${key}.username`, 'User name', s?.username === '%EMAILADDRESS%' ? '' : s?.username, { hint: 'default %EMAILADDRESS%' })}
</div></fieldset>`;
}

function more(rest: Record<string, unknown>, hint: string): Html {
  return html`<div><label for="f-more">More settings (JSON)</label><span class="hint" id="f-more-hint">${hint}</span>
<textarea id="f-more" name="__more" aria-describedby="f-more-error f-more-hint">${Object.keys(rest).length ? JSON.stringify(rest, null, 2) : ''}</textarea>
<p class="field-error" id="f-more-error" hidden></p></div>`;
}

function errorSummary(): Html {
  return html`<div class="notice error" id="form-errors" role="alert" tabindex="-1" hidden></div>`;
}

export function domainForm(d: DomainSettings | undefined, csrf: string): Html {
  const { name, displayName, aliases, imap, pop3, smtp, activeSync, ...rest } = d ?? ({} as Partial<DomainSettings>);
  for (const key of ['ttl', 'unknownUsers'] as const)
    if (d && rest[key] === (key === 'ttl' ? 1 : 'domain')) delete rest[key];
  const action = d ? `/api/v1/domains/${encodeURIComponent(d.name)}` : '/api/v1/domains';
  return html`${errorSummary()}
<form data-record-form data-method="${d ? 'PUT' : 'POST'}" data-action="${action}" data-next="/ui/domains" novalidate>
<input type="hidden" name="_csrf" value="${csrf}">
<div class="row">${field('name', 'Domain name', name, { required: true, hint: 'e.g. example.com' })}${field('displayName', 'Display name', displayName)}</div>
${field('aliases', 'Aliases', (aliases ?? []).join(', '), { data: 'list', hint: 'comma-separated domain names' })}
${server('imap', 'IMAP', imap)}${server('pop3', 'POP3', pop3)}${server('smtp', 'SMTP', smtp)}
${field('activeSync.url', 'ActiveSync URL', activeSync?.url, { hint: 'https://mail.example.com/Microsoft-Server-ActiveSync' })}
${more(rest, 'exchange, redirect, ttl, unknownUsers… as in the configuration file')}
<p><button type="submit">${d ? 'Save' : 'Create domain'}</button> <a class="button secondary" href="/ui/domains">Cancel</a></p>
</form>
${previewPanel('domain', d ? `someone@${d.name}` : '')}`;
}

export function userForm(u: UserRecord | undefined, csrf: string): Html {
  const { email, displayName, loginName, mailboxServer, redirectAddr, redirectUrl, ...rest } =
    u ?? ({} as Partial<UserRecord>);
  const action = u ? `/api/v1/users/${encodeURIComponent(u.email)}` : '/api/v1/users';
  return html`${errorSummary()}
<form data-record-form data-method="${u ? 'PUT' : 'POST'}" data-action="${action}" data-next="/ui/users" novalidate>
<input type="hidden" name="_csrf" value="${csrf}">
<div class="row">${field('email', 'Address', email, { required: true })}${field('displayName', 'Display name', displayName)}</div>
<div class="row">${field('loginName', 'Login name', loginName)}${field('mailboxServer', 'Mailbox server', mailboxServer)}</div>
<div class="row">${field('redirectAddr', 'Moved to address', redirectAddr)}${field('redirectUrl', 'Other Autodiscover server', redirectUrl)}</div>
${more(rest, 'legacyDN, mailboxId… as in the configuration file')}
<p><button type="submit">${u ? 'Save' : 'Create user'}</button> <a class="button secondary" href="/ui/users">Cancel</a></p>
</form>
${previewPanel('user', u?.email ?? '')}`;
}

/** "What will Outlook get?": the server's own answer for an address, with the form's unsaved values. */
export function previewPanel(kind: 'domain' | 'user', email: string): Html {
  return html`<section aria-labelledby="preview-h"><h2 id="preview-h">Preview: what will a client get?</h2>
<p>The answer the server would give with the values above, before saving them.</p>
<form data-preview-form data-kind="${kind}" novalidate><div class="row">
<div><label for="f-preview-email">Address</label><input id="f-preview-email" name="email" value="${email}" autocomplete="off"></div>
<div><label for="f-preview-format">Client</label><select id="f-preview-format" name="format">
<option value="outlook">Outlook (POX)</option><option value="activesync">ActiveSync</option><option value="autoconfig">Thunderbird (autoconfig)</option><option value="json-v2">Autodiscover v2 (JSON)</option></select></div></div>
<p><button class="secondary" type="submit">Show the answer</button></p></form>
<p id="preview-status" role="status"></p><pre id="preview-output" tabindex="0" aria-label="The answer" hidden></pre></section>`;
}
