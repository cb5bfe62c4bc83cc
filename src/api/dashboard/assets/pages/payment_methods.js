// Payment methods on the customer page: the customer's cards (brand, last 4 digits and expiry — billhook keeps
// nothing more), adding one (POST /v1/payment-methods, which takes only the sandbox processor's test numbers)
// and, per card, what PATCH /v1/payment-methods/{id} offers: making it the default, marking it invalid (never
// charged again: the API has no way to detach a card, and keeps it for the payments that used it) or valid
// again. Each asks first; the API's message is shown when it refuses, and the customer is shown again after.
import { api } from '../api.js';
import { h, time, statusText } from '../dom.js';
import { confirmAction } from '../confirm.js';
import { afterAction, table } from './billing_parts.js';

function cardName(pm) {
  return pm.card ? `${pm.card.brand} •••• ${pm.card.last4}` : pm.type;
}

function expiry(pm) {
  return pm.card ? `${String(pm.card.exp_month).padStart(2, '0')}/${pm.card.exp_year}` : '—';
}

// "visa •••• 4242, 12/2030": what tells a person which card it is.
function card(pm) {
  return pm.card ? `${cardName(pm)}, ${expiry(pm)}` : pm.type;
}

function order(pm) {
  if (pm.is_default) return 'default';
  return pm.fallback_order != null ? `fallback ${pm.fallback_order}` : '—';
}

// A whole number typed in a field, or undefined when it is empty; anything else is refused before the API.
function whole(text, what) {
  const t = String(text ?? '').trim();
  if (!t) return undefined;
  if (!/^\d{1,9}$/.test(t)) throw new Error(`${what}: write a whole number`);
  return Number(t);
}

// "Add a card": the fields of POST /v1/payment-methods.
function addCard(customer, methods, result) {
  const again = (text) => afterAction(customer.id, text, `#/customers/${customer.id}`);
  const replaceable = methods.filter((pm) => pm.status === 'valid');
  return confirmAction({
    id: 'payment-method-add', label: 'Add a card', confirmLabel: 'Add card', secondary: true, result,
    question: 'The sandbox processor takes only its test card numbers (4242 4242 4242 4242 succeeds; see the API '
      + 'reference for the ones that fail). Only the brand, the last 4 digits and the expiry are kept.',
    fields: [
      { name: 'number', label: 'Card number', attrs: { inputmode: 'numeric', autocomplete: 'off', maxlength: 32, required: true } },
      { name: 'exp_month', label: 'Expiry month (1–12)', attrs: { inputmode: 'numeric', autocomplete: 'off', maxlength: 2, required: true } },
      { name: 'exp_year', label: 'Expiry year (e.g. 2030)', attrs: { inputmode: 'numeric', autocomplete: 'off', maxlength: 4, required: true } },
      { name: 'default', label: 'Make it the default', options: [['no', 'No'], ['yes', 'Yes: it is tried first']], attrs: { value: 'no' } },
      { name: 'fallback_order', label: 'Fallback order (optional; lower is tried first)', attrs: { inputmode: 'numeric', autocomplete: 'off', maxlength: 4 } },
      replaceable.length ? { name: 'replaces', label: 'Replaces (optional)', attrs: { value: '' },
        options: [['', 'No card'], ...replaceable.map((pm) => [pm.id, card(pm)])] } : null,
    ].filter(Boolean),
    run: async (v) => {
      const body = { customer: customer.id, type: 'card', card: { number: v.number.trim(),
        exp_month: whole(v.exp_month, 'Expiry month'), exp_year: whole(v.exp_year, 'Expiry year') } };
      if (v.default === 'yes') body.default = true;
      const fallback = whole(v.fallback_order, 'Fallback order');
      if (fallback !== undefined) body.fallback_order = fallback;
      if (v.replaces) body.replaces = v.replaces;
      const pm = await api('POST', '/v1/payment-methods', body);
      again(`Card ${cardName(pm)} added.`);
    },
  });
}

// The [button, panel] pairs a card allows.
function methodActions(customer, pm, result) {
  const patch = (body) => api('PATCH', `/v1/payment-methods/${encodeURIComponent(pm.id)}`, body);
  const again = (text) => afterAction(customer.id, text, `#/customers/${customer.id}`);
  const name = card(pm);
  const actions = [];
  if (pm.status === 'valid' && !pm.is_default) {
    actions.push(confirmAction({
      id: `payment-method-default-${pm.id}`, label: 'Make default', name: `Make ${name} the default`, result,
      question: `Make ${name} the default, tried first when an invoice is collected? The current default stops being it.`,
      run: async () => { await patch({ default: true }); again(`${name} is the default.`); },
    }));
  }
  if (pm.status === 'valid') {
    actions.push(confirmAction({
      id: `payment-method-invalidate-${pm.id}`, label: 'Mark invalid', name: `Mark ${name} invalid`, secondary: true, result,
      question: `Mark ${name} invalid? It is never charged again; it stays listed for the payments that used it.`,
      fields: [{ name: 'reason', label: 'Why (optional, e.g. expired, mandate_revoked)', attrs: { maxlength: 100, autocomplete: 'off' } }],
      run: async ({ reason }) => {
        await patch(reason.trim() ? { valid: false, invalid_reason: reason.trim() } : { valid: false });
        again(`${name} marked invalid.`);
      },
    }));
  } else {
    actions.push(confirmAction({
      id: `payment-method-validate-${pm.id}`, label: 'Mark valid', name: `Mark ${name} valid`, secondary: true, result,
      question: `Mark ${name} valid again, so that collections may charge it?`,
      run: async () => { await patch({ valid: true }); again(`${name} marked valid.`); },
    }));
  }
  return actions;
}

// The customer's payment methods (GET /v1/payment-methods?customer=…), with "Add a card" and each card's actions.
export function paymentMethods(customer, list) {
  const result = h('div', { id: 'payment-method-result', 'aria-live': 'polite' });
  const panels = [];
  const actions = (pm) => {
    const pairs = methodActions(customer, pm, result);
    panels.push(...pairs.map(([, panel]) => panel));
    return h('div', { class: 'actions' }, pairs.map(([button]) => button));
  };
  const [add, addPanel] = addCard(customer, list.data, result);
  return h('section', { class: 'card', id: 'payment-methods-section' }, h('h2', {}, 'Payment methods'),
    table('payment-methods', [
      ['Card', card],
      ['Type', (pm) => pm.type, { narrow: true }],
      ['Status', (pm) => [statusText(pm.status), pm.invalid_reason ? ` (${pm.invalid_reason})` : '']],
      ['Order', order],
      ['Added', (pm) => time(pm.created), { narrow: true }],
      ['Actions', actions],
    ], list.data, 'No payment methods.'),
    panels, h('div', { class: 'actions' }, add), addPanel, result);
}
