// One offering as its members see it: a timeline of stages, the gates (who, when, decision), the terms, the audit
// trail, the offering sheet to download, and what the initiator may do now (cancel, amend, retire).
import { api, download, ApiError } from './api.js';
import { h, tableRegion, fill, badge, splitWords, when, whenRelative, deadlineText, confirmDialog, problemAlert, announce } from './ui.js';
import { session } from './auth.js';
import { termsForm } from './offerings.js';

const path = ['Validating', 'VerifyingPartners', 'CheckingConflicts', 'AwaitingSignOffs', 'CreatingSku', 'AssigningSupport', 'Launching', 'Launched'];
const failed = new Set(['Invalid', 'VerificationFailed', 'Rejected', 'Expired', 'Cancelled']);
const beforeLaunch = new Set(path.slice(0, 6));

/** The stages as a picture (with a text equivalent): done, current, still to come; an end off the path in red. */
export function timeline(stage, audit) {
  const launchedOnce = audit.some(e => e.action === 'offering.launched');
  const steps = [...path];
  if (stage === 'Amending' || stage === 'Retired') steps.push(stage);
  let reached = steps.indexOf(stage);
  if (failed.has(stage)) {
    // Where it stopped: the last stage of the path the audit trail shows it reached (sign-offs when gates were requested).
    const stop = audit.some(e => e.action === 'signoff.requested') ? 3 : audit.some(e => e.action === 'offering.submitted') ? 1 : 0;
    steps.splice(stop + 1, steps.length, stage);
    reached = stop + 1;
  }
  if (launchedOnce && reached < 0) reached = path.length - 1;
  const width = 96;
  const svg = h('svg:svg', { class: 'timeline', viewBox: `0 0 ${steps.length * width} 70`, role: 'img', 'aria-labelledby': 'timeline-title' },
    h('svg:title', { id: 'timeline-title' }, `Stage ${reached + 1} of ${steps.length}: ${splitWords(stage)}`),
    steps.slice(1).map((_, i) => h('svg:line', { x1: i * width + 48 + 10, y1: 22, x2: (i + 1) * width + 48 - 10, y2: 22 })),
    steps.map((s, i) => {
      const state = failed.has(s) ? 'failed' : i < reached || (i === reached && s === 'Launched') ? 'done' : i === reached ? 'current' : 'todo';
      return h('svg:g', {},
        h('svg:circle', { cx: i * width + 48, cy: 22, r: i === reached ? 12 : 9, class: state }),
        h('svg:text', { x: i * width + 48, y: 52, 'text-anchor': 'middle' }, splitWords(s).split(' ')[0]),
        h('svg:text', { x: i * width + 48, y: 65, 'text-anchor': 'middle' }, splitWords(s).split(' ').slice(1).join(' ')));
    }));
  const list = h('ol', { class: 'visually-hidden' }, steps.map((s, i) => h('li', {}, `${splitWords(s)}: ${i < reached ? 'done' : i === reached ? 'current' : 'to come'}`)));
  return h('div', {}, svg, list);
}

