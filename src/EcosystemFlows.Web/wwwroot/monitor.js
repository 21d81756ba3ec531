// The operations monitor (operator role): orchestration instances filtered by runtime status, stage, name and
// creation time, paged; one instance's history; terminate, suspend, resume, raise an event, restart, purge — each
// confirmed in a dialog; bulk actions on the selected instances report their result per instance.
import { api, ApiError } from './api.js';
import { h, tableRegion, fill, field, badge, splitWords, when, whenRelative, confirmDialog, problemAlert, announce, timeZone } from './ui.js';
import { go } from './app.js';
import { stages } from './offerings.js';

const base = '/webhooks/durabletask/instances';
const statuses = ['Running', 'Pending', 'Suspended', 'Completed', 'Failed', 'Terminated'];
const operations = {
  terminate: { label: 'Terminate', danger: true, run: id => api(`${base}/${encodeURIComponent(id)}/terminate?reason=${encodeURIComponent('operator: monitor')}`, { method: 'POST' }) },
  suspend: { label: 'Suspend', run: id => api(`${base}/${encodeURIComponent(id)}/suspend?reason=${encodeURIComponent('operator: monitor')}`, { method: 'POST' }) },
  resume: { label: 'Resume', run: id => api(`${base}/${encodeURIComponent(id)}/resume?reason=${encodeURIComponent('operator: monitor')}`, { method: 'POST' }) },
  restart: { label: 'Restart', run: id => api(`${base}/${encodeURIComponent(id)}/restart`, { method: 'POST' }) },
  purge: { label: 'Purge', danger: true, run: id => api(`${base}/${encodeURIComponent(id)}`, { method: 'DELETE' }) },
};

/** "2026-12-06T09:30" (a datetime-local value, local time) ⇄ an ISO instant. */
const toIso = local => (local ? new Date(local).toISOString() : '');
const toLocal = iso => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function stageOf(instance) {
  return instance.customStatus?.stage ?? null;
}

