// Building the page from data without ever parsing it as HTML: every string becomes a text node.

// h('a', {href: '#/x', class: 'y'}, 'text', child, …): an element; `on*` attributes become listeners.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'value') el.value = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Replaces what `parent` shows by `children`.
export function show(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

// A unix time shown in the viewer's zone, the unix seconds on hover.
export function time(unix) {
  if (!unix) return h('span', { class: 'muted' }, '—');
  const d = new Date(unix * 1000);
  return h('time', { datetime: d.toISOString(), title: String(unix) }, d.toLocaleString());
}

export function statusText(status) {
  return h('span', { class: `status-${status}` }, status);
}

export function notice(text, kind = 'error') {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// s('rect', {x: 1, class: 'bar'}, …): an SVG element, built like h() (text children become text nodes).
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
