/**
 * The trend of broken domains over the stored runs as a small server-rendered SVG (no chart library, no
 * script): bars per run, the count on the last one, and a table of the same numbers as its text alternative.
 * Colours are SVG attributes, not inline style, so the pages' CSP (style-src 'self') allows them.
 */
import type { TrendPoint } from '../../audit/fleet.js';
import { type Html, html } from './html.js';

const WIDTH = 600;
const HEIGHT = 160;
const PAD = { top: 12, right: 8, bottom: 24, left: 40 };

export function trendChart(points: readonly TrendPoint[]): Html {
  if (points.length === 0) return html`<p>No runs are stored yet.</p>`;
  // Scaled to the most broken domains of a run, not to the fleet: a change of a few domains stays visible.
  const max = Math.max(1, ...points.map((p) => p.broken));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / points.length;
  const bar = Math.max(2, Math.min(40, slot * 0.7));
  const y = (n: number) => PAD.top + plotH - (n / max) * plotH;
  const first = points[0] as TrendPoint;
  const last = points.at(-1) as TrendPoint;
  const summary = `Broken domains over the last ${points.length} run(s): ${first.broken} of ${first.domains} in run ${first.runId}, ${last.broken} of ${last.domains} in run ${last.runId}.`;
  return html`<figure class="trend">
<svg role="img" aria-labelledby="trend-title trend-desc" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" preserveAspectRatio="xMinYMin meet">
<title id="trend-title">Broken domains per run</title>
<desc id="trend-desc">${summary}</desc>
<line x1="${PAD.left}" y1="${y(0)}" x2="${WIDTH - PAD.right}" y2="${y(0)}" stroke="#4a4a4a"/>
<line x1="${PAD.left}" y1="${y(max)}" x2="${WIDTH - PAD.right}" y2="${y(max)}" stroke="#c8c8c8" stroke-dasharray="4 4"/>
<text x="${PAD.left - 4}" y="${y(max) + 4}" text-anchor="end" font-size="11" fill="#4a4a4a">${max}</text>
<text x="${PAD.left - 4}" y="${y(0) + 4}" text-anchor="end" font-size="11" fill="#4a4a4a">0</text>
${points.map((p, i) => {
  const x = PAD.left + i * slot + (slot - bar) / 2;
  return html`<rect x="${x.toFixed(1)}" y="${y(p.broken).toFixed(1)}" width="${bar.toFixed(1)}" height="${(y(0) - y(p.broken)).toFixed(1)}" fill="#a4161a"><title>run ${p.runId}: ${p.broken} of ${p.domains} domains broken</title></rect>`;
})}
<text x="${PAD.left}" y="${HEIGHT - 6}" font-size="11" fill="#4a4a4a">run ${first.runId}</text>
<text x="${WIDTH - PAD.right}" y="${HEIGHT - 6}" text-anchor="end" font-size="11" fill="#4a4a4a">run ${last.runId}: ${last.broken} broken</text>
</svg>
<figcaption>${summary}</figcaption></figure>
<details><summary>The numbers of the chart</summary><div class="table-wrap"><table><caption>Broken domains per run</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Started (UTC)</th><th scope="col">Domains</th><th scope="col">Broken</th></tr></thead>
<tbody>${points.map((p) => html`<tr><td>${p.runId}</td><td>${p.startedAt.replace('T', ' ').slice(0, 19)}</td><td>${p.domains}</td><td>${p.broken}</td></tr>`)}</tbody></table></div></details>`;
}