export async function monitorPage({ main, query }) {
  const filters = Object.fromEntries(['status', 'stage', 'name', 'prefix', 'from', 'to', 'page'].map(k => [k, query.get(k) ?? '']));
  const statusSelect = h('select', { name: 'status' }, h('option', { value: '' }, 'Any status'), statuses.map(s => h('option', { value: s, selected: s === filters.status }, s)));
  const stageSelect = h('select', { name: 'stage' }, h('option', { value: '' }, 'Any stage'), stages.map(s => h('option', { value: s, selected: s === filters.stage }, splitWords(s))));
  const nameInput = h('input', { name: 'name', value: filters.name });
  const prefixInput = h('input', { name: 'prefix', value: filters.prefix });
  const fromInput = h('input', { type: 'datetime-local', name: 'from', value: toLocal(filters.from) });
  const toInput = h('input', { type: 'datetime-local', name: 'to', value: toLocal(filters.to) });
  const results = h('div');
  const outcome = h('div', { 'aria-live': 'polite' });
  fill(main, h('h1', {}, 'Operations monitor'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter instances', onsubmit: event => {
      event.preventDefault();
      go('/monitor', { status: statusSelect.value, stage: stageSelect.value, name: nameInput.value.trim(), prefix: prefixInput.value.trim(), from: toIso(fromInput.value), to: toIso(toInput.value) });
    } },
    field('Runtime status', statusSelect), field('Stage', stageSelect), field('Orchestrator name', nameInput), field('Instance id starts with', prefixInput),
    field(`Created from (${timeZone})`, fromInput), field(`Created to (${timeZone})`, toInput), h('button', { type: 'submit' }, 'Apply')),
    outcome, results);

  let instances = [];
  let next = null;
  const selected = new Set();
  let shown = '';

  function render() {
    const boxes = instances.map(i => h('input', { type: 'checkbox', id: `pick-${i.instanceId}`, checked: selected.has(i.instanceId),
      'aria-label': `Select ${i.instanceId}`, onchange: e => { if (e.target.checked) selected.add(i.instanceId); else selected.delete(i.instanceId); } }));
    const all = h('input', { type: 'checkbox', id: 'pick-all', 'aria-label': 'Select every instance shown', onchange: e => {
      boxes.forEach((b, n) => { b.checked = e.target.checked; if (b.checked) selected.add(instances[n].instanceId); else selected.delete(instances[n].instanceId); });
    } });
    fill(results,
      h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions on the selected instances' },
        Object.entries(operations).map(([key, op]) => h('button', { type: 'button', class: op.danger ? 'danger' : 'secondary', onclick: () => bulk(key) }, `${op.label} selected`))),
      instances.length === 0 ? h('p', {}, 'No instance matches.') : tableRegion('Orchestration instances', h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Orchestration instances'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, all), ['Instance', 'Name', 'Status', 'Stage', 'Created', 'Updated'].map(c => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, instances.map((i, n) => h('tr', {}, h('td', {}, boxes[n]),
          h('td', {}, h('a', { href: `#/monitor/${encodeURIComponent(i.instanceId)}` }, i.instanceId)), h('td', {}, i.name),
          h('td', {}, badge(i.runtimeStatus)), h('td', {}, stageOf(i) ? splitWords(stageOf(i)) : '—'),
          h('td', {}, when(i.createdTime)), h('td', {}, whenRelative(i.lastUpdatedTime))))))),
      h('div', { class: 'actions' },
        filters.page ? h('a', { class: 'button', href: `#/monitor?${new URLSearchParams({ ...filters, page: '' })}` }, 'First page') : null,
        next ? h('a', { class: 'button', href: `#/monitor?${new URLSearchParams({ ...filters, page: next })}` }, 'Next page') : null));
  }

  async function bulk(key) {
    const op = operations[key];
    const ids = instances.map(i => i.instanceId).filter(id => selected.has(id));
    if (ids.length === 0) {
      fill(outcome, h('p', { class: 'notice warn', role: 'alert' }, 'Select at least one instance first.'));
      return;
    }
    const ok = await confirmDialog({ title: `${op.label} ${ids.length} instance${ids.length === 1 ? '' : 's'}?`, body: ids.join(', '), confirm: op.label, danger: op.danger });
    if (!ok) return;
    const rows = await Promise.all(ids.map(async id => {
      try {
        await op.run(id);
        return [id, true, 'Accepted'];
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return [id, false, `${error.status} ${error.problem?.title ?? ''}: ${error.problem?.detail ?? ''}`];
      }
    }));
    fill(outcome, h('div', { class: 'notice', role: 'status' }, h('strong', {}, `${op.label}: ${rows.filter(r => r[1]).length} of ${rows.length} accepted`),
      h('ul', {}, rows.map(([id, done, text]) => h('li', {}, badge(done ? 'Accepted' : 'Refused'), ' ', id, ': ', text)))));
    announce(`${op.label}: ${rows.filter(r => r[1]).length} of ${rows.length} accepted`);
    selected.clear();
    await refresh();
  }

  async function refresh() {
    const params = new URLSearchParams({ top: '50', showInput: 'false' });
    if (filters.status) params.set('runtimeStatus', filters.status);
    if (filters.prefix) params.set('instanceIdPrefix', filters.prefix);
    if (filters.from) params.set('createdTimeFrom', filters.from);
    if (filters.to) params.set('createdTimeTo', filters.to);
    const answer = await api(`${base}?${params}`, { withHeaders: true, headers: filters.page ? { 'x-ms-continuation-token': filters.page } : {} });
    instances = answer.body
      .filter(i => !filters.stage || stageOf(i) === filters.stage)
      .filter(i => !filters.name || i.name.toLowerCase().includes(filters.name.toLowerCase()))
      .sort((a, b) => b.createdTime.localeCompare(a.createdTime));
    next = answer.headers.get('x-ms-continuation-token');
    const text = JSON.stringify([instances, next]);
    if (text === shown) return;
    shown = text;
    render();
  }
  await refresh();
  return { refresh };
}

