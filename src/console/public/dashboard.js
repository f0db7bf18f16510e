// Overview: order counts by status and per hour (the last 24), as two small SVG bar charts.
import { useEffect, useState } from '/console/vendor/hooks.js';
import { api, ErrorNote, html, num, STATUS_LABELS } from '/console/lib.js';

function Bars({ title, rows, labelEvery = 1 }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const width = 320;
  const height = 140;
  const step = width / rows.length;
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <svg viewBox=${`0 -14 ${width} ${height + 44}`} role="img" aria-label=${`${title}: ${rows.map((r) => `${r.label} ${r.value}`).join(', ')}`}>
      <line x1="0" x2=${width} y1=${height} y2=${height} class="baseline" />
      ${rows.map((r, i) => {
        const h = (r.value / max) * height;
        return html`<g>
          <rect x=${i * step + step * 0.15} y=${height - h} width=${step * 0.7} height=${h} class="bar"><title>${r.label}: ${r.value}</title></rect>
          ${r.value > 0 ? html`<text x=${i * step + step / 2} y=${height - h - 3} text-anchor="middle" class=${rows.length > 12 ? 'value small' : 'value'}>${r.value}</text>` : null}
          ${i % labelEvery === 0 ? html`<text x=${i * step + step / 2} y=${height + 14} text-anchor="middle" class="axis">${r.short ?? r.label}</text>` : null}
        </g>`;
      })}
    </svg>
  </figure>`;
}

export function Dashboard() {
  const [stats, setStats] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api('GET', '/stats').then(setStats, setError);
  }, []);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!stats) return html`<p aria-busy="true">Loading…</p>`;
  const byStatus = Object.entries(stats.orders_by_status).map(([status, value]) => ({ label: STATUS_LABELS[status] ?? status, value }));
  const byHour = stats.orders_by_hour.map((h) => ({
    label: new Date(h.hour).toLocaleString(),
    short: `${String(new Date(h.hour).getHours()).padStart(2, '0')}:00`,
    value: h.orders,
  }));
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const total = byStatus.reduce((n, r) => n + r.value, 0);
  return html`<section>
    <h1>Overview</h1>
    <dl class="figures">
      <div><dt>Orders</dt><dd>${num(total)}</dd></div>
      <div><dt>SKUs</dt><dd>${num(stats.skus)}</dd></div>
      <div><dt>Units on hand</dt><dd>${num(stats.units_on_hand)}</dd></div>
      <div><dt>Units reserved</dt><dd>${num(stats.units_reserved)}</dd></div>
      <div><dt>Units held</dt><dd>${num(stats.units_held)}</dd></div>
    </dl>
    <div class="charts">
      <${Bars} title="Orders by status" rows=${byStatus} />
      <${Bars} title=${`Orders created per hour, last 24 hours (${zone} time)`} rows=${byHour} labelEvery=${4} />
    </div>
  </section>`;
}
