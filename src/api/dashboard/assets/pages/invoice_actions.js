// The lifecycle actions an invoice's status allows, as the API has them (the transition table in
// src/billing/invoice_machine.cpp): each asks for confirmation first and shows the API's message when it
// is refused. After an action the invoice is shown again, with a line saying what was done. Issuing a credit
// note (credit_note_actions.js) and opening a dispute (dispute_actions.js) are among them.
import { api } from '../api.js';
import { h } from '../dom.js';
import { decimal, money, parseMoney } from '../money.js';
import { confirmAction } from '../confirm.js';
import { afterAction, doneLine } from './billing_parts.js';
import { issueCreditNote } from './credit_note_actions.js';
import { openDispute } from './dispute_actions.js';

// `payments` is the invoice's payment attempts (GET /v1/invoices/{id}/payments).
export function invoiceActions(inv, payments) {
  const result = h('div', { id: 'invoice-action-result', 'aria-live': 'polite' }, doneLine(inv.id, 'invoice-action-done'));
  const base = `/v1/invoices/${encodeURIComponent(inv.id)}`;
  const name = inv.number || inv.id;
  const after = (text, id = inv.id) => afterAction(id, text, `#/invoices/${id}`);
  const action = (id, label, question, run, extra = {}) => confirmAction({ id, label, question, run, result, ...extra });
  const buttons = [];
  const refundable = (inv.amount_paid ?? 0) - (inv.amount_refunded ?? 0);

  if (inv.status === 'draft') {
    buttons.push(action('invoice-finalize', 'Finalize', `Finalize ${name}? It gets its number and can no longer be edited; `
      + `${inv.collection_method === 'send_invoice' ? 'it is then sent to the customer' : 'the customer is then charged'} as its collection method says.`,
    async () => { await api('POST', `${base}/finalize`, {}); after('Finalized.'); }));
    buttons.push(action('invoice-delete', 'Delete draft', `Delete the draft ${name}? This cannot be undone.`,
      async () => { await api('DELETE', base); after('Deleted.'); }, { secondary: true }));
  }
  if (inv.status === 'open' || inv.status === 'uncollectible') {
    // The API settles a proforma only by a payment recorded from elsewhere, never by charging cards.
    if (inv.kind !== 'proforma') {
      buttons.push(action('invoice-pay', 'Collect payment',
        `Charge ${money(inv.amount_remaining, inv.currency)} to the customer's valid cards, the default first, then the fallbacks in order?`,
        async () => {
          const paid = await api('POST', `${base}/pay`, {});
          after(paid.status === 'paid' ? 'Paid.' : `Not collected: the invoice is still ${paid.status} (see its payments).`);
        }));
    }
    buttons.push(action('invoice-pay-external', 'Record a payment made elsewhere',
      `Record money the customer paid outside billhook (bank transfer, cash) against ${name}? More than is due goes to the customer's balance.`,
      async ({ amount }) => {
        const minor = parseMoney(amount, inv.currency);
        if (minor === null || minor <= 0) throw new Error(`Amount: write an amount above zero in ${inv.currency}, e.g. ${decimal(inv.amount_remaining, inv.currency)}`);
        const paid = await api('POST', `${base}/pay`, { external: true, amount: minor });
        after(`Recorded ${money(minor, inv.currency)}; the invoice is ${paid.status}.`);
      }, { secondary: true, fields: [{ name: 'amount', label: `Amount (${inv.currency})`, attrs: { value: decimal(inv.amount_remaining, inv.currency), inputmode: 'decimal', required: true } }] }));
    if (inv.status === 'open' && inv.kind !== 'proforma') {
      buttons.push(action('invoice-uncollectible', 'Mark uncollectible',
        `Mark ${name} uncollectible? Reminders and automatic collection stop; it can still be paid or voided.`,
        async () => { await api('POST', `${base}/mark-uncollectible`, {}); after('Marked uncollectible.'); }, { secondary: true }));
    }
    buttons.push(action('invoice-void', 'Void', `Void ${name}? Nothing more is owed on it, and this cannot be undone.`,
      async () => { await api('POST', `${base}/void`, {}); after('Voided.'); }, { secondary: true }));
  }
  if (refundable > 0) {
    buttons.push(action('invoice-refund', 'Refund',
      `Give money back to the customer (up to ${money(refundable, inv.currency)}), spread over the invoice's payments? It is also a credit note.`,
      async ({ amount, reason }) => {
        const minor = parseMoney(amount, inv.currency);
        if (minor === null || minor <= 0) throw new Error(`Amount: write an amount above zero in ${inv.currency}, e.g. ${decimal(refundable, inv.currency)}`);
        const refund = await api('POST', `${base}/refunds`, reason.trim() ? { amount: minor, reason: reason.trim() } : { amount: minor });
        after(`Refund of ${money(refund.amount, refund.currency)}: ${refund.status}.`);
      }, { fields: [
        { name: 'amount', label: `Amount (${inv.currency})`, attrs: { value: decimal(refundable, inv.currency), inputmode: 'decimal', required: true } },
        { name: 'reason', label: 'Reason (optional)', attrs: {} }] }));
  }
  const credit = issueCreditNote(inv, result);
  if (credit) buttons.push(credit);
  const dispute = openDispute(inv, payments, result);
  if (dispute) buttons.push(dispute);
  if (!['draft', 'deleted'].includes(inv.status)) {
    buttons.push(action('invoice-duplicate', 'Duplicate', `Make a new draft with the lines of ${name}?`,
      async () => { const copy = await api('POST', `${base}/duplicate`, {}); after(`Duplicated from ${name}.`, copy.id); }, { secondary: true }));
  }
  if (!buttons.length) return result.childNodes.length ? result : null;
  return h('section', { class: 'card', id: 'invoice-actions', 'aria-label': 'Actions' },
    h('div', { class: 'actions' }, buttons.map(([button]) => button)), buttons.map(([, box]) => box), result);
}

