// Partner pages: my organisation's offerings (filter by stage, search by name, paged) and the start form.
import { api, ApiError } from './api.js';
import { h, tableRegion, fill, field, badge, splitWords, problemAlert, announce } from './ui.js';
import { go } from './app.js';
import { session } from './auth.js';

export const stages = ['Validating', 'VerifyingPartners', 'CheckingConflicts', 'AwaitingSignOffs', 'CreatingSku', 'AssigningSupport',
  'Launching', 'Launched', 'Amending', 'Invalid', 'VerificationFailed', 'Rejected', 'Expired', 'Cancelled', 'Retired'];

export async function offeringsPage({ main, query }) {
  const stage = query.get('stage') ?? '';
  const search = query.get('q') ?? '';
  const token = query.get('page') ?? '';
  const stageSelect = h('select', { name: 'stage' }, h('option', { value: '' }, 'Any stage'),
    stages.map(s => h('option', { value: s, selected: s === stage }, splitWords(s))));
  const searchInput = h('input', { type: 'search', name: 'q', value: search });
  const results = h('div', { 'aria-live': 'polite' });
  const apply = event => {
    event.preventDefault();
    go('/offerings', { stage: stageSelect.value, q: searchInput.value.trim() });
  };
  fill(main,
    h('h1', {}, `Offerings of ${session().org}`),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/offerings/new' }, 'Start an offering')),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter offerings', onsubmit: apply },
      field('Stage', stageSelect), field('Name contains', searchInput), h('button', { type: 'submit' }, 'Apply')),
    results);

  let shown = '';
  async function refresh() {
    const params = new URLSearchParams();
    if (stage) params.set('status', stage);
    if (token) params.set('continuationToken', token);
    const page = await api(`/api/offerings${params.size ? `?${params}` : ''}`);
    const items = page.items.filter(o => o.terms.name.toLowerCase().includes(search.toLowerCase()));
    const text = JSON.stringify([items, page.continuationToken]);
    if (text === shown) return;
    shown = text;
    fill(results,
      h('p', { class: 'muted' }, `${items.length} offering${items.length === 1 ? '' : 's'} on this page`),
      items.length === 0 ? h('p', {}, 'No offering matches.') : tableRegion('Offerings', h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Offerings'),
        h('thead', {}, h('tr', {}, ['Name', 'Stage', 'SKU', 'Lead', 'Members'].map(c => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, items.map(o => h('tr', {},
          h('td', {}, h('a', { href: `#/offerings/${encodeURIComponent(o.offeringId)}` }, o.terms.name)),
          h('td', {}, badge(o.stage), o.pendingTerms ? [' ', badge('Amendment pending')] : null),
          h('td', {}, o.skuCode ?? '—'),
          h('td', {}, o.initiatingPartnerId),
          h('td', {}, o.terms.members.map(m => m.partnerId).join(', '))))))),
      h('div', { class: 'actions' },
        token ? h('a', { class: 'button', href: '#/offerings' + (stage || search ? `?${new URLSearchParams({ stage, q: search })}` : '') }, 'First page') : null,
        page.continuationToken ? h('a', { class: 'button', href: `#/offerings?${new URLSearchParams({ stage, q: search, page: page.continuationToken })}` }, 'Next page') : null));
  }
  await refresh();
  return { refresh };
}

