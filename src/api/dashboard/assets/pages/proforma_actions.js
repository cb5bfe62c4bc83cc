// The actions a proforma's status allows, as the API has them: a draft is issued (POST /v1/invoices/{id}/finalize;
// it gets no legal number) or deleted; an open one is credited (POST /v1/proformas/{id}/credit, which must leave
// something to pay), paid by recording money received elsewhere (POST /v1/invoices/{id}/pay with "external": a
// payment that settles it converts it into a numbered, paid tax invoice; the API never charges cards for a
// proforma) or voided; any issued one can be duplicated. Each asks first and shows the API's message when it is
// refused; after one the proforma is shown again with a line saying what was done.
import { api } from '../api.js';
import { h } from '../dom.js';
import { decimal, money, parseMoney } from '../money.js';
import { confirmAction } from '../confirm.js';
import { afterAction, doneLine, CREDIT_REASONS } from './billing_parts.js';

// Minor units of `inv`'s currency typed in `text`, above zero, or an error saying what to write.
function amountOf(text, inv, example) {
  const minor = parseMoney(text, inv.currency);
  if (minor === null || minor <= 0) throw new Error(`Amount: write an amount above zero in ${inv.currency}, e.g. ${decimal(example, inv.currency)}`);
  return minor;
}

export function proformaActions(inv) {
  const result = h('div', { id: 'proforma-action-result', 'aria-live': 'polite' }, doneLine(inv.id, 'proforma-action-done'));
  const base = `/v1/invoices/${encodeURIComponent(inv.id)}`;
  const after = (text, id = inv.id, kind = 'proformas') => afterAction(id, text, `#/${kind}/${id}`);
  const action = (id, label, question, run, extra = {}) => confirmAction({ id, label, question, run, result, ...extra });
  const m = (v) => money(v, inv.currency);
  const buttons = [];

  if (inv.status === 'draft') {
    buttons.push(action('proforma-finalize', 'Issue', `Issue this proforma? It asks the customer for ${m(inv.amount_due)} and can no `
      + 'longer be edited; it gets a legal number only when a payment converts it into a tax invoice.',
    async () => { await api('POST', `${base}/finalize`, {}); after('Issued.'); }));
    buttons.push(action('proforma-delete', 'Delete draft', 'Delete this draft proforma? This cannot be undone.',
      async () => { await api('DELETE', base); after('Deleted.'); }, { secondary: true }));
  }
  if (inv.status === 'open') {
    buttons.push(action('proforma-pay', 'Record a payment',
      `Record money the customer paid outside billhook (bank transfer, cash)? A payment of the ${m(inv.amount_remaining)} still due `
      + 'settles the proforma and converts it into a numbered tax invoice, paid.',
      async ({ amount }) => {
        const paid = await api('POST', `${base}/pay`, { external: true, amount: amountOf(amount, inv, inv.amount_remaining) });
        if (paid.converted_to) {
          const invoice = await api('GET', `/v1/invoices/${encodeURIComponent(paid.converted_to)}`).catch(() => null);
          after(`Converted into invoice ${invoice?.number || paid.converted_to}.`);
        } else {
          after(`Recorded; ${m(paid.amount_remaining)} is still due.`);
        }
      }, { fields: [{ name: 'amount', label: `Amount (${inv.currency})`, attrs: { value: decimal(inv.amount_remaining, inv.currency), inputmode: 'decimal', required: true, autocomplete: 'off' } }] }));
    buttons.push(action('proforma-credit', 'Credit',
      `Lower what this proforma asks for (${m(inv.amount_remaining)} now)? The credit must leave something to pay; to ask for nothing, void it.`,
      async ({ amount, reason, description }) => {
        const body = { amount: amountOf(amount, inv, Math.floor(inv.amount_remaining / 2)), reason };
        if (description.trim()) body.description = description.trim();
        const credited = await api('POST', `/v1/proformas/${encodeURIComponent(inv.id)}/credit`, body);
        after(`Credited ${m(body.amount)}; ${m(credited.amount_remaining)} is still due.`);
      }, { secondary: true, fields: [
        { name: 'amount', label: `Amount (${inv.currency})`, attrs: { inputmode: 'decimal', required: true, autocomplete: 'off' } },
        { name: 'reason', label: 'Reason', options: CREDIT_REASONS, attrs: { value: 'other' } },
        { name: 'description', label: 'Description (optional)', attrs: { maxlength: 1000, autocomplete: 'off' } }] }));
    buttons.push(action('proforma-void', 'Void', 'Void this proforma? Nothing more is asked for on it, and this cannot be undone.',
      async () => { await api('POST', `${base}/void`, {}); after('Voided.'); }, { secondary: true }));
  }
  if (!['draft', 'deleted'].includes(inv.status)) {
    buttons.push(action('proforma-duplicate', 'Duplicate', 'Make a new draft with the lines of this proforma?',
      async () => {
        const copy = await api('POST', `${base}/duplicate`, {});
        after('Duplicated.', copy.id, copy.kind === 'proforma' ? 'proformas' : 'invoices');
      }, { secondary: true }));
  }
  if (!buttons.length) return result.childNodes.length ? result : null;
  return h('section', { class: 'card', id: 'proforma-actions', 'aria-label': 'Actions' },
    h('div', { class: 'actions' }, buttons.map(([button]) => button)), buttons.map(([, box]) => box), result);
}
