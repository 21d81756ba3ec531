// The approver's inbox: the gates waiting for me across offerings, soonest deadline first, each with the terms it
// binds (what changed since I last saw them), the reminders and escalation so far, and approve / reject bound to
// the terms hash shown. A decision the server refuses (terms changed, someone else decided: 409) is said plainly.
import { api, ApiError } from './api.js';
import { h, tableRegion, fill, badge, splitWords, when, whenRelative, deadlineText, problemAlert, announce } from './ui.js';
import { session, hasRole } from './auth.js';
import { membersTable, termsFacts } from './offering.js';

/** Flattens terms to "path → value" for a field-by-field comparison. */
function flatten(value, prefix = '', out = new Map()) {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, Array.isArray(value) ? `${prefix}[${k}]` : prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value === null || value === undefined ? '—' : String(value));
  }
  return out;
}

/** The fields that differ between two versions of the terms. */
export function changes(before, after) {
  const a = flatten(before);
  const b = flatten(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter(k => a.get(k) !== b.get(k)).map(k => ({ field: k, before: a.get(k) ?? '—', after: b.get(k) ?? '—' }));
}

function changeList(title, list) {
  if (list.length === 0) return null;
  return h('div', { class: 'notice warn' }, h('strong', {}, title),
    h('ul', { class: 'changes' }, list.map(c => h('li', {}, h('code', {}, c.field), ': ', h('del', {}, c.before), ' → ', h('ins', {}, c.after)))));
}

const seenKey = offeringId => `ecoflows.seen.${session().user}.${offeringId}`;

export async function inboxPage({ main }) {
  const me = session();
  const list = h('div');
  const history = h('div');
  fill(main, h('h1', {}, 'Approvals inbox'),
    h('p', { class: 'muted' }, 'Gates waiting for you, soonest deadline first. Times are in your time zone.'),
    h('section', { 'aria-labelledby': 'waiting' }, h('h2', { id: 'waiting' }, 'Waiting for you'), list),
    h('section', { 'aria-labelledby': 'decided' }, h('h2', { id: 'decided' }, 'My decisions'), history));

  const cards = new Map();
  const decided = [];
  const local = [];
  let older = null;
  let latestHistory = null;

  async function details(offeringIds) {
    // The gate carries the terms it binds; members also read the audit trail (reminders) and the offering's page.
    const result = new Map();
    if (!hasRole('partner') || !me.org) return result;
    await Promise.all(offeringIds.map(async id => {
      try {
        result.set(id, { audit: await api(`/api/offerings/${encodeURIComponent(id)}/audit`) });
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 404) throw error;
      }
    }));
    return result;
  }

  function card(item, detail) {
    const key = `${item.offeringId}/${item.gateId}`;
    const comment = h('textarea', { id: `comment-${key}`, name: 'comment', rows: 2, maxlength: 2000 });
    const outcome = h('div', { 'aria-live': 'polite' });
    const state = { el: null, draft: () => comment.value.trim() !== '' || document.activeElement === comment, locked: false };
    const decide = approve => async () => {
      if (!approve && comment.value.trim() === '') {
        fill(outcome, h('p', { class: 'error', role: 'alert' }, 'A rejection needs a comment: tell the members what to change.'));
        comment.focus();
        return;
      }
      buttons.forEach(b => { b.disabled = true; });
      try {
        await api(item.signOffUri, { method: 'POST', body: { approve, comment: comment.value.trim() || null, termsHash: item.termsHash } });
        local.unshift({ at: new Date().toISOString(), offeringId: item.offeringId, offeringName: name, gateId: item.gateId, approved: approve, comment: comment.value.trim() || null });
        state.locked = true;
        fill(outcome, h('p', { class: 'notice ok', role: 'status' }, `You ${approve ? 'approved' : 'rejected'} ${item.gateId} of “${name}”.`));
        announce(`${approve ? 'Approved' : 'Rejected'} ${item.gateId}`);
        renderHistory();
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        state.locked = true;
        const why = error.status === 409
          ? (error.problem?.title === 'Terms changed'
            ? 'The terms changed since this page showed them: your decision was not recorded. Review the current terms and decide again.'
            : 'Someone else decided this gate meanwhile, or its round ended: your decision was not recorded.')
          : null;
        fill(outcome, why ? h('div', { class: 'notice bad', role: 'alert' }, h('strong', {}, why), h('p', {}, error.problem?.detail ?? ''),
          h('button', { type: 'button', class: 'secondary', onclick: () => { state.locked = false; cards.delete(key); refreshCards(); } }, 'Show the current state'))
          : problemAlert(error));
      } finally {
        buttons.forEach(b => { b.disabled = false; });
      }
    };
    const name = item.terms.name;
    const buttons = [h('button', { type: 'button', onclick: decide(true) }, 'Approve'), h('button', { type: 'button', class: 'danger', onclick: decide(false) }, 'Reject')];
    const reminders = detail?.audit.filter(e => e.action === 'signoff.reminder') ?? null;
    const terms = item.terms;
    let changed = null;
    if (item.termsInForce) {
      changed = changeList('Amendment: what changes against the terms in force', changes(item.termsInForce, terms));
    } else {
      const seen = JSON.parse(localStorage.getItem(seenKey(item.offeringId)) ?? 'null');
      if (seen && seen.hash !== item.termsHash) changed = changeList('Changed since you last looked', changes(seen.terms, terms));
    }
    localStorage.setItem(seenKey(item.offeringId), JSON.stringify({ hash: item.termsHash, terms }));
    const headingId = `gate-${item.offeringId}-${item.gateId}`;
    state.el = h('article', { class: 'card', 'aria-labelledby': headingId },
      h('h3', { id: headingId }, `${name}: ${item.gateId}`),
      h('p', {}, badge(splitWords(item.kind)), ' ',
        item.deadline ? [h('strong', {}, deadlineText(item.deadline)), ' (', when(item.deadline), ')'] : 'no deadline',
        item.escalated ? [' ', badge('Escalated')] : null),
      reminders ? h('p', { class: 'muted' }, reminders.length ? `Reminders sent: ${reminders.length}, the last ` : 'No reminder sent yet',
        reminders.length ? whenRelative(reminders[reminders.length - 1].at) : null) : null,
      changed,
      h('details', { open: true }, h('summary', {}, 'Terms you are signing'),
        h('p', {}, terms.description), termsFacts(terms), membersTable(terms),
        detail ? h('p', {}, h('a', { href: `#/offerings/${encodeURIComponent(item.offeringId)}` }, 'Open the offering page')) : null),
      h('p', { class: 'muted' }, 'Terms hash: ', h('code', {}, item.termsHash)),
      h('div', { class: 'field' }, h('label', { for: comment.id }, 'Comment'), comment),
      h('div', { class: 'actions' }, buttons), outcome);
    return state;
  }

  function renderHistory() {
    // The server's record, and decisions made on this page that it has not recorded yet (the workflow records them).
    const known = new Set(decided.map(d => `${d.offeringId}/${d.gateId}`));
    const rows = [...local.filter(d => !known.has(`${d.offeringId}/${d.gateId}`)), ...decided];
    fill(history, rows.length === 0 ? h('p', { class: 'muted' }, 'No decision of yours yet.') : [tableRegion('My decisions', h('table', {},
      h('caption', { class: 'visually-hidden' }, 'My decisions'),
      h('thead', {}, h('tr', {}, ['When', 'Offering', 'Gate', 'Decision', 'Comment'].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map(d => h('tr', {}, h('td', {}, when(d.at)), h('td', {}, d.offeringName ?? d.offeringId), h('td', {}, d.gateId),
        h('td', {}, badge(d.approved ? 'Approved' : 'Rejected')), h('td', {}, d.comment ?? '')))))),
      older ? h('button', { type: 'button', class: 'secondary', onclick: loadOlder }, 'Show older decisions') : null]);
  }

  async function loadOlder() {
    const page = await api(`/api/approvals/decided?continuationToken=${encodeURIComponent(older)}`);
    decided.push(...page.items);
    older = page.continuationToken;
    renderHistory();
  }

  async function refreshHistory() {
    // My decisions across offerings, latest first, as the audit trails record them (members or not). Re-rendered only
    // when the latest page changed, so a focused button stays where it is.
    const page = await api('/api/approvals/decided');
    const text = JSON.stringify(page.items);
    if (text === latestHistory) return;
    latestHistory = text;
    decided.splice(0, decided.length, ...page.items);
    older = page.continuationToken;
    renderHistory();
  }

  async function refreshCards() {
    const pending = await api('/api/approvals/pending');
    pending.sort((a, b) => (a.deadline ?? '9999').localeCompare(b.deadline ?? '9999') || a.offeringId.localeCompare(b.offeringId));
    const detail = await details([...new Set(pending.map(p => p.offeringId))]);
    const keys = new Set(pending.map(p => `${p.offeringId}/${p.gateId}`));
    for (const item of pending) {
      const key = `${item.offeringId}/${item.gateId}`;
      const text = JSON.stringify([item, detail.get(item.offeringId)?.audit ?? null]);
      const existing = cards.get(key);
      // A card the user is working on (a draft comment, an answer shown) stays as it is; the server checks the hash.
      if (existing && (existing.text === text || existing.draft() || existing.locked)) continue;
      const built = card(item, detail.get(item.offeringId));
      built.text = text;
      cards.set(key, built);
    }
    for (const [key, existing] of cards) {
      if (!keys.has(key) && !existing.draft() && !existing.locked) cards.delete(key);
    }
    // Cards stay in place (moving a focused element would lose the user's focus): only new ones are inserted.
    const next = [...cards.values()].map(c => c.el);
    if (next.length === 0) {
      if (!list.querySelector('.empty')) fill(list, h('p', { class: 'empty' }, 'Nothing is waiting for you.'));
      return;
    }
    list.querySelector('.empty')?.remove();
    [...list.children].filter(el => !next.includes(el)).forEach(el => el.remove());
    next.forEach((el, i) => { if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null); });
  }

  await Promise.all([refreshCards(), refreshHistory()]);
  return { refresh: () => Promise.all([refreshCards(), refreshHistory()]) };
}