/** The terms form, for a start and for an amendment (prefilled). `onSubmit(terms, extra)` returns a promise. */
export function termsForm({ terms, submitText, withWindow, onSubmit }) {
  const lead = session().org;
  const members = terms?.members ?? [
    { partnerId: lead, role: 'Lead', responsibilities: [], revenueSharePercent: 50 },
    { partnerId: '', role: 'Contributor', responsibilities: [], revenueSharePercent: 30 },
    { partnerId: '', role: 'Channel', responsibilities: [], revenueSharePercent: 20 },
  ];
  const input = (name, value, attrs = {}) => h('input', { name, value: value ?? '', 'data-field': name, ...attrs });
  const controls = {
    name: input('name', terms?.name, { required: true }),
    description: h('textarea', { name: 'description', rows: 3, 'data-field': 'description' }, terms?.description ?? ''),
    catalogId: input('catalogId', terms?.catalogId),
    category: input('category', terms?.category),
    valueProposition: h('textarea', { name: 'valueProposition', rows: 2, 'data-field': 'valueProposition' }, terms?.valueProposition ?? ''),
    listPrice: input('pricing.listPrice', terms?.pricing.listPrice, { inputmode: 'decimal' }),
    currency: input('pricing.currency', terms?.pricing.currency ?? 'EUR', { maxlength: 3 }),
    billingTerm: h('select', { name: 'pricing.billingTerm', 'data-field': 'pricing.billingTerm' },
      ['Monthly', 'Annual', 'OneTime'].map(b => h('option', { value: b, selected: b === (terms?.pricing.billingTerm ?? 'Monthly') }, splitWords(b)))),
    launchDate: input('launchDate', terms?.launchDate, { type: 'date' }),
    l1: input('supportPlan.l1Owner', terms?.supportPlan.l1Owner),
    l2: input('supportPlan.l2Owner', terms?.supportPlan.l2Owner),
    l3: input('supportPlan.l3Owner', terms?.supportPlan.l3Owner ?? lead),
  };
  const window = input('signOffWindowDays', 14, { type: 'number', min: 1, max: 90 });
  const memberRows = members.map((m, i) => {
    const label = `Member ${i + 1}`;
    return h('fieldset', { class: 'member-row' }, h('legend', {}, label),
      field('Partner id', input(`members[${i}].partnerId`, m.partnerId)),
      field('Role', h('select', { name: `members[${i}].role`, 'data-field': `members[${i}].role` },
        ['Lead', 'Contributor', 'Channel'].map(r => h('option', { value: r, selected: r === m.role }, r)))),
      field('Revenue share (%)', input(`members[${i}].revenueSharePercent`, m.revenueSharePercent, { inputmode: 'decimal' })),
      field('Responsibilities', input(`members[${i}].responsibilities`, m.responsibilities.join('; ')), 'Separate with semicolons.'));
  });
  const errors = h('div');
  const button = h('button', { type: 'submit' }, submitText);
  const number = value => (value.trim() === '' || Number.isNaN(Number(value)) ? value : Number(value));
  const form = h('form', { novalidate: true, onsubmit: async event => {
    event.preventDefault();
    const data = new FormData(form);
    const value = name => String(data.get(name) ?? '');
    const proposed = {
      name: value('name'), description: value('description'), catalogId: value('catalogId'), category: value('category'),
      members: members.map((_, i) => ({
        partnerId: value(`members[${i}].partnerId`), role: value(`members[${i}].role`),
        responsibilities: value(`members[${i}].responsibilities`).split(';').map(r => r.trim()).filter(Boolean),
        revenueSharePercent: number(value(`members[${i}].revenueSharePercent`)),
      })).filter(m => m.partnerId !== ''),
      supportPlan: { l1Owner: value('supportPlan.l1Owner'), l2Owner: value('supportPlan.l2Owner'), l3Owner: value('supportPlan.l3Owner') },
      pricing: { listPrice: number(value('pricing.listPrice')), currency: value('pricing.currency'), billingTerm: value('pricing.billingTerm') },
      valueProposition: value('valueProposition'),
      objectives: terms?.objectives ?? [],
      additionalGates: terms?.additionalGates ?? [],
      launchDate: value('launchDate') || null,
    };
    button.disabled = true;
    form.querySelectorAll('.error').forEach(e => e.remove());
    form.querySelectorAll('[aria-invalid]').forEach(e => e.removeAttribute('aria-invalid'));
    try {
      await onSubmit(proposed, { signOffWindowDays: number(value('signOffWindowDays')) });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showErrors(form, errors, error);
    } finally {
      button.disabled = false;
    }
  } },
  h('div', { class: 'grid' }, field('Name', controls.name), field('Catalog', controls.catalogId, 'The distributor\'s or marketplace\'s catalog id.'),
    field('Category', controls.category), field('Launch date', controls.launchDate)),
  field('Description', controls.description), field('Value proposition', controls.valueProposition),
  h('h2', {}, 'Members and revenue split'), memberRows,
  h('h2', {}, 'Support plan'), h('div', { class: 'grid' }, field('L1 owner', controls.l1), field('L2 owner', controls.l2), field('L3 owner', controls.l3)),
  h('h2', {}, 'Pricing'), h('div', { class: 'grid' }, field('List price', controls.listPrice), field('Currency', controls.currency), field('Billing', controls.billingTerm)),
  withWindow ? field('Sign-off window (days)', window) : null,
  errors, h('div', { class: 'actions' }, button));
  return form;
}

/** Field errors from a validation problem next to their fields (matched by name, case-insensitively), plus a summary. */
function showErrors(form, errors, error) {
  const byField = new Map([...form.querySelectorAll('[data-field]')].map(c => [c.dataset.field.toLowerCase(), c]));
  for (const [key, messages] of Object.entries(error.problem?.errors ?? {})) {
    const control = byField.get(key.replace(/^terms\./i, '').toLowerCase());
    if (!control) continue;
    const id = `${control.id}-error`;
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
    control.insertAdjacentElement('afterend', h('p', { class: 'error', id }, messages.join('; ')));
  }
  fill(errors, problemAlert(error));
  announce(error.problem?.title ?? 'The request was refused');
}

export async function startPage({ main }) {
  // One key per form: a retried submission (double click, network retry) starts one offering, not two.
  const idempotencyKey = crypto.randomUUID();
  fill(main, h('h1', {}, 'Start an offering'),
    h('p', {}, 'Every member signs these terms; the API checks them and answers with what to fix.'),
    termsForm({ submitText: 'Start the offering', withWindow: true, onSubmit: async (terms, extra) => {
      const accepted = await api('/api/offerings', { method: 'POST', body: { terms, signOffWindowDays: extra.signOffWindowDays }, headers: { 'Idempotency-Key': idempotencyKey } });
      announce('Offering submitted');
      go(`/offerings/${encodeURIComponent(accepted.offeringId)}`);
    } }));
}
