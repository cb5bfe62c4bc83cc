// Customers: the list (newest first, paged) with "New customer" (customer_new.js) and one customer with its
// payment methods (payment_methods.js), credit balance, invoices, subscriptions, wallets and events.
import { page, go } from '../router.js';
import { api } from '../api.js';
import { h, show, time, statusText } from '../dom.js';
import { money } from '../money.js';
import { table, nextPage, resourceEvents, fields, doneLine } from './billing_parts.js';
import { newCustomer } from './customer_new.js';
import { paymentMethods } from './payment_methods.js';

page('/customers', async (view, _params, query) => {
  const q = new URLSearchParams({ limit: '50' });
  if (query.get('starting_after')) q.set('starting_after', query.get('starting_after'));
  const list = await api('GET', `/v1/customers?${q}`);
  // The API lists customers without a search; an id (from an invoice, an event, a webhook) opens one.
  const idInput = h('input', { id: 'f-customer-id', name: 'id', placeholder: 'cus_…', required: true });
  const find = h('form', { class: 'card filters', id: 'customer-find' },
    h('div', {}, h('label', { for: 'f-customer-id' }, 'Open a customer by id'), idInput),
    h('button', { type: 'submit' }, 'Open'));
  find.addEventListener('submit', (e) => {
    e.preventDefault();
    go(`#/customers/${encodeURIComponent(idInput.value.trim())}`);
  });
  show(view, h('h1', {}, 'Customers'), newCustomer(), find,
    table('customers', [
      ['Name', (c) => h('a', { href: `#/customers/${c.id}` }, c.name || c.id)],
      ['Email', (c) => c.email ?? '—', { narrow: true }],
      ['Credit', (c) => (c.currency && c.balance < 0 ? money(-c.balance, c.currency) : '—')],
      ['Created', (c) => time(c.created), { narrow: true }],
    ], list.data, 'No customers yet.'),
    nextPage('/customers', query, list));
});

function address(a) {
  if (!a) return null;
  return [a.line1, a.line2, [a.postal_code, a.city].filter(Boolean).join(' '), a.state, a.country].filter(Boolean).join(', ');
}

page('/customers/:id', async (view, { id }) => {
  const c = await api('GET', `/v1/customers/${encodeURIComponent(id)}`);
  const cid = encodeURIComponent(c.id);
  const [methods, invoices, subscriptions, wallets, balance, events] = await Promise.all([
    api('GET', `/v1/payment-methods?customer=${cid}&limit=100`),
    api('GET', `/v1/invoices?customer=${cid}&limit=50`),
    api('GET', `/v1/subscriptions?customer=${cid}&limit=100`),
    api('GET', `/v1/wallets?customer=${cid}&limit=100`),
    // A customer with no currency yet has no balance to show.
    api('GET', `/v1/customers/${cid}/balance`).catch(() => null),
    resourceEvents('customer', c.id),
  ]);
  show(view,
    h('h1', { id: 'customer-name' }, c.name || c.id),
    doneLine(c.id, 'customer-action-done'),
    fields([
      ['Id', c.id, 'customer-id'],
      ['Email', c.email, 'customer-email'],
      ['Currency', c.currency],
      // The API's balance is negative when it is credit owed to the customer; shown as the credit available.
      ['Credit available', balance?.currency ? money(balance.available_credit, balance.currency) : null, 'customer-credit'],
      ['Address', address(c.address)],
      ['Tax id', c.tax_id],
      ['Locale', c.locale],
      ['Role', c.role],
      ['Referred by', c.referred_by ? h('a', { href: `#/customers/${c.referred_by}` }, c.referred_by) : null],
      ['Created', time(c.created)],
    ]),
    paymentMethods(c, methods),
    h('section', { class: 'card' }, h('h2', {}, 'Invoices'),
      table('customer-invoices', [
        ['Invoice', (i) => h('a', { href: `#/invoices/${i.id}` }, i.number || i.id)],
        ['Status', (i) => statusText(i.status)],
        ['Total', (i) => money(i.total, i.currency)],
        ['Due', (i) => money(i.amount_remaining, i.currency), { narrow: true }],
        ['Created', (i) => time(i.created), { narrow: true }],
      ], invoices.data, 'No invoices.'),
      invoices.has_more ? h('p', {}, h('a', { href: `#/invoices?customer=${cid}` }, 'All invoices')) : null),
    h('section', { class: 'card' }, h('h2', {}, 'Subscriptions'),
      table('customer-subscriptions', [
        ['Subscription', (s) => h('a', { href: `#/subscriptions/${s.id}` }, s.id)],
        ['Plan', (s) => s.plan_code || s.plan],
        ['Status', (s) => statusText(s.status)],
        ['Period ends', (s) => time(s.current_period_end), { narrow: true }],
      ], subscriptions.data, 'No subscriptions.')),
    h('section', { class: 'card' }, h('h2', {}, 'Wallets'),
      table('customer-wallets', [
        ['Wallet', (w) => h('a', { href: `#/wallets/${w.id}` }, w.name || w.id)],
        ['Status', (w) => statusText(w.status)],
        ['Credits', (w) => w.credits_balance],
        ['Balance', (w) => money(w.balance, w.currency)],
      ], wallets.data, 'No wallets.')),
    events);
});
