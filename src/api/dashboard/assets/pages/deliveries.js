// Deliveries: the list (by endpoint and status), and one delivery with every attempt — what was sent
// and what came back — and retrying it.
import { page, go } from '../router.js';
import { api } from '../api.js';
import { h, show, time, notice } from '../dom.js';
import { deliveryTable } from './endpoints.js';

const STATUSES = ['', 'pending', 'retrying', 'succeeded', 'failed', 'cancelled'];

page('/deliveries', async (view, _params, query) => {
  const q = new URLSearchParams({ limit: '50' });
  for (const name of ['endpoint_id', 'status', 'event_id', 'starting_after']) if (query.get(name)) q.set(name, query.get(name));
  const list = await api('GET', `/v1/deliveries?${q}`);
  const status = h('select', { id: 'f-status', name: 'status' },
    STATUSES.map((s) => h('option', { value: s, selected: query.get('status') === s }, s || 'any')));
  const endpoint = h('input', { id: 'f-endpoint', name: 'endpoint_id', value: query.get('endpoint_id') ?? '' });
  const form = h('form', { class: 'card filters', id: 'delivery-filters' },
    h('div', {}, h('label', { for: 'f-status' }, 'Status'), status),
    h('div', {}, h('label', { for: 'f-endpoint' }, 'Endpoint id'), endpoint),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) next.set(k, v);
    go(`#/deliveries?${next}`);
  });
  const more = list.has_more && list.data.length
    ? h('a', { href: `#/deliveries?${new URLSearchParams({ ...Object.fromEntries(query), starting_after: list.data.at(-1).id })}` }, 'Older')
    : null;
  show(view, h('h1', {}, 'Deliveries'), form, deliveryTable(list.data), more);
});

function headerList(headers) {
  const entries = Object.entries(headers ?? {});
  if (!entries.length) return h('p', { class: 'muted' }, 'none');
  return h('pre', { class: 'headers' }, entries.map(([k, v]) => `${k}: ${v}`).join('\n'));
}

function attemptCard(a) {
  return h('section', { class: 'card attempt', id: `attempt-${a.number}` },
    h('h3', {}, `Attempt ${a.number}`),
    h('dl', {},
      h('dt', {}, 'Started'), h('dd', {}, time(a.started_at)),
      h('dt', {}, 'Duration'), h('dd', {}, `${a.duration_ms} ms`),
      h('dt', {}, 'Status'), h('dd', { class: 'attempt-status' }, a.status_code == null ? 'no answer' : String(a.status_code)),
      h('dt', {}, 'Error'), h('dd', {}, a.error_class ? `${a.error_class}${a.error_message ? `: ${a.error_message}` : ''}` : '—'),
      h('dt', {}, 'Next try'), h('dd', {}, time(a.next_attempt_at))),
    a.request ? [h('h4', {}, 'Request sent'), headerList(a.request.headers), h('pre', { class: 'request-body' }, a.request.body)] : null,
    h('h4', {}, 'Response headers'), headerList(a.response_headers),
    h('h4', {}, 'Response body'), h('pre', { class: 'response-body' }, a.response_body || ''));
}

page('/deliveries/:id', async (view, { id }) => {
  const d = await api('GET', `/v1/deliveries/${encodeURIComponent(id)}`);
  const result = h('div', { id: 'retry-result', 'aria-live': 'polite' });
  const retry = h('button', { id: 'retry', disabled: d.status !== 'failed' }, 'Retry now');
  retry.addEventListener('click', async () => {
    try {
      await api('POST', `/v1/deliveries/${d.id}/retry`, {});
      go(`#/deliveries/${d.id}`);
    } catch (err) {
      show(result, notice(err.message));
    }
  });
  const refresh = h('button', { id: 'refresh', class: 'secondary' }, 'Refresh');
  refresh.addEventListener('click', () => go(`#/deliveries/${d.id}`));
  show(view, h('h1', {}, `Delivery ${d.id}`),
    h('dl', { class: 'card' },
      h('dt', {}, 'Status'), h('dd', { id: 'delivery-status', class: `status-${d.status}` }, d.status),
      h('dt', {}, 'Event'), h('dd', {}, h('a', { href: `#/events/${d.event_id}` }, `${d.event_type} ${d.event_id}`)),
      h('dt', {}, 'Endpoint'), h('dd', {}, h('a', { href: `#/endpoints/${d.endpoint_id}` }, d.endpoint_id)),
      h('dt', {}, 'Attempts'), h('dd', { id: 'attempt-count' }, String(d.attempt_count)),
      h('dt', {}, 'Next try'), h('dd', {}, time(d.next_attempt_at))),
    h('div', { class: 'actions' }, retry, refresh), result,
    h('h2', {}, 'Attempts'),
    d.attempts.length ? d.attempts.map(attemptCard) : h('p', { class: 'muted' }, 'No attempt yet.'));
});
