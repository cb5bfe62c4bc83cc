// "New customer" on the customers page: a panel with the fields of POST /v1/customers a person types (all
// optional in the API: name, email, currency, tax id) that creates the customer and opens its page. The
// API checks them (an unknown currency, a malformed email) and its message is shown when it refuses.
import { api } from '../api.js';
import { h } from '../dom.js';
import { confirmAction } from '../confirm.js';
import { afterAction } from './billing_parts.js';

export function newCustomer() {
  const result = h('div', { id: 'customer-new-result', 'aria-live': 'polite' });
  const [open, panel] = confirmAction({
    id: 'customer-new', label: 'New customer', confirmLabel: 'Create customer', result,
    question: 'Every field may be left empty. The currency is the one the customer\'s credit balance is kept in; '
      + 'left empty, the first invoice that moves the balance sets it.',
    fields: [
      { name: 'name', label: 'Name', attrs: { maxlength: 200, autocomplete: 'off' } },
      { name: 'email', label: 'Email', attrs: { type: 'email', maxlength: 254, autocomplete: 'off' } },
      { name: 'currency', label: 'Currency (ISO 4217 code, e.g. EUR)', attrs: { maxlength: 3, autocomplete: 'off', autocapitalize: 'characters' } },
      { name: 'tax_id', label: 'Tax id', attrs: { maxlength: 500, autocomplete: 'off' } },
    ],
    run: async (values) => {
      const body = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v));
      const customer = await api('POST', '/v1/customers', body);
      afterAction(customer.id, 'Customer created.', `#/customers/${encodeURIComponent(customer.id)}`);
    },
  });
  return h('section', { class: 'card', id: 'customer-new-section', 'aria-label': 'New customer' }, open, panel, result);
}
