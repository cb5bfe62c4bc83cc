// The event catalog: every type by category, with its description, the seed providers' names for it
// (aliases), its example and its schema.
import { page } from '../router.js';
import { api } from '../api.js';
import { h, show } from '../dom.js';

page('/catalog', async (view, _params, query) => {
  const catalog = await api('GET', '/v1/event-types');
  const filter = (query.get('q') ?? '').toLowerCase();
  const search = h('input', { id: 'catalog-search', type: 'search', value: query.get('q') ?? '', placeholder: 'invoice.paid, refund, …' });
  search.addEventListener('change', () => { window.location.hash = `#/catalog?q=${encodeURIComponent(search.value)}`; });
  const matches = (t) => !filter || t.name.includes(filter) || t.description.toLowerCase().includes(filter)
    || t.aliases.some((a) => a.name.toLowerCase().includes(filter));
  const sections = catalog.categories.map((c) => {
    const types = catalog.data.filter((t) => t.category === c.name && matches(t));
    if (!types.length) return null;
    return h('section', { class: 'card', id: `category-${c.name}` },
      h('h2', {}, c.name), h('p', { class: 'muted' }, c.description),
      types.map((t) => h('details', { class: 'event-type', id: `type-${t.name}` },
        h('summary', {}, h('code', {}, t.name), ' — ', t.description),
        t.aliases.length ? h('p', {}, 'Seed names: ', t.aliases.map((a) => `${a.source}: ${a.name}`).join(', ')) : null,
        h('h3', {}, 'Example'), h('pre', {}, JSON.stringify(t.example, null, 2)),
        h('h3', {}, 'Schema'), h('pre', {}, JSON.stringify(t.schema, null, 2)))));
  });
  show(view, h('h1', {}, 'Event catalog'), h('p', { class: 'muted' }, `API version ${catalog.api_version}`),
    h('div', { class: 'card' }, h('label', { for: 'catalog-search' }, 'Search'), search), sections);
});
