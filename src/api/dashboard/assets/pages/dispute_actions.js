// Disputes on the invoice page: opening one against a payment (an action beside the invoice's own, as the
// processor would report a chargeback) and the table of the invoice's disputes, each open one with Close
// (won or lost). The rules are the API's (src/billing/credit_service.cpp): an open, uncollectible or paid
// invoice with a succeeded payment takes disputes, each for at most what its payment has that is neither
// refunded nor disputed; a lost dispute records the money returned as a credit note. The API decides each
// time and its message is shown when it refuses.
import { api } from '../api.js';
import { h, time } from '../dom.js';
import { decimal, money, parseMoney } from '../money.js';
import { confirmAction } from '../confirm.js';
import { afterAction, table } from './billing_parts.js';

const again = (inv, text) => afterAction(inv.id, text, `#/invoices/${inv.id}`);
const closed = (d) => d.status === 'won' || d.status === 'lost';

// The status as statusText() shows it, but able to break after an underscore: at phone width "needs_response"
// is wider than its column.
function statusCell(d) {
  const parts = d.status.split('_');
  return h('span', { class: `status-${d.status}` }, parts.flatMap((p, i) => (i < parts.length - 1 ? [`${p}_`, h('wbr')] : [p])));
}

// The "Open a dispute" action ([button, panel]) for an invoice whose payments can be disputed, else null.
// `payments` is the invoice's payment attempts (GET /v1/invoices/{id}/payments); only succeeded ones are
// offered. Left empty, the payment is the latest with money left and the amount all it has left.
export function openDispute(inv, payments, result) {
  if (!['open', 'uncollectible', 'paid'].includes(inv.status)) return null;
  const succeeded = payments.data.filter((p) => p.status === 'succeeded');
  if (!succeeded.length) return null;
  return confirmAction({
    id: 'invoice-dispute', label: 'Open a dispute', secondary: true, result,
    question: `Record a chargeback the processor reported against a payment of ${inv.number || inv.id}? While it is open `
      + 'the disputed money cannot be refunded; closing it as lost records the money as returned to the customer.',
    fields: [
      { name: 'payment', label: 'Payment', options: [['', 'The latest with money left'],
        ...succeeded.map((p) => [p.id, `${p.id} (${money(p.amount, p.currency)})`])], attrs: { value: '' } },
      { name: 'amount', label: `Amount (${inv.currency}; empty: all the payment has left)`, attrs: { inputmode: 'decimal', autocomplete: 'off' } },
      { name: 'reason', label: 'Reason (optional, e.g. fraudulent, product_not_received, duplicate)', attrs: { maxlength: 100, autocomplete: 'off' } },
    ],
    run: async ({ payment, amount, reason }) => {
      const body = {};
      if (payment) body.payment = payment;
      if (amount.trim()) {
        const minor = parseMoney(amount, inv.currency);
        if (minor === null || minor <= 0) throw new Error(`Amount: write an amount above zero in ${inv.currency}, e.g. ${decimal(succeeded.at(-1).amount, inv.currency)}, or leave it empty`);
        body.amount = minor;
      }
      if (reason.trim()) body.reason = reason.trim();
      const dispute = await api('POST', `/v1/invoices/${encodeURIComponent(inv.id)}/disputes`, body);
      again(inv, `Dispute ${dispute.id} of ${money(dispute.amount, dispute.currency)} opened.`);
    },
  });
}

// Close ([button, panel]) for a dispute still open.
function closeDispute(inv, d, result) {
  return confirmAction({
    id: `dispute-close-${d.id}`, label: 'Close', name: `Close dispute ${d.id}`, result,
    question: `Record the decision on dispute ${d.id} of ${money(d.amount, d.currency)}? Lost, the money went back to the `
      + 'customer: a credit note records it and the invoice leaves the reminder schedule. This cannot be undone.',
    fields: [{ name: 'status', label: 'Decision', options: [['won', 'Won'], ['lost', 'Lost']], attrs: { value: 'won' } }],
    run: async ({ status }) => {
      const done = await api('POST', `/v1/disputes/${encodeURIComponent(d.id)}/close`, { status });
      again(inv, `Dispute ${done.id} closed: ${done.status}.`);
    },
  });
}

// The invoice's disputes (GET /v1/invoices/{id}/disputes), each open one with Close; panels open below the table.
export function disputes(inv, list) {
  const result = h('div', { id: 'dispute-action-result', 'aria-live': 'polite' });
  const panels = [];
  const actions = (d) => {
    if (closed(d)) return '—';
    const [button, panel] = closeDispute(inv, d, result);
    panels.push(panel);
    return h('div', { class: 'actions' }, button);
  };
  const rows = table('invoice-disputes', [
    // At phone width the amount, status and Close say enough; Close's panel names the dispute.
    ['Dispute', (d) => d.id, { narrow: true }],
    ['Amount', (d) => h('span', { class: 'money' }, money(d.amount, d.currency))],
    ['Status', statusCell],
    ['Reason', (d) => d.reason ?? '—', { narrow: true }],
    ['Payment', (d) => d.payment, { narrow: true }],
    ['Evidence due', (d) => (closed(d) ? '—' : time(d.evidence_due_by)), { narrow: true }],
    ['Opened', (d) => time(d.created), { narrow: true }],
    ['Closed', (d) => time(d.closed_at), { narrow: true }],
    ['Actions', actions],
  ], list.data, 'No disputes.');
  return h('section', { class: 'card', id: 'disputes' }, h('h2', {}, 'Disputes'), rows, panels, result);
}
