// An action that asks first: its button opens a small panel saying what will happen (with any fields the
// action takes) and Confirm / Cancel. Confirm calls the API; a refusal shows the API's own message. The
// request goes through api(), which sends the session's CSRF token.
import { h, show, notice } from './dom.js';

// { id, label, question, fields: [{name, label, attrs, options}], run: async (values) => …, result: element,
//   confirmLabel, name }: a field with options ([[value, text]]) is a <select>, any other an <input>; the
// confirm button says confirmLabel ("Yes, <label>" when none is given); `name` is what assistive technology
// calls the action when its label alone is not enough (a "Void" on each row of a table).
export function confirmAction({ id, label, question, fields = [], run, result, secondary = false, confirmLabel, name }) {
  const box = h('div', { class: 'confirm-box' });
  const open = h('button', { type: 'button', id, class: secondary ? 'secondary' : null, 'aria-expanded': 'false', 'aria-label': name }, label);
  const close = () => {
    show(box);
    open.setAttribute('aria-expanded', 'false');
    open.focus();
  };
  open.addEventListener('click', () => {
    const inputs = fields.map((f) => (f.options
      ? h('select', { id: `${id}-${f.name}`, name: f.name, ...(f.attrs ?? {}) },
        f.options.map(([value, text]) => h('option', { value, selected: value === f.attrs?.value }, text)))
      : h('input', { id: `${id}-${f.name}`, name: f.name, ...(f.attrs ?? {}) })));
    const confirm = h('button', { type: 'submit', id: `${id}-confirm` }, confirmLabel ?? `Yes, ${label.toLowerCase()}`);
    const form = h('form', { class: 'card confirm', role: 'group', 'aria-label': name ?? label },
      h('p', {}, question),
      fields.flatMap((f, i) => [h('label', { for: inputs[i].id }, f.label), inputs[i]]),
      h('div', { class: 'actions' }, confirm,
        h('button', { type: 'button', class: 'secondary', id: `${id}-cancel`, onclick: close }, 'Cancel')));
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      confirm.disabled = true;
      try {
        await run(Object.fromEntries(fields.map((f, i) => [f.name, inputs[i].value])));
      } catch (err) {
        show(result, notice(err.message));
        confirm.disabled = false;
      }
    });
    show(box, form);
    open.setAttribute('aria-expanded', 'true');
    (inputs[0] ?? confirm).focus();
  });
  return [open, box];
}