export function membersTable(terms) {
  return tableRegion('Members and revenue split', h('table', {},
    h('caption', { class: 'visually-hidden' }, 'Members and revenue split'),
    h('thead', {}, h('tr', {}, ['Partner', 'Role', 'Revenue share', 'Responsibilities'].map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, terms.members.map(m => h('tr', {}, h('td', {}, m.partnerId), h('td', {}, m.role), h('td', {}, `${m.revenueSharePercent} %`),
      h('td', {}, m.responsibilities.join('; ')))))));
}

export function termsFacts(terms) {
  return h('dl', { class: 'facts' },
    h('dt', {}, 'Catalog'), h('dd', {}, terms.catalogId),
    h('dt', {}, 'Category'), h('dd', {}, terms.category),
    h('dt', {}, 'Price'), h('dd', {}, `${terms.pricing.listPrice} ${terms.pricing.currency} (${splitWords(terms.pricing.billingTerm)})`),
    h('dt', {}, 'Support plan'), h('dd', {}, `L1 ${terms.supportPlan.l1Owner} → L2 ${terms.supportPlan.l2Owner} → L3 ${terms.supportPlan.l3Owner}`),
    h('dt', {}, 'Launch date'), h('dd', {}, terms.launchDate),
    h('dt', {}, 'Value proposition'), h('dd', {}, terms.valueProposition));
}

function gatesTable(gates) {
  if (gates.length === 0) return h('p', { class: 'muted' }, 'No gates yet.');
  return tableRegion('Governance gates', h('table', {},
    h('caption', { class: 'visually-hidden' }, 'Governance gates'),
    h('thead', {}, h('tr', {}, ['Gate', 'Approvers', 'Decision', 'By', 'When', 'Comment'].map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, gates.map(g => h('tr', {}, h('td', {}, g.gateId, h('br'), h('span', { class: 'muted' }, splitWords(g.kind))),
      h('td', {}, g.approvers.join(', ')), h('td', {}, badge(g.state)), h('td', {}, g.decidedBy ?? '—'), h('td', {}, when(g.decidedAt)),
      h('td', {}, g.comment ?? ''))))));
}

function auditTable(audit) {
  return tableRegion('Audit trail', h('table', {},
    h('caption', { class: 'visually-hidden' }, 'Audit trail'),
    h('thead', {}, h('tr', {}, ['#', 'When', 'Who', 'What', 'Detail'].map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, audit.map(e => h('tr', {}, h('td', {}, e.sequence), h('td', {}, when(e.at)), h('td', {}, e.actor), h('td', {}, e.action), h('td', {}, e.detail))))));
}

export async function offeringPage({ main, params: [offeringId] }) {
  const base = `/api/offerings/${encodeURIComponent(offeringId)}`;
  let offering;
  try {
    offering = await api(base);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    fill(main, h('h1', {}, 'Offering not found'), problemAlert(error), h('p', {}, h('a', { href: '#/offerings' }, 'Back to your offerings')));
    return null;
  }
  const me = session();
  const heading = h('h1', {}, offering.terms.name);
  const body = h('div');
  const messages = h('div', { 'aria-live': 'polite' });
  fill(main, h('p', {}, h('a', { href: '#/offerings' }, '← Offerings')), heading, messages, body);

  async function act(label, run) {
    try {
      await run();
      fill(messages, h('p', { class: 'notice ok', role: 'status' }, `${label}: accepted. The page follows the offering as it moves.`));
      await refresh(true);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(messages, problemAlert(error));
    }
  }

  async function reasonAction(verb, url, danger) {
    const values = await confirmDialog({
      title: `${verb} “${offering.terms.name}”?`, body: `The members are told, and it cannot be undone.`, confirm: verb, danger,
      fields: h('div', { class: 'field' }, h('label', { for: 'reason' }, 'Reason'), h('textarea', { id: 'reason', name: 'reason', rows: 2, required: true })),
    });
    if (values) await act(verb, () => api(`${base}/${url}`, { method: 'POST', body: { reason: values.reason } }));
  }

  let amending = false;
  function actions() {
    if (offering.initiatingPartnerId !== me.org) return h('p', { class: 'muted' }, `Only ${offering.initiatingPartnerId}, the initiator, may cancel, amend or retire it.`);
    const buttons = [];
    if (beforeLaunch.has(offering.stage)) buttons.push(h('button', { type: 'button', class: 'danger', onclick: () => reasonAction('Cancel', 'cancel', true) }, 'Cancel offering'));
    if (offering.stage === 'Launched') {
      buttons.push(h('button', { type: 'button', onclick: () => { amending = true; render(); } }, 'Amend terms'));
      buttons.push(h('button', { type: 'button', class: 'danger', onclick: () => reasonAction('Retire', 'retire', true) }, 'Retire offering'));
    }
    return buttons.length ? h('div', { class: 'actions' }, buttons) : h('p', { class: 'muted' }, 'Nothing to do in this stage.');
  }

  let audit = [];
  function render() {
    const launched = audit.some(e => e.action === 'offering.launched');
    fill(body,
      h('p', {}, badge(offering.stage), ' ', offering.skuCode ? `SKU ${offering.skuCode}` : null, offering.escalated ? [' ', badge('Escalated')] : null),
      offering.reason ? h('p', { class: 'notice bad' }, offering.reason) : null,
      h('section', { 'aria-labelledby': 'stages' }, h('h2', { id: 'stages' }, 'Stages'), timeline(offering.stage, audit)),
      h('section', { 'aria-labelledby': 'gates' }, h('h2', { id: 'gates' }, 'Gates'),
        offering.deadline ? h('p', {}, 'Deadline: ', when(offering.deadline), ' ', h('strong', {}, deadlineText(offering.deadline))) : null,
        gatesTable(offering.gates)),
      h('section', { 'aria-labelledby': 'actions' }, h('h2', { id: 'actions' }, 'Actions'),
        amending ? termsForm({ terms: offering.terms, submitText: 'Propose the amendment', onSubmit: async terms => {
          await api(`${base}/amendments`, { method: 'POST', body: { terms } });
          amending = false;
          fill(messages, h('p', { class: 'notice ok', role: 'status' }, 'Amendment proposed: every gate signs the new terms.'));
          await refresh(true);
        } }) : actions()),
      h('section', { 'aria-labelledby': 'terms' }, h('h2', { id: 'terms' }, 'Terms'),
        h('p', {}, offering.terms.description), termsFacts(offering.terms), h('h3', {}, 'Members'), membersTable(offering.terms),
        h('p', { class: 'muted' }, 'Terms hash: ', h('code', {}, offering.termsHash))),
      h('section', { 'aria-labelledby': 'artefacts' }, h('h2', { id: 'artefacts' }, 'Artefacts'),
        launched ? h('ul', {}, ['offering-sheet.md', 'offering-sheet.json'].map(name => h('li', {},
          h('button', { type: 'button', class: 'secondary', onclick: () => download(`${base}/artifacts/${name}`, name).catch(e => fill(messages, problemAlert(e))) }, `Download ${name}`))))
          : h('p', { class: 'muted' }, 'The offering sheet is written at launch.')),
      h('section', { 'aria-labelledby': 'audit' }, h('h2', { id: 'audit' }, 'Audit trail'),
        h('p', { class: 'muted' }, 'Last event ', audit.length ? whenRelative(audit[audit.length - 1].at) : '—'), auditTable(audit)));
  }

  let shown = '';
  async function refresh(force = false) {
    [offering, audit] = await Promise.all([api(base), api(`${base}/audit`)]);
    const text = JSON.stringify([offering, audit]);
    // Never re-render under the user's hands while the amendment form is open.
    if (!force && (text === shown || amending)) return;
    if (shown && text !== shown) announce(`Offering is now ${splitWords(offering.stage)}`);
    shown = text;
    heading.textContent = offering.terms.name;
    render();
  }
  audit = await api(`${base}/audit`);
  shown = JSON.stringify([offering, audit]);
  render();
  return { refresh };
}
