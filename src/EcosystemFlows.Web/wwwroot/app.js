// The web app's shell: reads the sign-in settings, routes #/path?query to a page, and keeps the page live by
// polling the API while it is visible (every page re-reads what it shows; no reload, no lost input).
import { session, hasRole, signOut, clearSession } from './auth.js';
import { h, fill } from './ui.js';
import { signInPage } from './signin.js';
import { offeringsPage, startPage } from './offerings.js';
import { offeringPage } from './offering.js';
import { inboxPage } from './inbox.js';
import { monitorPage, instancePage } from './monitor.js';
import * as entra from './entra.js';

const pollMs = 3000;
const routes = [
  [/^\/sign-in$/, signInPage, null],
  [/^\/offerings$/, offeringsPage, 'partner'],
  [/^\/offerings\/new$/, startPage, 'partner'],
  [/^\/offerings\/([^/]+)$/, offeringPage, 'partner'],
  [/^\/inbox$/, inboxPage, 'approver'],
  [/^\/monitor$/, monitorPage, 'operator'],
  [/^\/monitor\/([^/]+)$/, instancePage, 'operator'],
];
const navItems = [['#/offerings', 'Offerings', 'partner'], ['#/inbox', 'Approvals inbox', 'approver'], ['#/monitor', 'Operations monitor', 'operator']];

let config = { signIn: 'none' };
let current = null;
let timer = null;

/** The current route: path and query of the hash (#/offerings?stage=Launched). */
export function route() {
  const [path, query = ''] = (location.hash.slice(1) || '/').split('?');
  return { path, query: new URLSearchParams(query) };
}

/** Navigates to `path` with `query` (an object; empty values dropped), so filters and pages live in the URL. */
export function go(path, query = {}) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const text = params.toString();
  location.hash = `#${path}${text ? `?${text}` : ''}`;
}

/** The sign-in settings from /app/config.json. */
export function appConfig() {
  return config;
}

function home() {
  if (hasRole('partner')) return '/offerings';
  if (hasRole('approver')) return '/inbox';
  if (hasRole('operator')) return '/monitor';
  return '/sign-in';
}

/** Ends the session here and at Entra ID, which sends the browser back to the sign-in page. */
async function entraSignOut() {
  clearSession();
  await entra.signOut(config);
}

function renderShell() {
  const me = session();
  const { path } = route();
  fill(document.getElementById('nav'), me ? h('ul', {}, navItems.filter(([, , role]) => hasRole(role)).map(([href, text]) =>
    h('li', {}, h('a', { href, 'aria-current': path.startsWith(href.slice(1)) ? 'page' : null }, text)))) : null);
  fill(document.getElementById('who'), me ? [
    h('span', {}, `Signed in as ${me.user}`, me.org ? ` (${me.org})` : '', ` · ${me.roles.join(', ')}`),
    h('button', { type: 'button', class: 'secondary', onclick: () => config.signIn === 'entra' ? entraSignOut() : signOut('You signed out.') }, 'Sign out'),
  ] : null);
}

async function render() {
  clearInterval(timer);
  current?.dispose?.();
  current = null;
  const { path, query } = route();
  const me = session();
  if (!me && path !== '/sign-in') {
    go('/sign-in');
    return;
  }
  if (path === '/' || (me && path === '/sign-in')) {
    go(home());
    return;
  }
  renderShell();
  const main = document.getElementById('main');
  const match = routes.map(([pattern, page, role]) => [path.match(pattern), page, role]).find(([m]) => m);
  if (!match) {
    fill(main, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: `#${home()}` }, 'Go to your start page')));
    return;
  }
  const [m, page, role] = match;
  if (role && !hasRole(role)) {
    fill(main, h('h1', {}, 'Not for your role'), h('p', {}, `This page needs the ${role} role.`));
    return;
  }
  const view = await page({ main, params: m.slice(1).map(decodeURIComponent), query });
  const heading = main.querySelector('h1');
  document.title = `${heading?.textContent ?? 'EcosystemFlows'} – EcosystemFlows`;
  if (document.activeElement === document.body || !main.contains(document.activeElement)) main.focus({ preventScroll: true });
  current = view ?? null;
  if (current?.refresh) {
    let busy = false;
    timer = setInterval(async () => {
      if (busy || document.visibilityState !== 'visible') return;
      busy = true;
      try { await current?.refresh(); } catch (e) { if (e?.status !== 401) console.warn('refresh failed', e); } finally { busy = false; }
    }, pollMs);
  }
}

async function start() {
  // The skip link moves focus; following its #main would be taken for a route.
  document.querySelector('.skip').addEventListener('click', event => {
    event.preventDefault();
    document.getElementById('main').focus();
  });
  config = await (await fetch('/app/config.json')).json();
  window.addEventListener('hashchange', render);
  await render();
}

start();
