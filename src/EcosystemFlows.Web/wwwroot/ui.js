// DOM and formatting helpers shared by every page. No framework: small functions over the DOM.

/** Creates an element: h('a', { href: '#/x', onclick: fn }, 'text', child). Null/false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElementNS(tag.startsWith('svg:') ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag.replace(/^svg:/, ''));
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', value);
    else if (key in el && !el.namespaceURI.endsWith('svg') && key !== 'list' && key !== 'form') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the content of an element. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Tells screen readers what just happened (polite live region). */
export function announce(text) {
  const region = document.getElementById('status');
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}

/** The browser's time zone, shown next to every time. */
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
const units = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000]];
const shortUnit = { day: 'd', hour: 'h', minute: 'min' };

function span(ms) {
  const abs = Math.abs(ms);
  for (const [unit, size] of units) {
    if (abs >= size) return [Math.round(abs / size), unit];
  }
  return [Math.max(1, Math.round(abs / 60_000)), 'minute'];
}

/** "in 2 days" / "3 h ago". */
export function relative(iso, now = Date.now()) {
  const ms = Date.parse(iso) - now;
  if (Math.abs(ms) < 60_000) return 'just now';
  const [n, unit] = span(ms);
  const text = `${n} ${unit === 'minute' ? 'min' : unit === 'hour' ? 'h' : n === 1 ? 'day' : 'days'}`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** A deadline: "due in 2 days" or "overdue by 3 h". */
export function deadlineText(iso, now = Date.now()) {
  const ms = Date.parse(iso) - now;
  const [n, unit] = span(ms);
  const amount = unit === 'day' ? `${n} ${n === 1 ? 'day' : 'days'}` : `${n} ${shortUnit[unit]}`;
  return ms >= 0 ? `due in ${amount}` : `overdue by ${amount}`;
}

/** A <time> with the local date, time and zone; the UTC instant in its datetime attribute. */
export function when(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso }, dateTime.format(new Date(iso)));
}

/** A <time> with the local time and, after it, how far away it is. */
export function whenRelative(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('span', {}, when(iso), ' ', h('span', { class: 'muted' }, `(${relative(iso)})`));
}

const stageTone = {
  Launched: 'ok', Rejected: 'bad', Expired: 'bad', Cancelled: 'bad', Invalid: 'bad', VerificationFailed: 'bad', Retired: 'warn',
  Completed: 'ok', Failed: 'bad', Terminated: 'bad', Suspended: 'warn', Approved: 'ok', Pending: 'info', Accepted: 'ok', Refused: 'bad',
};

/** A stage or status as a badge (colour and text, never colour alone). */
export function badge(text) {
  return h('span', { class: `badge ${stageTone[text] ?? 'info'}` }, splitWords(text));
}

/** "AwaitingSignOffs" → "Awaiting sign offs". */
export function splitWords(text) {
  const words = String(text).replace(/([a-z])([A-Z])/g, '$1 $2');
  return words.charAt(0) + words.slice(1).toLowerCase();
}

/**
 * Asks for confirmation in the page's modal dialog; resolves with the form's values (or null when cancelled).
 * `fields` are extra inputs (e.g. a reason) built with h().
 */
export function confirmDialog({ title, body, confirm = 'Confirm', danger = false, fields = [] }) {
  const dialog = document.getElementById('confirm');
  const form = document.getElementById('confirm-form');
  document.getElementById('confirm-title').textContent = title;
  fill(document.getElementById('confirm-body'), h('p', {}, body), fields);
  const ok = document.getElementById('confirm-ok');
  ok.textContent = confirm;
  ok.className = danger ? 'danger' : '';
  form.reset();
  return new Promise(resolve => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok' ? Object.fromEntries(new FormData(form)) : null);
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

/** A wide table in its own scrollable region, reachable and named for keyboard and screen-reader users. */
export function tableRegion(label, table) {
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': label }, table);
}

/** A labelled form field. */
export function field(label, control, hint) {
  const id = control.id || (control.id = `f-${Math.random().toString(36).slice(2, 9)}`);
  const hintEl = hint ? h('small', { id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), hintEl, control);
}

/** A problem (RFC 9457) as an alert: title, detail and each field error. */
export function problemAlert(error) {
  const problem = error?.problem ?? {};
  const errors = Object.entries(problem.errors ?? {});
  return h('div', { class: 'notice bad', role: 'alert' },
    h('strong', {}, problem.title ?? error?.message ?? 'Something went wrong'),
    problem.detail ? h('p', {}, problem.detail) : null,
    errors.length ? h('ul', {}, errors.map(([key, messages]) => h('li', {}, h('code', {}, key), ': ', messages.join('; ')))) : null);
}
