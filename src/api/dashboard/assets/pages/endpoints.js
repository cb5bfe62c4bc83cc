// Endpoints: the list with each one's health, creating and editing one, enabling and disabling,
// rotating its secret (shown once), sending a test event, and recovering its failed deliveries.
import { page, go } from '../router.js';
import { api } from '../api.js';
import { h, show, time, notice } from '../dom.js';

// The endpoint's state in a word or two: disabled (and why), failing (how many in a row, since when), or
// healthy.
function health(ep) {
  const hl = ep.health ?? {};
  if (!ep.enabled) return h('span', { class: 'health-bad' }, `disabled${ep.disabled_reason ? ` (${ep.disabled_reason})` : ''}`);
  if (hl.failure_streak > 0) {
    return h('span', { class: 'health-bad' }, `failing: ${hl.failure_streak} in a row`,
      hl.failing_since ? [' since ', time(hl.failing_since)] : null);
  }
  if (!hl.last_success_at) return h('span', { class: 'muted' }, 'no attempts yet');
  return h('span', { class: 'health-ok' }, 'healthy');
}

page('/endpoints', async (view) => {
  const list = await api('GET', '/v1/endpoints?limit=100');
  show(view,
    h('h1', {}, 'Endpoints'),
    h('p', {}, h('a', { href: '#/endpoints/new', id: 'new-endpoint' }, 'New endpoint')),
    list.data.length === 0 ? h('p', { class: 'muted' }, 'No endpoints yet.') :
      h('div', { class: 'table' }, h('table', { id: 'endpoints' },
        h('thead', {}, h('tr', {}, h('th', {}, 'URL'), h('th', {}, 'Health'), h('th', {}, 'Last success'),
          h('th', { class: 'hide-narrow' }, 'Events'))),
        h('tbody', {}, list.data.map((ep) => h('tr', { id: `endpoint-row-${ep.id}` },
          h('td', {}, h('a', { href: `#/endpoints/${ep.id}` }, ep.url)),
          h('td', { class: 'endpoint-health' }, health(ep)),
          h('td', { class: 'endpoint-last-success' }, time(ep.health?.last_success_at)),
          h('td', { class: 'hide-narrow' }, (ep.event_types ?? []).concat(ep.categories ?? []).join(', ') || 'all')))))));
});