export async function instancePage({ main, params: [instanceId] }) {
  const url = `${base}/${encodeURIComponent(instanceId)}`;
  const outcome = h('div', { 'aria-live': 'polite' });
  const body = h('div');
  fill(main, h('p', {}, h('a', { href: '#/monitor' }, '← Instances')), h('h1', {}, `Instance ${instanceId}`), outcome, body);

  async function run(key, extra) {
    const op = operations[key];
    const ok = await confirmDialog({ title: `${op.label} ${instanceId}?`, body: `${op.label} this instance now.`, confirm: op.label, danger: op.danger });
    if (!ok) return;
    try {
      await (extra ?? op.run)(instanceId);
      fill(outcome, h('p', { class: 'notice ok', role: 'status' }, `${op.label}: accepted.`));
      announce(`${op.label}: accepted`);
      if (key === 'purge') { go('/monitor'); return; }
      await refresh(true);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(outcome, problemAlert(error));
    }
  }

  async function raise() {
    const values = await confirmDialog({ title: `Raise an event on ${instanceId}?`, body: 'The orchestration receives it as an external event.', confirm: 'Raise event',
      fields: [h('div', { class: 'field' }, h('label', { for: 'event-name' }, 'Event name'), h('input', { id: 'event-name', name: 'eventName', required: true })),
        h('div', { class: 'field' }, h('label', { for: 'event-payload' }, 'Payload (JSON)'), h('textarea', { id: 'event-payload', name: 'payload', rows: 4 }))] });
    if (!values) return;
    try {
      if (values.payload.trim()) JSON.parse(values.payload);
      await fetchRaise(values.eventName, values.payload);
      fill(outcome, h('p', { class: 'notice ok', role: 'status' }, `Event ${values.eventName} raised.`));
    } catch (error) {
      if (error instanceof SyntaxError) fill(outcome, h('p', { class: 'notice bad', role: 'alert' }, `The payload is not JSON: ${error.message}`));
      else if (error instanceof ApiError) fill(outcome, problemAlert(error));
      else throw error;
    }
  }

  const fetchRaise = (name, payload) => api(`${url}/raiseEvent/${encodeURIComponent(name)}`, { method: 'POST', body: payload.trim() ? JSON.parse(payload) : undefined });

  let shown = '';
  async function refresh(force = false) {
    let instance;
    try {
      instance = await api(`${url}?showHistory=true`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      fill(body, problemAlert(error));
      return;
    }
    const text = JSON.stringify(instance);
    if (!force && text === shown) return;
    shown = text;
    const running = ['Running', 'Pending', 'Suspended'].includes(instance.runtimeStatus);
    const history = instance.historyEvents ?? [];
    fill(body,
      h('p', {}, badge(instance.runtimeStatus), ' ', instance.name, stageOf(instance) ? [' · stage ', splitWords(stageOf(instance))] : null),
      h('dl', { class: 'facts' }, h('dt', {}, 'Created'), h('dd', {}, when(instance.createdTime)), h('dt', {}, 'Updated'), h('dd', {}, whenRelative(instance.lastUpdatedTime))),
      instance.failureDetails ? h('div', { class: 'notice bad' }, h('strong', {}, 'Failure: '), instance.failureDetails.errorMessage ?? JSON.stringify(instance.failureDetails)) : null,
      h('div', { class: 'actions', role: 'group', 'aria-label': 'Instance actions' },
        running ? [
          h('button', { type: 'button', class: 'danger', onclick: () => run('terminate') }, 'Terminate'),
          instance.runtimeStatus === 'Suspended'
            ? h('button', { type: 'button', class: 'secondary', onclick: () => run('resume') }, 'Resume')
            : h('button', { type: 'button', class: 'secondary', onclick: () => run('suspend') }, 'Suspend'),
          h('button', { type: 'button', class: 'secondary', onclick: raise }, 'Raise event'),
        ] : [
          h('button', { type: 'button', onclick: () => run('restart') }, 'Restart'),
          h('button', { type: 'button', class: 'danger', onclick: () => run('purge') }, 'Purge'),
        ]),
      h('h2', {}, 'Custom status'), h('pre', {}, JSON.stringify(instance.customStatus, null, 2)),
      instance.output !== null && instance.output !== undefined ? [h('h2', {}, 'Output'), h('pre', {}, JSON.stringify(instance.output, null, 2))] : null,
      h('h2', {}, `History (${history.length} events)`),
      tableRegion('History', h('table', {}, h('caption', { class: 'visually-hidden' }, 'History'),
        h('thead', {}, h('tr', {}, ['#', 'When', 'Event', 'Name'].map(c => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, history.map((e, n) => h('tr', {}, h('td', {}, e.eventId ?? n), h('td', {}, when(e.timestamp)), h('td', {}, e.eventType), h('td', {}, e.name ?? '')))))));
  }
  await refresh();
  return { refresh };
}
