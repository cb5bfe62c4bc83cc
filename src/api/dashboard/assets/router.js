// The dashboard's router: the address's #fragment names the page (#/overview?window=day, #/events/evt_…),
// so every page can be bookmarked and shared.
import { h, show, notice } from './dom.js';

const view = document.getElementById('view');
const pages = [];

// Registers `render(view, params, query)` for a hash pattern such as '/endpoints/:id'.
export function page(pattern, render) {
  const names = [];
  const regex = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
  pages.push({ regex, names, render });
}

export function go(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

// Pages being drawn: while any is, #view is aria-busy (assistive technology waits for the new page, and a
// test knows when what it reads is current).
let drawing = 0;

async function route() {
  ++drawing;
  view.setAttribute('aria-busy', 'true');
  try {
    await draw();
  } finally {
    if (--drawing === 0) view.removeAttribute('aria-busy');
  }
}

async function draw() {
  const raw = window.location.hash.replace(/^#/, '') || '/overview';
  const [path, search = ''] = raw.split('?');
  const query = new URLSearchParams(search);
  for (const a of document.querySelectorAll('#nav a'))
    if (raw.startsWith(a.getAttribute('href').slice(1))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  for (const p of pages) {
    const m = p.regex.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(p.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    try {
      await p.render(view, params, query);
    } catch (e) {
      show(view, notice(`Could not load this page: ${e.message}`));
    }
    return;
  }
  show(view, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/overview' }, 'Overview')));
}

// Shows the page of the current address, and of every later one.
export function start() {
  window.addEventListener('hashchange', route);
  route();
}
