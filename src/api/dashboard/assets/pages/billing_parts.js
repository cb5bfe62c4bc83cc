// Pieces the billing pages share: a table of records, the "next page" link of a list, a list's filter form by
// status and customer, a resource's events, a definition list of a record's fields, the reasons a credit
// gives, and the line saying what the last action did.
import { go } from '../router.js';
import { api } from '../api.js';
import { h, time } from '../dom.js';

// columns: [[heading, (row) => cell, {narrow: false}]]; a column marked narrow hides at phone width.
export function table(id, columns, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted', id: `${id}-empty` }, empty);
  const hide = (c) => (c[2]?.narrow ? 'hide-narrow' : null);
  return h('div', { class: 'table' }, h('table', { id },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: hide(c) }, c[0])))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: hide(c) }, c[1](r))))))));
}

// The link to the page after `list` (the API pages with starting_after), keeping the page's filters.
export function nextPage(hashPath, query, list) {
  if (!list.has_more || !list.data.length) return null;
  const next = new URLSearchParams({ ...Object.fromEntries(query), starting_after: list.data.at(-1).id });
  return h('p', {}, h('a', { href: `#${hashPath}?${next}`, class: 'next-page' }, 'Next page'));
}

// The filter form of a list by status (one of `statuses`; '' for any) and customer id, which shows
// `#${hashPath}?…` with what was chosen.
export function statusCustomerFilters(formId, hashPath, statuses, query) {
  const status = h('select', { id: 'f-status', name: 'status' },
    statuses.map((s) => h('option', { value: s, selected: (query.get('status') ?? '') === s }, s || 'any')));
  const customer = h('input', { id: 'f-customer', name: 'customer', placeholder: 'cus_…', value: query.get('customer') ?? '' });
  const form = h('form', { class: 'card filters', id: formId },
    h('div', {}, h('label', { for: 'f-status' }, 'Status'), status),
    h('div', {}, h('label', { for: 'f-customer' }, 'Customer id'), customer),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) next.set(k, v.trim());
    go(`#${hashPath}?${next}`);
  });
  return form;
}

// The reasons a credit note or a proforma's credit gives (CreditNoteCreate.reason, ProformaCredit.reason), `other`
// first as the API's default.
export const CREDIT_REASONS = [
  ['other', 'Other'],
  ['duplicated_charge', 'Duplicated charge'],
  ['product_unsatisfactory', 'Product unsatisfactory'],
  ['order_change', 'Order change'],
  ['order_cancellation', 'Order cancellation'],
  ['fraudulent_charge', 'Fraudulent charge'],
];

// The events of one resource (its aggregate), newest first, each linking to #/events/{id}.
export async function resourceEvents(type, id) {
  const q = new URLSearchParams({ aggregate_type: type, aggregate_id: id, limit: '100' });
  const list = await api('GET', `/v1/events?${q}`);
  return h('section', { class: 'card' }, h('h2', {}, 'Events'),
    table(`${type}-events`, [
      ['Event', (e) => h('a', { href: `#/events/${e.id}` }, e.id)],
      ['Type', (e) => h('span', { class: 'event-type' }, e.type)],
      ['Created', (e) => time(e.created)],
    ], list.data, 'No events.'),
    h('p', {}, h('a', { href: `#/events?${new URLSearchParams({ aggregate_type: type, aggregate_id: id })}` }, 'In the event log')));
}

// [[label, value, id?]] as a <dl>; a null value shows "—", a null row is left out.
export function fields(items, attrs = {}) {
  return h('dl', { class: 'card', ...attrs }, items.filter(Boolean).flatMap(([label, value, id]) => [
    h('dt', {}, label), h('dd', { id }, value === null || value === undefined || value === '' ? '—' : value)]));
}

// What the last action did, shown once on the page of the record it acted on, after that page is drawn again.
let done = null;

// Records that an action on record `id` did `text`, then shows `hash` (the record's page) afresh.
export function afterAction(id, text, hash) {
  done = { id, text };
  go(hash);
}

// The line saying what the last action on record `id` did (with the element id `elementId`), or null; either
// way it is said once.
export function doneLine(id, elementId) {
  const line = done?.id === id ? h('p', { class: 'notice ok', role: 'status', id: elementId }, done.text) : null;
  done = null;
  return line;
}