// The form's fields as the API's body: lists are comma-separated, empty fields are left out.
function endpointBody(form, creating) {
  const data = new FormData(form);
  const list = (name) => String(data.get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const body = { url: data.get('url'), description: data.get('description') };
  if (creating || list('event_types').length) body.event_types = list('event_types');
  if (list('categories').length) body.categories = list('categories');
  const schedule = list('retry_schedule').map(Number);
  if (schedule.length) body.retry_schedule = schedule;
  // 0 or empty is no limit: left out of a new endpoint, null (back to none) on an edit.
  const rate = Number(data.get('rate_limit') || 0);
  if (rate) body.rate_limit = rate;
  else if (!creating) body.rate_limit = null;
  const inFlight = Number(data.get('max_in_flight') || 0);
  if (inFlight) body.max_in_flight = inFlight;
  if (data.get('profile')) body.profile = data.get('profile');
  return body;
}

function endpointForm(ep, onSubmit) {
  const field = (name, label, value, attrs = {}) => [
    h('label', { for: `ep-${name}` }, label), h('input', { id: `ep-${name}`, name, value: value ?? '', ...attrs })];
  const form = h('form', { id: 'endpoint-form', class: 'card' },
    field('url', 'URL', ep?.url, { required: true, type: 'url' }),
    field('description', 'Description', ep?.description),
    field('event_types', 'Event types (comma-separated; empty: every type)', (ep?.event_types ?? []).join(', ')),
    field('categories', 'Categories (comma-separated)', (ep?.categories ?? []).join(', ')),
    field('profile', 'Profile', ep?.profile ?? 'billhook'),
    field('rate_limit', 'Rate limit (per second, 0: none)', ep?.rate_limit ?? '', { type: 'number', min: 0 }),
    field('max_in_flight', 'In-flight limit (attempts under way at once)', ep?.max_in_flight ?? 32,
      { type: 'number', min: 1, max: 1000 }),
    field('retry_schedule', 'Retry schedule (seconds, comma-separated; empty: default)', (ep?.retry_schedule ?? []).join(', ')),
    h('button', { type: 'submit', id: 'save-endpoint' }, ep ? 'Save' : 'Create'),
    h('div', { id: 'form-result' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await onSubmit(endpointBody(form, !ep));
    } catch (err) {
      show(form.querySelector('#form-result'), notice(err.message));
    }
  });
  return form;
}

page('/endpoints/new', async (view) => {
  show(view, h('h1', {}, 'New endpoint'), endpointForm(null, async (body) => {
    const ep = await api('POST', '/v1/endpoints', body);
    go(`#/endpoints/${ep.id}`);
  }));
});

page('/endpoints/:id', async (view, { id }) => {
  const ep = await api('GET', `/v1/endpoints/${encodeURIComponent(id)}`);
  const deliveries = await api('GET', `/v1/deliveries?endpoint_id=${encodeURIComponent(id)}&limit=20`);
  const result = h('div', { id: 'action-result', 'aria-live': 'polite' });
  const act = (fn) => async () => {
    try {
      await fn();
    } catch (err) {
      show(result, notice(err.message));
    }
  };
  const typeInput = h('input', { id: 'test-type', name: 'event_type', placeholder: 'invoice.paid' });
  show(view,
    h('h1', {}, ep.url),
    h('dl', { class: 'card' },
      h('dt', {}, 'Id'), h('dd', { id: 'endpoint-id' }, ep.id),
      h('dt', {}, 'Health'), h('dd', { id: 'endpoint-health' }, health(ep)),
      h('dt', {}, 'Last success'), h('dd', { id: 'endpoint-last-success' }, time(ep.health?.last_success_at)),
      h('dt', {}, 'Last failure'), h('dd', { id: 'endpoint-last-failure' }, time(ep.health?.last_failure_at)),
      h('dt', {}, 'Failures in a row'), h('dd', { id: 'endpoint-failure-streak' }, String(ep.health?.failure_streak ?? 0)),
      h('dt', {}, 'Disabled reason'), h('dd', { id: 'endpoint-disabled-reason' }, ep.disabled_reason ?? '—'),
      h('dt', {}, 'Description'), h('dd', {}, ep.description || '—'),
      h('dt', {}, 'Profile'), h('dd', {}, ep.profile ?? 'billhook'),
      h('dt', {}, 'Created'), h('dd', {}, time(ep.created))),
    h('div', { class: 'card actions' },
      h('button', { id: 'toggle-enabled', class: 'secondary', onclick: act(async () => {
        await api('PATCH', `/v1/endpoints/${ep.id}`, { enabled: !ep.enabled });
        go(`#/endpoints/${ep.id}`);
      }) }, ep.enabled ? 'Disable' : 'Enable'),
      h('button', { id: 'rotate-secret', class: 'secondary', onclick: act(async () => {
        const rotated = await api('POST', `/v1/endpoints/${ep.id}/rotate-secret`, {});
        show(result, h('div', { class: 'notice ok' }, 'New secret (shown once; the old one keeps signing until ',
          time(rotated.previous_secret_expires_at), '): ', h('code', { class: 'secret', id: 'new-secret' }, rotated.secret)));
      }) }, 'Rotate secret'),
      h('a', { href: `#/endpoints/${ep.id}/recover` }, 'Recover failed deliveries'),
      h('a', { href: `#/deliveries?endpoint_id=${ep.id}` }, 'All deliveries')),
    h('form', { class: 'card', id: 'test-form', onsubmit: (e) => { e.preventDefault(); act(async () => {
      const body = typeInput.value.trim() ? { event_type: typeInput.value.trim() } : {};
      const sent = await api('POST', `/v1/endpoints/${ep.id}/test`, body);
      show(result, h('p', { class: 'notice ok' }, `Test event ${sent.type} queued: `,
        h('a', { href: `#/deliveries/${sent.delivery_id}`, id: 'test-delivery' }, sent.delivery_id)));
    })(); } },
      h('h2', {}, 'Send a test event'),
      h('label', { for: 'test-type' }, 'Event type (empty: the default)'), typeInput,
      h('button', { type: 'submit', id: 'send-test' }, 'Send test event')),
    result,
    h('h2', {}, 'Recent deliveries'),
    deliveryTable(deliveries.data),
    h('h2', {}, 'Edit'),
    endpointForm(ep, async (body) => {
      await api('PATCH', `/v1/endpoints/${ep.id}`, body);
      go(`#/endpoints/${ep.id}`);
    }));
});

export function deliveryTable(items) {
  if (!items.length) return h('p', { class: 'muted' }, 'No deliveries.');
  return h('div', { class: 'table' }, h('table', { class: 'deliveries' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Delivery'), h('th', {}, 'Type'), h('th', {}, 'Status'),
      h('th', { class: 'hide-narrow' }, 'Attempts'), h('th', { class: 'hide-narrow' }, 'Created'))),
    h('tbody', {}, items.map((d) => h('tr', {},
      h('td', {}, h('a', { href: `#/deliveries/${d.id}` }, d.id)),
      h('td', {}, d.event_type),
      h('td', {}, h('span', { class: `status-${d.status}` }, d.status)),
      h('td', { class: 'hide-narrow' }, String(d.attempt_count ?? '')),
      h('td', { class: 'hide-narrow' }, time(d.created)))))));
}

page('/endpoints/:id/recover', async (view, { id }) => {
  const ep = await api('GET', `/v1/endpoints/${encodeURIComponent(id)}`);
  const since = h('input', { id: 'recover-since', type: 'datetime-local', required: true });
  const out = h('div', { id: 'recover-result', 'aria-live': 'polite' });
  const sinceUnix = () => Math.floor(new Date(since.value).getTime() / 1000);
  const doIt = h('button', { type: 'button', id: 'recover-confirm', disabled: true }, 'Resend them');
  const form = h('form', { class: 'card', id: 'recover-form' },
    h('label', { for: 'recover-since' }, 'Failed since (your time zone)'), since,
    h('button', { type: 'submit', id: 'recover-count' }, 'Count'), doIt, out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const dry = await api('POST', `/v1/endpoints/${ep.id}/recover?dry_run=true`, { since: sinceUnix() });
      show(out, h('p', {}, h('span', { id: 'recover-count-result' }, String(dry.would_recover)),
        ' failed deliveries would be resent.'));
      doIt.disabled = dry.would_recover === 0;
    } catch (err) {
      show(out, notice(err.message));
    }
  });
  doIt.addEventListener('click', async () => {
    try {
      const done = await api('POST', `/v1/endpoints/${ep.id}/recover`, { since: sinceUnix() });
      show(out, h('p', { class: 'notice ok', id: 'recovered' }, `${done.recovered} deliveries are pending again.`));
      doIt.disabled = true;
    } catch (err) {
      show(out, notice(err.message));
    }
  });
  show(view, h('h1', {}, 'Recover failed deliveries'), h('p', {}, 'Endpoint ', h('a', { href: `#/endpoints/${ep.id}` }, ep.url)), form);
});
