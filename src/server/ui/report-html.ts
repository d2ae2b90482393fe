/**
 * A diagnosis as HTML: every client side by side (where each stops), then each client's timeline with its
 * certificate panels, findings and fixes. The same fragment is the permalink page and, wrapped with its style
 * inline, the self-contained file to attach to a ticket.
 */
import type { DiscoveryReport, Step } from '../../discover/report.js';
import { type Html, html, raw } from './html.js';

const OUTCOME_TEXT = { settings: 'gets settings', prompt: 'stops at a prompt', failed: 'fails' } as const;

/** The step where the lookup ended: the one that gave settings or the prompt, else the last one. */
function stopIndex(report: DiscoveryReport): number {
  const i = report.steps.findIndex((s) => s.result === 'settings' || s.result === 'prompt');
  return i >= 0 ? i : report.steps.length - 1;
}

function where(report: DiscoveryReport): string {
  const step = report.steps[stopIndex(report)];
  return step ? `${step.method}${step.url ? ` ${step.url}` : ''}` : 'no step';
}

export function comparisonTable(reports: readonly DiscoveryReport[]): Html {
  return html`<table class="compare">
<caption>Every client looking up ${reports[0]?.email ?? ''}</caption>
<thead><tr><th scope="col">Client</th><th scope="col">Outcome</th><th scope="col">Where it ends</th></tr></thead>
<tbody>${reports.map(
    (r) =>
      html`<tr class="outcome-${r.outcome}"><th scope="row"><a href="#client-${r.client}">${r.client}</a></th><td>${OUTCOME_TEXT[r.outcome]}</td><td>${where(r)}</td></tr>`,
  )}</tbody></table>`;
}

function certificatePanel(step: Step): Html {
  const tls = step.tls;
  if (!tls) return html``;
  const names = tls.names;
  return html`<details class="cert"><summary>Certificate${tls.certificate ? html`: ${tls.certificate.subject}` : ''}${tls.error ? html` — rejected (${tls.error})` : ' — accepted'}</summary>
<dl>
<dt>Protocol</dt><dd>${tls.protocol ?? 'no handshake'}</dd>
${tls.servername !== undefined ? html`<dt>SNI sent</dt><dd>${tls.servername ?? 'none'}</dd>` : ''}
${tls.chainVerdict ? html`<dt>Chain</dt><dd>${tls.chainVerdict}</dd>` : ''}
${names ? html`<dt>Names the host?</dt><dd>strict (RFC 9525): ${names.strict ? 'yes' : 'no'}; Node: ${names.node ? 'yes' : 'no'}; Outlook: ${names.outlook ? 'yes' : 'no'}</dd>` : ''}
</dl>
<ol class="chain">${tls.chain.map(
    (c) =>
      html`<li><strong>${c.subject}</strong><br>names: ${c.dnsNames.join(', ') || 'none'}<br>issued by ${c.issuer}${c.selfSigned ? ' (self-signed)' : ''}<br>valid ${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)}<br><code>SHA-256 ${c.sha256}</code></li>`,
  )}</ol></details>`;
}

const END_TEXT = {
  settings: 'the client takes its settings here',
  prompt: 'the client stops here and asks the user',
  failed: 'the lookup ends here without settings',
} as const;

export function stepItem(step: Step, index: number, stop: DiscoveryReport['outcome'] | false): Html {
  return html`<li class="step result-${step.result}${stop ? ' stop' : ''}" id="step-${index}">
<span class="method">${step.method}</span> <span class="result">${step.result}</span>${stop ? html` <strong class="stop-mark">${END_TEXT[stop]}</strong>` : ''}
${step.url ? html`<div class="url">${step.httpMethod ?? ''} ${step.url}</div>` : ''}
<div class="meta">${step.host}${step.addresses.length ? html` → ${step.addresses.join(', ')}` : ''}; ${Math.round(step.ms)} ms${step.status !== null ? html`; HTTP ${step.status}` : ''}${step.credentialsSent ? html`; <strong>credentials sent</strong>` : ''}</div>
<p class="detail">${step.detail}</p>
${certificatePanel(step)}
</li>`;
}

function findingsList(report: DiscoveryReport): Html {
  if (report.findings.length === 0) return html`<p>No findings.</p>`;
  return html`<ul class="findings">${report.findings.map(
    (
      f,
    ) => html`<li class="finding severity-${f.severity}"><h4><span class="sev">${f.severity.toUpperCase()}</span> <code>${f.code}</code>: ${f.title}</h4>
<p>${f.detail}</p>
${f.fixes.length ? html`<ol class="fixes">${f.fixes.map((fix, i) => html`<li>${i === 0 ? html`<strong>Preferred:</strong> ` : ''}<span class="fix">${fix}</span></li>`)}</ol>` : ''}
</li>`,
  )}</ul>`;
}

export function clientSection(report: DiscoveryReport): Html {
  const stop = stopIndex(report);
  return html`<section class="client" id="client-${report.client}" aria-labelledby="h-${report.client}">
<h3 id="h-${report.client}">${report.client}: ${OUTCOME_TEXT[report.outcome]}</h3>
${report.prompt ? html`<p class="prompt">Prompt at ${report.prompt.url}: “${report.prompt.message}”</p>` : ''}
<ol class="timeline">${report.steps.map((s, i) => stepItem(s, i, i === stop && report.outcome))}</ol>
<h4>Findings</h4>
${findingsList(report)}
</section>`;
}

export function reportFragment(reports: readonly DiscoveryReport[]): Html {
  return html`${reports.length > 1 ? comparisonTable(reports) : ''}<div class="clients">${reports.map(clientSection)}</div>`;
}

/** A whole HTML document with its style inline and no script: opens anywhere, offline, as a ticket attachment. */
export function standaloneReport(reports: readonly DiscoveryReport[], css: string, createdAt: string): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Autodiscover diagnosis of ${reports[0]?.email ?? ''}</title>
<style>${raw(css)}</style></head>
<body><main><h1>Autodiscover diagnosis of ${reports[0]?.email ?? ''}</h1><p>Made by autodisco on ${createdAt}.</p>
${reportFragment(reports)}</main></body></html>`.text;
}
