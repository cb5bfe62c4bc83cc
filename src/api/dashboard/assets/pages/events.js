// Events: the log with filters (type, resource, time), and one event with its deliveries.
import { page, go } from '../router.js';
import { api } from '../api.js';
import { h, show, time } from '../dom.js';
import { deliveryTable } from './endpoints.js';

const FILTERS = [['type', 'Type'], ['aggregate_type', 'Resource type'], ['aggregate_id', 'Resource id']];

page('/events', async (view, _params, query) => {
  const q = new URLSearchParams({ limit: '50' });
  for (const [name] of FILTERS) if (query.get(name)) q.set(name, query.get(name));
  for (const [name, param] of [['from', 'created[gte]'], ['to', 'created[lt]']])
    if (query.get(name)) q.set(param, String(Math.floor(new Date(query.get(name)).getTime() / 1000)));
  if (query.get('starting_after')) q.set('starting_after', query.get('starting_after'));
  const list = await api('GET', `/v1/events?${q}`);
  const inputs = FILTERS.map(([name, label]) => h('div', {}, h('label', { for: `f-${name}` }, label),
    h('input', { id: `f-${name}`, name, value: query.get(name) ?? '' })));
  const range = [['from', 'From'], ['to', 'Until']].map(([name, label]) => h('div', {},
    h('label', { for: `f-${name}` }, label), h('input', { id: `f-${name}`, name, type: 'datetime-local', value: query.get(name) ?? '' })));
  const form = h('form', { class: 'card filters', id: 'event-filters' }, inputs, range, h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) next.set(k, v);
    go(`#/events?${next}`);
  });
  const more = list.has_more && list.data.length
    ? h('a', { href: `#/events?${new URLSearchParams({ ...Object.fromEntries(query), starting_after: list.data.at(-1).id })}` }, 'Older')
    : null;
  show(view, h('h1', {}, 'Events'), form,
    list.data.length === 0 ? h('p', { class: 'muted' }, 'No events match.') :
      h('div', { class: 'table' }, h('table', { id: 'events' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Event'), h('th', {}, 'Type'), h('th', { class: 'hide-narrow' }, 'Resource'), h('th', {}, 'Created'))),
        h('tbody', {}, list.data.map((e) => h('tr', {},
          h('td', {}, h('a', { href: `#/events/${e.id}` }, e.id)),
          h('td', {}, e.type),
          h('td', { class: 'hide-narrow' }, e.aggregate ? `${e.aggregate.type} ${e.aggregate.id} #${e.aggregate.sequence}` : '—'),
          h('td', {}, time(e.created))))))),
    more);
});

page('/events/:id', async (view, { id }) => {
  const event = await api('GET', `/v1/events/${encodeURIComponent(id)}`);
  const deliveries = await api('GET', `/v1/deliveries?event_id=${encodeURIComponent(id)}&limit=100`);
  show(view, h('h1', {}, event.type),
    h('dl', { class: 'card' },
      h('dt', {}, 'Id'), h('dd', {}, event.id),
      h('dt', {}, 'Created'), h('dd', {}, time(event.created)),
      h('dt', {}, 'Resource'), h('dd', {}, event.aggregate ? `${event.aggregate.type} ${event.aggregate.id} #${event.aggregate.sequence}` : '—')),
    h('h2', {}, 'Deliveries'), deliveryTable(deliveries.data),
    h('h2', {}, 'Data'), h('pre', { id: 'event-data' }, JSON.stringify(event.data, null, 2)));
});
