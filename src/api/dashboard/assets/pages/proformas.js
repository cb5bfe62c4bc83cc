// Proformas (invoices of kind "proforma": payable, without a legal number until a payment converts them): the
// list (by status and customer, paged) and one proforma with its totals in exact money, lines, payments,
// events and the actions its status allows (proforma_actions.js).
//
// The API lists proformas only among the invoices (GET /v1/invoices has no kind filter), so the list reads the
// invoices a page of 100 at a time, newest first, and keeps the proformas: up to 50 of them from at most 1,000
// invoices per page shown, its "Next page" link carrying on from where it stopped.
import { page } from '../router.js';
import { api } from '../api.js';
import { h, show, time, statusText, notice } from '../dom.js';
import { money } from '../money.js';
import { table, resourceEvents, fields, statusCustomerFilters } from './billing_parts.js';
import { totals, lines, payments } from './invoice_parts.js';
import { proformaActions } from './proforma_actions.js';

const STATUSES = ['', 'draft', 'open', 'converted', 'void'];
const WANTED = 50;
const READ_PAGES = 10;

// The proformas among the invoices after `query`'s cursor: { found, more, cursor, read }.
async function findProformas(query) {
  const found = [];
  let cursor = query.get('starting_after') ?? '';
  let more = true;
  let read = 0;
  for (let i = 0; i < READ_PAGES && more && found.length < WANTED; ++i) {
    const q = new URLSearchParams({ limit: '100' });
    for (const name of ['status', 'customer']) if (query.get(name)) q.set(name, query.get(name));
    if (cursor) q.set('starting_after', cursor);
    const list = await api('GET', `/v1/invoices?${q}`);
    more = list.has_more && list.data.length > 0;
    for (const [k, inv] of list.data.entries()) {
      cursor = inv.id;
      ++read;
      if (inv.kind !== 'proforma') continue;
      found.push(inv);
      if (found.length === WANTED) {
        more = more || k < list.data.length - 1;
        break;
      }
    }
  }
  return { found, more, cursor, read };
}

page('/proformas', async (view, _params, query) => {
  const { found, more, cursor, read } = await findProformas(query);
  const form = statusCustomerFilters('proforma-filters', '/proformas', STATUSES, query);
  const next = new URLSearchParams({ ...Object.fromEntries(query), starting_after: cursor });
  show(view, h('h1', {}, 'Proformas'), form,
    table('proformas', [
      ['Proforma', (p) => h('a', { href: `#/proformas/${p.id}` }, p.id)],
      ['Status', (p) => statusText(p.status)],
      ['Customer', (p) => h('a', { href: `#/customers/${p.customer}` }, p.customer), { narrow: true }],
      ['Total', (p) => h('span', { class: 'money' }, money(p.total, p.currency))],
      ['Remaining', (p) => h('span', { class: 'money' }, money(p.amount_remaining, p.currency)), { narrow: true }],
      ['Created', (p) => time(p.created), { narrow: true }],
    ], found, more ? 'No proformas among these invoices.' : 'No proformas match.'),
    more ? h('p', {}, found.length < WANTED ? h('span', { class: 'muted' }, `Read ${read} invoices; older ones are not read yet. `) : null,
      h('a', { href: `#/proformas?${next}`, class: 'next-page' }, 'Next page')) : null);
});

const link = (prefix, id, attrs = {}) => (id ? h('a', { href: `#/${prefix}/${id}`, ...attrs }, id) : null);

page('/proformas/:id', async (view, { id }) => {
  const inv = await api('GET', `/v1/invoices/${encodeURIComponent(id)}`);
  if (inv.kind !== 'proforma') {
    show(view, h('h1', {}, 'Not a proforma'),
      notice(`${inv.number || inv.id} is an invoice, not a proforma.`, 'info'),
      h('p', {}, h('a', { href: `#/invoices/${inv.id}` }, 'Open it as an invoice')));
    return;
  }
  const iid = encodeURIComponent(inv.id);
  const [pays, customer, events] = await Promise.all([
    api('GET', `/v1/invoices/${iid}/payments`),
    api('GET', `/v1/customers/${encodeURIComponent(inv.customer)}`).catch(() => null),
    resourceEvents('invoice', inv.id),
  ]);
  show(view,
    h('h1', {}, 'Proforma ', h('span', { id: 'proforma-id' }, inv.id)),
    fields([
      ['Status', h('span', { id: 'proforma-status', class: `status-${inv.status}` }, inv.status)],
      ['Payment', inv.payment_status],
      ['Customer', h('a', { href: `#/customers/${inv.customer}` }, customer?.name || inv.customer)],
      ['Converted to', link('invoices', inv.converted_to, { id: 'proforma-converted-to' })],
      ['Collection', inv.collection_method === 'send_invoice' ? 'sent to the customer' : 'charged automatically'],
      ['Due', time(inv.due_date)],
      ['Created', time(inv.created)],
      ['Issued', inv.finalized_at ? time(inv.finalized_at) : null],
      ['Paid', inv.paid_at ? time(inv.paid_at) : null],
      ['Voided', inv.voided_at ? time(inv.voided_at) : null],
      ['Duplicated from', link('proformas', inv.duplicated_from)],
      ['Duplicated to', link('proformas', inv.duplicated_to)],
      ['Description', inv.description],
      ['PDF', inv.pdf_version ? h('a', { href: `api/v1/invoices/${iid}/pdf`, target: '_blank', rel: 'noopener' },
        `Version ${inv.pdf_version} (PDF)`) : null],
    ].filter(([, v]) => v !== null && v !== undefined)),
    proformaActions(inv),
    totals(inv),
    lines(inv),
    payments(inv, pays),
    events);
});
