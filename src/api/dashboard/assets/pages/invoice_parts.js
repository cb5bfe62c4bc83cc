// Pieces of an invoice's page that a proforma's page (proformas.js) shows the same way: its totals in exact
// money, its lines and its payment attempts.
import { h, time, statusText } from '../dom.js';
import { money } from '../money.js';
import { table } from './billing_parts.js';

// The totals block: each figure the invoice has, as exact money; figures that are zero and say nothing
// (no discount, nothing refunded) are left out.
export function totals(inv) {
  const m = (v) => money(v, inv.currency);
  const rows = [
    ['Subtotal', inv.subtotal, 'subtotal', true],
    ['Discount', inv.discount_amount ? -inv.discount_amount : 0, 'discount', false],
    ['Tax', inv.tax, 'tax', true],
    ['Total', inv.total, 'total', true],
    ['Credited', inv.amount_credited, 'credited', false],
    ['Amount due', inv.amount_due, 'due', true],
    ['Paid', inv.amount_paid, 'paid', true],
    ['Refunded', inv.amount_refunded, 'refunded', false],
    ['Overpaid', inv.amount_overpaid, 'overpaid', false],
    ['Remaining', inv.amount_remaining, 'remaining', true],
  ];
  return h('dl', { class: 'card totals', id: 'invoice-totals' }, rows.filter(([, v, , always]) => always || v).flatMap(([label, v, id]) =>
    [h('dt', {}, label), h('dd', { id: `invoice-${id}`, class: 'money' }, m(v))]));
}

export function lines(inv) {
  const m = (v) => h('span', { class: 'money' }, money(v, inv.currency));
  return h('section', { class: 'card' }, h('h2', {}, 'Lines'),
    table('invoice-lines', [
      ['Description', (l) => [l.description, l.period?.start ? h('div', { class: 'muted' }, time(l.period.start), ' – ', time(l.period.end)) : null]],
      ['Quantity', (l) => l.quantity_decimal ?? String(l.quantity)],
      ['Unit price', (l) => m(l.unit_amount), { narrow: true }],
      ['Tax', (l) => [m(l.tax_amount), (l.tax_rates ?? []).length ? h('div', { class: 'muted' },
        l.tax_rates.map((t) => `${t.percentage} %${t.inclusive ? ' incl.' : ''}`).join(', ')) : null], { narrow: true }],
      ['Amount', (l) => m(l.amount)],
    ], inv.lines ?? [], 'No lines.'));
}

export function payments(inv, list) {
  return h('section', { class: 'card' }, h('h2', {}, 'Payments'),
    table('invoice-payments', [
      ['Attempt', (p) => String(p.attempt ?? '—')],
      ['Amount', (p) => h('span', { class: 'money' }, money(p.amount, p.currency))],
      ['Status', (p) => [statusText(p.status), p.failure_code ? h('div', { class: 'muted' }, `${p.failure_code}${p.failure_message ? `: ${p.failure_message}` : ''}`) : null]],
      ['Method', (p) => `${p.payment_method_type ?? ''}${p.payment_method ? ` ${p.payment_method}` : ''}${p.fallback ? ' (fallback)' : ''}`.trim() || '—', { narrow: true }],
      ['Created', (p) => time(p.created), { narrow: true }],
    ], list.data, 'No payment attempts.'));
}
