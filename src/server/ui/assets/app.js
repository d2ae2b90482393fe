// autodisco web UI: the little script the pages need. Plain ES module, no dependency, nothing from elsewhere.
// Forms become JSON for /api/v1/ (with the session's CSRF token in X-CSRF-Token); problems land next to the
// field whose path they name; a diagnosis is followed live through Server-Sent Events.

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';

async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  return { status: response.status, data };
}

/** Sets `value` at the dotted `path` of `target` (`imap.port` → target.imap.port). */
function setPath(target, path, value) {
  const keys = path.split('.');
  let at = target;
  for (const key of keys.slice(0, -1)) {
    at[key] ??= {};
    at = at[key];
  }
  at[keys.at(-1)] = value;
}

/** The record a form describes: empty fields are left out, `data-type` says how to read the others. */
function formRecord(form) {
  const record = {};
  for (const input of form.querySelectorAll('input[name], select[name], textarea[name]')) {
    const name = input.name;
    if (name === '_csrf' || name === '__more' || input.value.trim() === '') continue;
    let value = input.value.trim();
    if (input.dataset.type === 'number' && /^-?\d+(\.\d+)?$/.test(value)) value = Number(value);
    if (input.dataset.type === 'list')
      value = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    setPath(record, name, value);
  }
  const more = form.querySelector('[name="__more"]');
  if (more && more.value.trim() !== '') {
    try {
      Object.assign(record, JSON.parse(more.value));
    } catch (e) {
      return { problem: { path: '__more', message: `not valid JSON: ${e.message}` } };
    }
  }
  return { record };
}

function clearErrors(form) {
  for (const p of document.querySelectorAll('.field-error')) {
    p.hidden = true;
    p.textContent = '';
  }
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  const summary = document.getElementById('form-errors');
  if (summary) summary.hidden = true;
}

/** Each problem next to its field (by path, or the nearest enclosing field), the others in the summary. */
function showProblems(form, problems, message) {
  const loose = [];
  let first = null;
  for (const problem of problems) {
    let path = problem.path === '__more' ? 'more' : problem.path;
    let slot = null;
    while (path && !slot) {
      slot = document.getElementById(`f-${path.replace(/\./g, '-')}-error`);
      if (!slot) path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    }
    if (!slot) slot = form.querySelector('[name="__more"]') ? document.getElementById('f-more-error') : null;
    if (!slot) {
      loose.push(problem);
      continue;
    }
    slot.hidden = false;
    slot.textContent = slot.textContent
      ? `${slot.textContent} ${problem.path}: ${problem.message}`
      : `${problem.path}: ${problem.message}`;
    const input = document.getElementById(slot.id.replace(/-error$/, ''));
    input?.setAttribute('aria-invalid', 'true');
    first ??= input;
  }
  const summary = document.getElementById('form-errors');
  if (summary) {
    summary.hidden = false;
    summary.textContent = '';
    const lead = document.createElement('p');
    lead.textContent = message ?? `${problems.length} problem(s); nothing was changed.`;
    summary.append(lead);
    for (const p of loose) {
      const line = document.createElement('p');
      line.textContent = p.path ? `${p.path}: ${p.message}` : p.message;
      summary.append(line);
    }
    if (loose.length || !first) summary.focus();
    else first.focus();
  }
}

for (const form of document.querySelectorAll('form[data-record-form]')) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { record, problem } = formRecord(form);
    if (problem) return showProblems(form, [problem]);
    const { status, data } = await api(form.dataset.method, form.dataset.action, record);
    if (status === 200 || status === 201) {
      window.location.assign(form.dataset.next);
      return;
    }
    showProblems(form, data?.problems ?? [], data?.message ?? `HTTP ${status}`);
  });
}

const previewForm = document.querySelector('form[data-preview-form]');
previewForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const recordForm = document.querySelector('form[data-record-form]');
  clearErrors(recordForm);
  const { record, problem } = formRecord(recordForm);
  if (problem) return showProblems(recordForm, [problem]);
  const kind = previewForm.dataset.kind;
  let email = previewForm.email.value.trim();
  if (!email) email = kind === 'domain' ? `someone@${record.name ?? ''}` : (record.email ?? '');
  const { status, data } = await api('POST', '/api/v1/preview', {
    email,
    format: previewForm.format.value,
    [kind]: record,
  });
  const out = document.getElementById('preview-output');
  const line = document.getElementById('preview-status');
  if (status !== 200) {
    out.hidden = true;
    line.textContent = 'Fix the problems above first.';
    return showProblems(recordForm, data?.problems ?? [], data?.message ?? `HTTP ${status}`);
  }
  line.textContent = `HTTP ${data.status} ${data.contentType}${data.location ? ` → ${data.location}` : ''} (for ${email})`;
  out.hidden = false;
  out.textContent = data.body;
});

