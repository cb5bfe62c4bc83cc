// Subscriptions: the list (by customer, paged) and one subscription with its terms, periods, invoices
// and events, and cancelling it (now or at the period's end) or terminating it.
import { page, go } from '../router.js';
import { api } from '../api.js';
import { h, show, time, statusText } from '../dom.js';
import { money } from '../money.js';
import { confirmAction } from '../confirm.js';
import { table, nextPage, resourceEvents, fields } from './billing_parts.js';

const LIVE = ['pending', 'trialing', 'active', 'past_due'];

page('/subscriptions', async (view, _params, query) => {
  const q = new URLSearchParams({ limit: '50' });
  for (const name of ['customer', 'starting_after']) if (query.get(name)) q.set(name, query.get(name));
  const list = await api('GET', `/v1/subscriptions?${q}`);
  const customer = h('input', { id: 'f-customer', name: 'customer', placeholder: 'cus_…', value: query.get('customer') ?? '' });
  const form = h('form', { class: 'card filters', id: 'subscription-filters' },
    h('div', {}, h('label', { for: 'f-customer' }, 'Customer id'), customer),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go(customer.value.trim() ? `#/subscriptions?customer=${encodeURIComponent(customer.value.trim())}` : '#/subscriptions');
  });
  show(view, h('h1', {}, 'Subscriptions'), form,
    table('subscriptions', [
      ['Subscription', (s) => h('a', { href: `#/subscriptions/${s.id}` }, s.id)],
      ['Plan', (s) => s.plan_code || s.plan],
      ['Status', (s) => statusText(s.status)],
      ['Customer', (s) => h('a', { href: `#/customers/${s.customer}` }, s.customer), { narrow: true }],
      ['Amount', (s) => `${money(s.amount, s.currency)} / ${s.billing_interval}`, { narrow: true }],
      ['Period ends', (s) => time(s.current_period_end), { narrow: true }],
    ], list.data, 'No subscriptions match.'),
    nextPage('/subscriptions', query, list));
});

page('/subscriptions/:id', async (view, { id }) => {
  const s = await api('GET', `/v1/subscriptions/${encodeURIComponent(id)}`);
  const [invoices, events] = await Promise.all([
    api('GET', `/v1/invoices?customer=${encodeURIComponent(s.customer)}&limit=100`),
    resourceEvents('subscription', s.id),
  ]);
  const result = h('div', { id: 'subscription-action-result', 'aria-live': 'polite' });
  const base = `/v1/subscriptions/${encodeURIComponent(s.id)}`;
  const again = () => go(`#/subscriptions/${s.id}`);
  const actions = LIVE.includes(s.status) ? [
    s.cancel_at_period_end ? null : confirmAction({ id: 'subscription-cancel-later', label: 'Cancel at period end', result,
      question: `Cancel ${s.id} when its current period ends${s.current_period_end ? ` (${new Date(s.current_period_end * 1000).toLocaleString()})` : ''}? It runs until then.`,
      run: async () => { await api('POST', `${base}/cancel`, { at_period_end: true }); again(); } }),
    confirmAction({ id: 'subscription-cancel', label: 'Cancel now', result, secondary: true,
      question: `Cancel ${s.id} now? A plan billed in arrears bills the part of the period used.`,
      run: async () => { await api('POST', `${base}/cancel`, {}); again(); } }),
    confirmAction({ id: 'subscription-terminate', label: 'Terminate', result, secondary: true,
      question: `Terminate ${s.id} now, billing nothing further?`,
      run: async () => { await api('POST', `${base}/terminate`, {}); again(); } }),
  ].filter(Boolean) : [];
  show(view,
    h('h1', {}, 'Subscription ', s.plan_code || s.plan),
    fields([
      ['Status', h('span', { id: 'subscription-status', class: `status-${s.status}` }, s.status)],
      ['Id', s.id],
      ['Customer', h('a', { href: `#/customers/${s.customer}` }, s.customer)],
      ['Plan', `${s.plan_code} (${s.plan})`],
      ['Amount', `${money(s.amount, s.currency)} per ${s.billing_interval}${s.quantity > 1 ? ` (× ${s.quantity})` : ''}`],
      ['Billed', s.pay_in_advance ? 'in advance' : 'in arrears'],
      ['Collection', s.collection_status === 'stopped' ? `stopped (${s.collection_stopped_reason ?? ''})` : s.collection_status],
      s.current_period_start ? ['Current period', [time(s.current_period_start), ' – ', time(s.current_period_end)]] : null,
      s.trial_end ? ['Trial ends', time(s.trial_end)] : null,
      s.cancel_at_period_end ? ['Cancels at period end', 'yes', 'subscription-cancels'] : null,
      s.ending_at ? ['Ends', time(s.ending_at)] : null,
      s.ended_at ? ['Ended', time(s.ended_at)] : null,
      ['Created', time(s.created)],
    ]),
    actions.length ? h('section', { class: 'card', 'aria-label': 'Actions' },
      h('div', { class: 'actions' }, actions.map(([b]) => b)), actions.map(([, box]) => box), result) : null,
    h('section', { class: 'card' }, h('h2', {}, 'Invoices'),
      table('subscription-invoices', [
        ['Invoice', (i) => h('a', { href: `#/invoices/${i.id}` }, i.number || i.id)],
        ['Status', (i) => statusText(i.status)],
        ['Total', (i) => money(i.total, i.currency)],
        ['Period', (i) => (i.period_start ? [time(i.period_start), ' – ', time(i.period_end)] : '—'), { narrow: true }],
      ], invoices.data.filter((i) => i.subscription === s.id), 'No invoices yet.')),
    events);
});
