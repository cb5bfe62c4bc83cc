// Credit notes on the invoice page: issuing one against the invoice (an action beside the invoice's own), and
// the table of the invoice's credit notes with what each one's state allows: a draft is issued or voided, an
// issued one voided. The rules are the API's (src/billing/credit_service.cpp): an open, uncollectible or paid
// invoice that is not a proforma takes credit notes; a note whose refund was paid out, whose credit invoices
// drew on, or that records a refund or a lost dispute cannot be voided, nor one whose credit lowered what an
// invoice no longer open asked for. The API decides each time and its message is shown when it refuses.
import { api } from '../api.js';
import { h, statusText } from '../dom.js';
import { decimal, money, parseMoney } from '../money.js';
import { confirmAction } from '../confirm.js';
import { afterAction, table, CREDIT_REASONS } from './billing_parts.js';

const due = (inv) => inv.status === 'open' || inv.status === 'uncollectible';
const again = (inv, text) => afterAction(inv.id, text, `#/invoices/${inv.id}`);
const noteName = (n) => n.number || n.id;

// The "Issue a credit note" action ([button, panel]) for an invoice that takes one, else null. The note is
// created and issued in one call (POST /v1/credit-notes without `draft`), so a refusal leaves nothing behind.
export function issueCreditNote(inv, result) {
  if (!(due(inv) || inv.status === 'paid') || inv.kind === 'proforma') return null;
  const what = due(inv)
    ? `It first lowers the ${money(inv.amount_remaining, inv.currency)} still due; any more gives back money already paid, onto the customer's credit balance.`
    : 'It gives back money already paid, onto the customer\'s credit balance (to pay it out, use Refund).';
  return confirmAction({
    id: 'invoice-credit-note', label: 'Issue a credit note', secondary: true, result,
    question: `Issue a credit note against ${inv.number || inv.id}? ${what} It is issued at once; it can be voided while its credit is unused.`,
    fields: [
      { name: 'amount', label: `Amount (${inv.currency})`, attrs: { inputmode: 'decimal', required: true, autocomplete: 'off' } },
      { name: 'reason', label: 'Reason', options: CREDIT_REASONS, attrs: { value: 'other' } },
      { name: 'memo', label: 'Memo (optional)', attrs: { maxlength: 1000, autocomplete: 'off' } },
    ],
    run: async ({ amount, reason, memo }) => {
      const minor = parseMoney(amount, inv.currency);
      if (minor === null || minor <= 0) throw new Error(`Amount: write an amount above zero in ${inv.currency}, e.g. ${decimal(inv.total, inv.currency)}`);
      const body = { invoice: inv.id, amount: minor, reason };
      if (memo.trim()) body.memo = memo.trim();
      const note = await api('POST', '/v1/credit-notes', body);
      again(inv, `Credit note ${noteName(note)} of ${money(note.total, note.currency)} issued.`);
    },
  });
}

// Whether the API would void `n` now, as far as the page can tell.
function voidable(inv, n) {
  if (n.status === 'draft') return true;
  if (n.status !== 'issued' || n.refund || n.dispute) return false;
  if (n.refund_status === 'pending' || n.refund_status === 'succeeded') return false;
  if ((n.credit_remaining ?? 0) < (n.credit_amount ?? 0)) return false;
  return !(n.pre_payment_amount > 0) || due(inv);
}

// What voiding `n` takes back, in words.
function takesBack(n) {
  if (n.status === 'draft') return 'It is a draft and moved nothing.';
  const parts = [];
  if (n.pre_payment_amount > 0) parts.push(`the ${money(n.pre_payment_amount, n.currency)} it took off what the invoice asks for (the invoice asks for it again)`);
  if (n.credit_amount > 0) parts.push(`the ${money(n.credit_amount, n.currency)} of credit it put on the customer's balance`);
  return parts.length ? `It takes back ${parts.join(' and ')}.` : 'It moved no money.';
}

// The actions ([button, panel] pairs) the credit note `n` allows.
function noteActions(inv, n, result) {
  const base = `/v1/credit-notes/${encodeURIComponent(n.id)}`;
  const actions = [];
  if (n.status === 'draft') {
    actions.push(confirmAction({
      id: `credit-note-issue-${n.id}`, label: 'Issue', name: `Issue credit note ${noteName(n)}`, result,
      question: `Issue the draft credit note ${noteName(n)} of ${money(n.total, n.currency)}? Its split is decided again against the invoice as it is now.`,
      run: async () => { await api('POST', `${base}/issue`, {}); again(inv, `Credit note ${noteName(n)} issued.`); },
    }));
  }
  if (voidable(inv, n)) {
    actions.push(confirmAction({
      id: `credit-note-void-${n.id}`, label: 'Void', name: `Void credit note ${noteName(n)}`, secondary: true, result,
      question: `Void the credit note ${noteName(n)} of ${money(n.total, n.currency)}? ${takesBack(n)} This cannot be undone.`,
      run: async () => { await api('POST', `${base}/void`, {}); again(inv, `Credit note ${noteName(n)} voided.`); },
    }));
  }
  return actions;
}

// The invoice's credit notes, each with its actions; their panels open below the table.
export function creditNotes(inv, list) {
  const result = h('div', { id: 'credit-note-action-result', 'aria-live': 'polite' });
  const panels = [];
  const actions = (n) => {
    const pairs = noteActions(inv, n, result);
    panels.push(...pairs.map(([, panel]) => panel));
    return pairs.length ? h('div', { class: 'actions' }, pairs.map(([button]) => button)) : '—';
  };
  const notes = table('invoice-credit-notes', [
    ['Credit note', (n) => noteName(n)],
    ['Total', (n) => h('span', { class: 'money' }, money(n.total, n.currency))],
    ['Status', (n) => statusText(n.status)],
    ['Reason', (n) => n.reason, { narrow: true }],
    ['Refund / credit', (n) => `${money(n.refund_amount, n.currency)} / ${money(n.credit_amount, n.currency)}`, { narrow: true }],
    ['PDF', (n) => (n.pdf_version ? h('a', { href: `api/v1/credit-notes/${n.id}/pdf`, target: '_blank', rel: 'noopener' }, 'PDF') : '—'), { narrow: true }],
    ['Actions', actions],
  ], list.data, 'No credit notes.');
  return h('section', { class: 'card', id: 'credit-notes' }, h('h2', {}, 'Credit notes'), notes, panels, result);
}
