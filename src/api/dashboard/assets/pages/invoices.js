// Invoices: the list (by status and customer, paged) and one invoice: its totals in exact money, lines,
// payment attempts, refunds, disputes (dispute_actions.js), credit notes (credit_note_actions.js), events, PDF,
// and the lifecycle actions its status allows (invoice_actions.js).
import { page } from '../router.js';
import { api } from '../api.js';
import { h, show, time, statusText } from '../dom.js';
import { money } from '../money.js';
import { table, nextPage, resourceEvents, fields, statusCustomerFilters } from './billing_parts.js';
import { totals, lines, payments } from './invoice_parts.js';
import { invoiceActions } from './invoice_actions.js';
import { creditNotes } from './credit_note_actions.js';
import { disputes } from './dispute_actions.js';

const STATUSES = ['', 'draft', 'open', 'paid', 'uncollectible', 'void'];

page('/invoices', async (view, _params, query) => {
  const q = new URLSearchParams({ limit: '50' });
  for (const name of ['status', 'customer', 'starting_after']) if (query.get(name)) q.set(name, query.get(name));
  const list = await api('GET', `/v1/invoices?${q}`);
  const form = statusCustomerFilters('invoice-filters', '/invoices', STATUSES, query);
  show(view, h('h1', {}, 'Invoices'), form,
    table('invoices', [
      ['Invoice', (i) => h('a', { href: `#/invoices/${i.id}` }, i.number || i.id)],
      ['Status', (i) => statusText(i.status)],
      ['Customer', (i) => h('a', { href: `#/customers/${i.customer}` }, i.customer), { narrow: true }],
      ['Total', (i) => h('span', { class: 'money' }, money(i.total, i.currency))],
      ['Remaining', (i) => h('span', { class: 'money' }, money(i.amount_remaining, i.currency)), { narrow: true }],
      ['Created', (i) => time(i.created), { narrow: true }],
    ], list.data, 'No invoices match.'),
    nextPage('/invoices', query, list));
});

function refunds(inv, list) {
  return h('section', { class: 'card' }, h('h2', {}, 'Refunds'),
    table('invoice-refunds', [
      ['Refund', (r) => r.id],
      ['Amount', (r) => h('span', { class: 'money' }, money(r.amount, r.currency))],
      ['Status', (r) => [statusText(r.status), r.failure_code ? h('div', { class: 'muted' }, r.failure_code) : null]],
      ['Reason', (r) => r.reason ?? '—', { narrow: true }],
      ['Created', (r) => time(r.created), { narrow: true }],
    ], list.data, 'No refunds.'));
}

const link = (prefix, id) => (id ? h('a', { href: `#/${prefix}/${id}` }, id) : null);

page('/invoices/:id', async (view, { id }) => {
  const inv = await api('GET', `/v1/invoices/${encodeURIComponent(id)}`);
  const iid = encodeURIComponent(inv.id);
  const [pays, refundList, disputeList, notes, customer, events] = await Promise.all([
    api('GET', `/v1/invoices/${iid}/payments`),
    api('GET', `/v1/invoices/${iid}/refunds`),
    api('GET', `/v1/invoices/${iid}/disputes`),
    api('GET', `/v1/credit-notes?invoice=${iid}&limit=100`),
    api('GET', `/v1/customers/${encodeURIComponent(inv.customer)}`).catch(() => null),
    resourceEvents('invoice', inv.id),
  ]);
  show(view,
    h('h1', {}, 'Invoice ', h('span', { id: 'invoice-number' }, inv.number || inv.id)),
    fields([
      ['Status', h('span', { id: 'invoice-status', class: `status-${inv.status}` }, inv.status)],
      ['Payment', inv.payment_status, 'invoice-payment-status'],
      ['Customer', h('a', { href: `#/customers/${inv.customer}`, id: 'invoice-customer' }, customer?.name || inv.customer)],
      ['Id', inv.id, 'invoice-id'],
      inv.kind === 'proforma' ? ['Kind', h('a', { href: `#/proformas/${inv.id}` }, 'proforma')] : null,
      ['Collection', inv.collection_method === 'send_invoice' ? 'sent to the customer' : 'charged automatically'],
      ['Billing reason', inv.billing_reason],
      ['Subscription', link('subscriptions', inv.subscription)],
      ['Due', time(inv.due_date)],
      ['Created', time(inv.created)],
      ['Finalized', inv.finalized_at ? time(inv.finalized_at) : null],
      ['Paid', inv.paid_at ? [time(inv.paid_at), inv.paid_via ? ` (${inv.paid_via})` : ''] : null],
      ['Voided', inv.voided_at ? time(inv.voided_at) : null],
      ['Next attempt', inv.next_payment_attempt ? time(inv.next_payment_attempt) : null],
      ['Duplicated from', link('invoices', inv.duplicated_from)],
      ['Duplicated to', link('invoices', inv.duplicated_to)],
      ['Converted from', link('proformas', inv.converted_from)],
      ['Description', inv.description],
      ['PDF', inv.pdf_version ? h('a', { href: `api/v1/invoices/${iid}/pdf`, id: 'invoice-pdf', target: '_blank', rel: 'noopener' },
        `Version ${inv.pdf_version} (PDF)`) : null],
    ].filter((row) => row && row[1] !== null && row[1] !== undefined)),
    invoiceActions(inv, pays),
    totals(inv),
    lines(inv),
    payments(inv, pays),
    refunds(inv, refundList),
    disputes(inv, disputeList),
    creditNotes(inv, notes),
    events);
});