for (const form of document.querySelectorAll('form[data-delete]')) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!window.confirm('Delete it? The audit log keeps what it was.')) return;
    const { status, data } = await api('DELETE', form.dataset.delete);
    if (status === 204) window.location.assign(form.dataset.next);
    else showProblems(form, [], data?.message ?? `HTTP ${status}`);
  });
}

const importForm = document.querySelector('form[data-import-form]');
importForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors(importForm);
  const file = importForm.file.files[0];
  if (!file) return showProblems(importForm, [], 'Choose a file first.');
  const allowEmpty = importForm.allowEmpty.checked ? '?allowEmpty=true' : '';
  const response = await fetch(`/api/v1/import${allowEmpty}`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml', 'x-csrf-token': csrf() },
    body: await file.text(),
  });
  const data = await response.json().catch(() => ({}));
  if (response.status !== 200)
    return showProblems(importForm, data.problems ?? [], data.message ?? `HTTP ${response.status}`);
  document.getElementById('import-status').textContent =
    `Imported ${data.domains} domain(s) and ${data.users} user(s).${data.snapshot ? ` The previous contents are saved in ${data.snapshot}.` : ''}`;
});

const tokenForm = document.querySelector('form[data-token-form]');
tokenForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors(tokenForm);
  const { status, data } = await api('POST', '/api/v1/tokens', { label: tokenForm.label.value });
  if (status !== 201) return showProblems(tokenForm, data?.problems ?? [], data?.message);
  const box = document.getElementById('new-token');
  box.hidden = false;
  box.textContent = `New token "${data.label}" (copy it now, it is not shown again): ${data.token}`;
});

// The one-time login link: its secret is after "#", never sent to the server in a URL.
const linkForm = document.querySelector('form[data-login-link]');
if (linkForm && window.location.hash.length > 1) {
  linkForm.secret.value = window.location.hash.slice(1);
  history.replaceState(null, '', window.location.pathname);
  linkForm.submit();
}

// The diagnose page: start, then follow the steps as the engine records them.
const diagnoseForm = document.querySelector('form[data-diagnose-form]');
diagnoseForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors(diagnoseForm);
  const f = diagnoseForm;
  const checked = (name) => [...f.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  const request = {
    email: f.email.value.trim(),
    client: f.client.value,
    accept: checked('accept'),
    exclude: checked('exclude'),
  };
  if (f.site?.value.trim()) request.site = f.site.value.trim();
  if (f.user.value) request.user = f.user.value;
  if (f.password.value) request.password = f.password.value;
  const { status, data } = await api('POST', '/api/v1/diagnoses', request);
  f.password.value = '';
  if (status !== 202) return showProblems(f, data?.problems ?? [], data?.message ?? `HTTP ${status}`);
  follow(data);
});

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function follow(started) {
  const live = document.getElementById('live');
  const columns = document.getElementById('live-clients');
  const status = document.getElementById('live-status');
  live.hidden = false;
  columns.textContent = '';
  status.textContent = 'Running…';
  const lists = new Map();
  const events = new EventSource(started.events);
  events.addEventListener('start', (e) => {
    const { client } = JSON.parse(e.data);
    const section = element('section', 'client');
    section.append(element('h3', '', client));
    const list = element('ol', 'timeline');
    list.dataset.client = client;
    section.append(list);
    columns.append(section);
    lists.set(client, list);
  });
  events.addEventListener('step', (e) => {
    const { client, step } = JSON.parse(e.data);
    const item = element('li', `step result-${step.result}`);
    item.append(element('span', 'method', step.method), ' ', element('span', 'result', step.result));
    if (step.url) item.append(element('div', 'url', step.url));
    item.append(element('p', 'detail', step.detail));
    lists.get(client)?.append(item);
  });
  events.addEventListener('report', (e) => {
    const { client, report } = JSON.parse(e.data);
    lists.get(client)?.parentElement?.querySelector('h3')?.append(`: ${report.outcome}`);
  });
  events.addEventListener('done', () => {
    events.close();
    // The live view stays; the stored report (permalink, downloads, certificate panels, fixes) is one click away.
    status.textContent = 'Done. ';
    const link = element('a', '', 'Open the full report (permalink, findings and fixes, downloads)');
    link.href = started.page;
    status.append(link);
    link.focus();
  });
  events.addEventListener('error', (e) => {
    if (e.data) status.textContent = `Failed: ${JSON.parse(e.data).message}`;
    events.close();
  });
}
