// Sign-in. Deployed: Microsoft Entra ID (entra.js). Locally: the development sign-in (pick a user, an organisation and
// roles; the host's development issuer signs the token).
import { h, fill, field, problemAlert } from './ui.js';
import { keep, takeSignInMessage } from './auth.js';
import { appConfig, go } from './app.js';
import * as entra from './entra.js';

const roles = ['partner', 'approver', 'operator'];
const people = [
  ['alice', 'contoso', ['partner', 'approver'], 'Contoso, lead partner and approver'],
  ['dan', 'fabrikam', ['partner', 'approver'], 'Fabrikam, distributor approver'],
  ['grace', 'northwind', ['partner', 'approver'], 'Northwind, integrator approver'],
  ['carol', 'contoso', ['approver'], "Contoso's executive sponsor"],
  ['ivan', '', ['approver'], 'Legal reviewer'],
  ['olivia', '', ['operator'], 'Operator'],
];

export async function signInPage({ main }) {
  const config = appConfig();
  const message = takeSignInMessage();
  const note = message ? h('p', { class: 'notice', role: 'status' }, message) : null;
  if (config.signIn === 'entra') {
    await entraSignInPage(main, config, note);
    return;
  }
  if (config.signIn !== 'development') {
    fill(main, h('h1', {}, 'Sign in'), h('p', {}, 'No sign-in is configured for this deployment.'));
    return;
  }

  const user = h('input', { name: 'userId', required: true, autocomplete: 'username', value: 'alice' });
  const org = h('input', { name: 'organisation', autocomplete: 'organization', value: 'contoso' });
  const boxes = roles.map(role => h('input', { type: 'checkbox', name: 'roles', value: role, id: `role-${role}`, checked: role !== 'operator' }));
  const errors = h('div');
  const form = h('form', { novalidate: true, onsubmit: async event => {
    event.preventDefault();
    const body = { userId: user.value.trim(), organisation: org.value.trim() || null, roles: boxes.filter(b => b.checked).map(b => b.value) };
    const response = await fetch('/app/dev/sign-in', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json();
    if (!response.ok) {
      fill(errors, problemAlert({ problem: answer }));
      errors.querySelector('[role=alert]')?.focus?.();
      return;
    }
    keep(answer.accessToken);
    go('/');
  } },
  field('User id', user, 'The sub claim: an approver sees the gates that list this id.'),
  field('Organisation', org, 'The partner organisation (org claim); empty for approvers and operators outside any partner.'),
  h('fieldset', {}, h('legend', {}, 'Roles'), boxes.map(box => h('div', {}, box, ' ', h('label', { for: box.id, class: 'inline' }, box.value)))),
  errors,
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')));

  const pick = ([id, organisation, picked]) => () => {
    user.value = id;
    org.value = organisation;
    boxes.forEach(b => { b.checked = picked.includes(b.value); });
    user.focus();
  };
  fill(main,
    h('h1', {}, 'Development sign-in'), note,
    h('p', { class: 'notice warn' }, 'Local development only: tokens come from the development issuer. Deployed apps sign in with Microsoft Entra ID.'),
    h('div', { class: 'grid' },
      h('section', { 'aria-labelledby': 'who-title' }, h('h2', { id: 'who-title' }, 'Who are you?'), form),
      h('section', { 'aria-labelledby': 'demo-title' }, h('h2', { id: 'demo-title' }, 'The demo\'s people'),
        h('ul', {}, people.map(p => h('li', {}, h('button', { type: 'button', class: 'secondary', onclick: pick(p) }, `Use ${p[0]}`), ' ', p[3]))))));
}

async function entraSignInPage(main, config, note) {
  fill(main, h('h1', {}, 'Sign in'), note, h('p', { role: 'status' }, 'Checking your Microsoft Entra ID sign-in…'));
  let failure = null;
  try {
    if (await entra.signInSilently(config)) {
      go('/');
      return;
    }
  } catch (error) {
    failure = h('p', { class: 'error', role: 'alert' }, `The sign-in did not complete: ${error.errorMessage || error.message}`);
  }
  const outcome = h('div', {}, failure);
  const button = h('button', { type: 'button', onclick: async () => {
    button.disabled = true;
    try {
      await entra.signIn(config);
    } catch (error) {
      button.disabled = false;
      fill(outcome, h('p', { class: 'error', role: 'alert' }, `The sign-in could not start: ${error.errorMessage || error.message}`));
    }
  } }, 'Sign in with Microsoft');
  fill(main, h('h1', {}, 'Sign in'), note, outcome,
    h('p', {}, 'Sign in with your organisation’s Microsoft Entra ID account. Your roles and partner organisation come from it.'),
    h('div', { class: 'actions' }, button));
}
