// Overview: deliveries per minute, success rate, p50/p99 latency, queue depth and failing endpoints
// over the last hour, day or week (#/overview?window=day), from GET /v1/stats. The charts are SVG
// drawn here at the width they are shown (again when it changes, so the text keeps its size); their
// colours come from style.css (the CSP allows no inline style).
import { page } from '../router.js';
import { api } from '../api.js';
import { h, s, show, time } from '../dom.js';

const WINDOWS = [['hour', 'Last hour'], ['day', 'Last day'], ['week', 'Last week']];
const H = 170;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };

const percent = (rate) => (rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)} %`);
const ms = (v) => (v === null || v === undefined ? '—' : v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)} s` : `${v} ms`);
const perMinute = (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(2));

function clock(unix, windowName) {
  const d = new Date(unix * 1000);
  return windowName === 'week' ? d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' })
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

// A round maximum for the y axis at or above `v`.
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

// The frame every chart shares, `W` px wide: y grid with labels, x labels at the first, middle and last step.
function frame(W, series, max, windowName, format) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - (v / max) * plotH;
  const parts = [];
  for (const v of [0, max / 2, max]) {
    parts.push(s('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    parts.push(s('text', { class: 'axis', x: PAD.left - 4, y: y(v) + 4, 'text-anchor': 'end' }, format(v)));
  }
  const n = series.length;
  for (const [i, anchor] of [[0, 'start'], [Math.floor(n / 2), 'middle'], [n - 1, 'end']]) {
    const x = anchor === 'start' ? PAD.left : anchor === 'end' ? W - PAD.right : PAD.left + ((i + 0.5) / n) * plotW;
    parts.push(s('text', { class: 'axis', x, y: H - 6, 'text-anchor': anchor }, clock(series[i].at, windowName)));
  }
  return { parts, y, x: (i) => PAD.left + (i / n) * plotW, step: plotW / n };
}

function chart(W, id, label, parts) {
  return s('svg', { id, class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    s('title', {}, label), parts);
}

// Attempts per step as bars, succeeded below failed.
function deliveriesChart(W, stats) {
  const series = stats.series;
  const max = niceMax(Math.max(...series.map((p) => p.attempts)));
  const f = frame(W, series, max, stats.window, (v) => (Number.isInteger(v) ? v : v.toFixed(1)));
  const bars = [];
  series.forEach((p, i) => {
    if (!p.attempts) return;
    const w = Math.max(1, f.step - 1);
    bars.push(s('rect', { class: 'bar-ok', x: f.x(i), width: w, y: f.y(p.succeeded), height: f.y(0) - f.y(p.succeeded) },
      s('title', {}, `${clock(p.at, stats.window)}: ${p.succeeded} succeeded, ${p.failed} failed`)));
    if (p.failed)
      bars.push(s('rect', { class: 'bar-bad', x: f.x(i), width: w, y: f.y(p.attempts), height: f.y(p.succeeded) - f.y(p.attempts) }));
  });
  return chart(W, 'chart-deliveries', `Delivery attempts per ${stats.step / 60} min: ${stats.totals.attempts} in all, ${stats.totals.failed} failed`,
    [...f.parts, ...bars]);
}

// p50 and p99 latency per step as lines (a step without attempts breaks the line).
function latencyChart(W, stats) {
  const series = stats.series;
  const max = niceMax(Math.max(0, ...series.map((p) => p.latency_p99_ms ?? 0)));
  const f = frame(W, series, max, stats.window, (v) => ms(Math.round(v)));
  const line = (key, cls) => {
    const runs = [];
    let run = [];
    series.forEach((p, i) => {
      if (p[key] === null) { if (run.length) runs.push(run); run = []; return; }
      run.push(`${(f.x(i) + f.step / 2).toFixed(1)},${f.y(p[key]).toFixed(1)}`);
    });
    if (run.length) runs.push(run);
    return runs.map((r) => (r.length === 1
      ? s('circle', { class: cls, cx: r[0].split(',')[0], cy: r[0].split(',')[1], r: 2.5 })
      : s('polyline', { class: cls, points: r.join(' ') })));
  };
  return chart(W, 'chart-latency', `Delivery latency: p50 ${ms(stats.totals.latency_p50_ms)}, p99 ${ms(stats.totals.latency_p99_ms)}`,
    [...f.parts, ...line('latency_p99_ms', 'line-p99'), ...line('latency_p50_ms', 'line-p50')]);
}

// A box that holds the chart `draw(width)` makes, drawn again whenever the box's width changes.
function chartBox(draw) {
  const box = h('div', { class: 'chart-box' });
  let drawn = 0;
  const redraw = () => {
    const width = Math.max(240, Math.floor(box.clientWidth));
    if (!box.isConnected || width === drawn) return;
    drawn = width;
    show(box, draw(width));
  };
  new ResizeObserver(redraw).observe(box);
  return box;
}

function figure(id, label, value) {
  return h('div', { class: 'figure' }, h('span', { class: 'figure-label' }, label), h('span', { class: 'figure-value', id }, value));
}

page('/overview', async (view, _params, query) => {
  const windowName = WINDOWS.some(([w]) => w === query.get('window')) ? query.get('window') : 'hour';
  const stats = await api('GET', `/v1/stats?window=${windowName}`);
  const t = stats.totals;
  show(view,
    h('h1', {}, 'Overview'),
    h('nav', { class: 'windows', 'aria-label': 'Time window' }, WINDOWS.map(([w, label]) =>
      h('a', { href: `#/overview?window=${w}`, id: `window-${w}`, 'aria-current': w === windowName ? 'page' : null }, label))),
    h('section', { class: 'figures', 'aria-label': 'Figures' },
      figure('stat-per-minute', 'Deliveries / min', perMinute(t.deliveries_per_minute)),
      figure('stat-attempts', 'Attempts', String(t.attempts)),
      figure('stat-success', 'Success rate', percent(t.success_rate)),
      figure('stat-p50', 'p50 latency', ms(t.latency_p50_ms)),
      figure('stat-p99', 'p99 latency', ms(t.latency_p99_ms)),
      figure('stat-queue', 'Queue depth', String(stats.queue_depth))),
    h('section', { class: 'card' }, h('h2', {}, 'Deliveries'), chartBox((w) => deliveriesChart(w, stats)),
      h('p', { class: 'legend' }, h('span', { class: 'key key-ok' }), 'succeeded ', h('span', { class: 'key key-bad' }), 'failed')),
    h('section', { class: 'card' }, h('h2', {}, 'Latency'), chartBox((w) => latencyChart(w, stats)),
      h('p', { class: 'legend' }, h('span', { class: 'key key-p50' }), 'p50 ', h('span', { class: 'key key-p99' }), 'p99')),
    h('section', { class: 'card' }, h('h2', {}, 'Failing endpoints'),
      stats.failing_endpoints.length === 0 ? h('p', { class: 'muted', id: 'no-failing' }, 'None: every endpoint’s last attempt succeeded.') :
        h('div', { class: 'table' }, h('table', { id: 'failing-endpoints' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Endpoint'), h('th', {}, 'Failed in a row'),
            h('th', { class: 'hide-narrow' }, 'Last failure'), h('th', { class: 'hide-narrow' }, 'Last success'))),
          h('tbody', {}, stats.failing_endpoints.map((e) => h('tr', {},
            h('td', {}, h('a', { href: `#/endpoints/${encodeURIComponent(e.endpoint_id)}` }, e.url),
              e.enabled ? null : h('span', { class: 'health-bad' }, ` disabled (${e.disabled_reason ?? 'manual'})`)),
            h('td', {}, String(e.failure_streak)),
            h('td', { class: 'hide-narrow' }, time(e.last_failure_at)),
            h('td', { class: 'hide-narrow' }, time(e.last_success_at)))))))),
    h('p', { class: 'muted' }, `From ${new Date(stats.from * 1000).toLocaleString()} to now, in steps of ${stats.step / 60} min.`));
});
