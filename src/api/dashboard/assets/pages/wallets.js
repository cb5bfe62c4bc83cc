// Wallets: the list (by customer, paged) and one wallet with its balances, transactions and events, and
// topping it up (paid or granted credits) or terminating it.
import { page, go } from '../router.js';
import { api } from '../api.js';
import { h, show, time, statusText } from '../dom.js';
import { money } from '../money.js';
import { confirmAction } from '../confirm.js';
import { table, nextPage, resourceEvents, fields } from './billing_parts.js';

page('/wallets', async (view, _params, query) => {
  const q = new URLSearchParams({ limit: '50' });
  for (const name of ['customer', 'starting_after']) if (query.get(name)) q.set(name, query.get(name));
  const list = await api('GET', `/v1/wallets?${q}`);
  const customer = h('input', { id: 'f-customer', name: 'customer', placeholder: 'cus_…', value: query.get('customer') ?? '' });
  const form = h('form', { class: 'card filters', id: 'wallet-filters' },
    h('div', {}, h('label', { for: 'f-customer' }, 'Customer id'), customer),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go(customer.value.trim() ? `#/wallets?customer=${encodeURIComponent(customer.value.trim())}` : '#/wallets');
  });
  show(view, h('h1', {}, 'Wallets'), form,
    table('wallets', [
      ['Wallet', (w) => h('a', { href: `#/wallets/${w.id}` }, w.name || w.id)],
      ['Status', (w) => statusText(w.status)],
      ['Credits', (w) => w.credits_balance],
      ['Balance', (w) => money(w.balance, w.currency)],
      ['Customer', (w) => h('a', { href: `#/customers/${w.customer}` }, w.customer), { narrow: true }],
    ], list.data, 'No wallets match.'),
    nextPage('/wallets', query, list));
});

// Credits are exact decimal strings in the API: what was typed is checked for that shape and sent as is.
function credits(text, what) {
  const t = String(text ?? '').trim();
  if (!t) return undefined;
  if (!/^\d+(\.\d+)?$/.test(t)) throw new Error(`${what}: write a number of credits such as 10 or 2.5`);
  return t;
}

page('/wallets/:id', async (view, { id }) => {
  const w = await api('GET', `/v1/wallets/${encodeURIComponent(id)}`);
  const base = `/v1/wallets/${encodeURIComponent(w.id)}`;
  const [transactions, events] = await Promise.all([
    api('GET', `${base}/transactions?limit=100`),
    resourceEvents('wallet', w.id),
  ]);
  const result = h('div', { id: 'wallet-action-result', 'aria-live': 'polite' });
  const again = () => go(`#/wallets/${w.id}`);
  const actions = w.status === 'active' ? [
    confirmAction({ id: 'wallet-top-up', label: 'Top up', result,
      question: `Add credits (each worth ${w.rate_amount} ${w.currency}). Paid credits are invoiced and charged to the customer's cards at once; granted ones are free.`,
      fields: [
        { name: 'paid_credits', label: 'Paid credits', attrs: { inputmode: 'decimal' } },
        { name: 'granted_credits', label: 'Granted credits', attrs: { inputmode: 'decimal' } }],
      run: async (v) => {
        const body = { paid_credits: credits(v.paid_credits, 'Paid credits'), granted_credits: credits(v.granted_credits, 'Granted credits') };
        if (!body.paid_credits && !body.granted_credits) throw new Error('Write a number of paid or granted credits.');
        await api('POST', `${base}/transactions`, body);
        again();
      } }),
    confirmAction({ id: 'wallet-terminate', label: 'Terminate', result, secondary: true,
      question: `Terminate ${w.name || w.id}? Its credits can no longer be used or topped up.`,
      run: async () => { await api('POST', `${base}/terminate`, {}); again(); } }),
  ] : [];
  show(view,
    h('h1', {}, 'Wallet ', w.name || w.id),
    fields([
      ['Status', h('span', { id: 'wallet-status', class: `status-${w.status}` }, w.status)],
      ['Id', w.id],
      ['Customer', h('a', { href: `#/customers/${w.customer}` }, w.customer)],
      ['Credits', w.credits_balance, 'wallet-credits'],
      ['Balance', money(w.balance, w.currency), 'wallet-balance'],
      ['Ongoing balance', `${money(w.ongoing_balance, w.currency)} (${w.ongoing_credits_balance} credits)`],
      ['Consumed', `${money(w.consumed_amount, w.currency)} (${w.consumed_credits} credits)`],
      ['Credit worth', `${w.rate_amount} ${w.currency}`],
      (w.recurring_transaction_rules ?? []).length ? ['Top-up rules', String(w.recurring_transaction_rules.length)] : null,
      w.expires_at ? ['Expires', time(w.expires_at)] : null,
      w.terminated_at ? ['Terminated', time(w.terminated_at)] : null,
      ['Created', time(w.created)],
    ]),
    actions.length ? h('section', { class: 'card', 'aria-label': 'Actions' },
      h('div', { class: 'actions' }, actions.map(([b]) => b)), actions.map(([, box]) => box), result) : null,
    h('section', { class: 'card' }, h('h2', {}, 'Transactions'),
      table('wallet-transactions', [
        ['Transaction', (t) => t.id, { narrow: true }],
        ['Kind', (t) => `${t.type} ${t.source}${t.trigger && t.trigger !== 'manual' ? ` (${t.trigger})` : ''}`],
        ['Credits', (t) => t.credits],
        ['Amount', (t) => money(t.amount, t.currency)],
        ['Status', (t) => [statusText(t.status), t.invoice ? h('div', {}, h('a', { href: `#/invoices/${t.invoice}` }, t.invoice)) : null]],
        ['Created', (t) => time(t.created), { narrow: true }],
      ], transactions.data, 'No transactions.')),
    events);
});
