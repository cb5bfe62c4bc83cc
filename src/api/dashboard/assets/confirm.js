// An action that asks first: its button opens a small panel saying what will happen (with any fields the
// action takes) and Confirm / Cancel. Confirm calls the API; a refusal shows the API's own message. The
// request goes through api(), which sends the session's CSRF token.
import { h, show, notice } from './dom.js';

// { id, label, question, fields: [{name, label, attrs}], run: async (values) => …, result: element }
export function confirmAction({ id, label, question, fields = [], run, result, secondary = false }) {
  const box = h('div', { class: 'confirm-box' });
  const open = h('button', { type: 'button', id, class: secondary ? 'secondary' : null, 'aria-expanded': 'false' }, label);
  const close = () => {
    show(box);
    open.setAttribute('aria-expanded', 'false');
    open.focus();
  };
  open.addEventListener('click', () => {
    const inputs = fields.map((f) => h('input', { id: `${id}-${f.name}`, name: f.name, ...(f.attrs ?? {}) }));
    const confirm = h('button', { type: 'submit', id: `${id}-confirm` }, `Yes, ${label.toLowerCase()}`);
    const form = h('form', { class: 'card confirm', role: 'group', 'aria-label': label },
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
