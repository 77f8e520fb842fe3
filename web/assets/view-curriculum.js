// Coordinator: the cluster's own copy of the curriculum (add, remove, reorder modules, change their
// durations, saved in one go) and the planning settings (allowed weekdays, hours of the half-day
// slots, the usual location).
import { get, put, patch } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, field, busy, showError, select, checkbox, settle, notify } from './ui.js';

export async function renderCurriculum(ctx) {
  const clusterId = ctx.cluster().cluster_id;
  const [cur, settings] = await Promise.all([get(`/v1/clusters/${clusterId}/curriculum`), get(`/v1/clusters/${clusterId}/planning-settings`)]);
  const modules = (cur.modules || []).slice().sort((a, b) => a.position - b.position)
    .map(({ module_key, title, kind, half_days, separate_half_days }) => ({ module_key, title, kind, half_days, separate_half_days: !!separate_half_days }));
  render(ctx.main,
    h('h1', { text: t('curriculum.title') }),
    h('p', { class: 'lead', text: t('curriculum.lead') }),
    section(t('curriculum.modules'),
      h('p', { text: cur.customised ? t('curriculum.customised', { n: cur.training_half_days }) : t('curriculum.template', { n: cur.training_half_days }) }),
      moduleEditor(ctx, clusterId, modules)),
    section(t('settings.title'), settingsForm(ctx, clusterId, settings)),
  );
}

// A training of several half-days: separate half-days, each followed by its coaching cycle, or
// joined into whole days.
function separate(m, name, changed) {
  const box = checkbox(t('curriculum.separate'), m.separate_half_days, { 'aria-label': t('curriculum.separate_of', { title: name }) });
  box.querySelector('input').addEventListener('change', (e) => {
    m.separate_half_days = e.target.checked;
    changed();
  });
  return box;
}

function moduleEditor(ctx, clusterId, modules) {
  const errors = h('div');
  const list = h('div');
  const dirty = h('p', { class: 'hint', role: 'status' });
  const save = h('button', { type: 'button', class: 'primary', text: t('curriculum.save') });
  const changed = () => {
    dirty.textContent = t('curriculum.unsaved');
  };

  /** Redraws the table; `focus` names the control to focus afterwards (keyboard users keep their place). */
  function draw(focus = null) {
    const rows = modules.map((m, i) => {
      const name = m.title || m.module_key;
      const title = h('input', { type: 'text', value: m.title, maxlength: '200', required: true, 'aria-label': t('curriculum.title_of', { n: i + 1 }) });
      title.addEventListener('input', () => {
        m.title = title.value;
        changed();
      });
      const kind = select([['training', label('kind', 'training')], ['gap_analysis', label('kind', 'gap_analysis')]], m.kind, { 'aria-label': t('curriculum.kind_of', { title: name }) });
      kind.addEventListener('change', () => {
        m.kind = kind.value;
        changed();
      });
      const half = h('input', { type: 'number', min: '1', max: '8', value: m.half_days, class: 'narrow', 'aria-label': t('curriculum.half_days_of', { title: name }) });
      half.addEventListener('input', () => {
        m.half_days = half.value === '' ? null : Number(half.value);
        changed();
      });
      const move = (delta, key) => h('button', { type: 'button', class: 'small', text: t(`curriculum.${key}`), disabled: i + delta < 0 || i + delta >= modules.length,
        'aria-label': t(`curriculum.${key}_of`, { title: name }), 'data-focus': `${key}-${m.module_key}`,
        onclick: () => {
          const [x] = modules.splice(i, 1);
          modules.splice(i + delta, 0, x);
          changed();
          const again = i + delta + delta < 0 || i + delta + delta >= modules.length ? (key === 'up' ? 'down' : 'up') : key;
          draw(`${again}-${m.module_key}`);
        } });
      const remove = h('button', { type: 'button', class: 'small', text: t('curriculum.remove'), 'aria-label': t('curriculum.remove_of', { title: name }),
        onclick: () => {
          modules.splice(i, 1);
          changed();
          draw('add-key');
        } });
      return h('tr', {},
        h('td', { class: 'num', text: String(i + 1) }),
        h('th', { scope: 'row' }, title),
        h('td', { text: m.module_key }),
        h('td', {}, kind),
        h('td', {}, half, m.kind === 'training' && m.half_days > 1 ? separate(m, name, changed) : null),
        h('td', {}, h('div', { class: 'row-actions' }, move(-1, 'up'), move(1, 'down'), remove)));
    });
    render(list, h('div', { class: 'table-wrap' }, h('table', { id: 'curriculum-table' },
      h('caption', { text: t('curriculum.caption') }),
      h('thead', {}, h('tr', {}, ['position', 'module', 'key', 'kind', 'half_days', 'actions'].map((k) => h('th', { scope: 'col', text: t(`curriculum.${k}`) })))),
      h('tbody', {}, rows))));
    if (focus) {
      const el = list.querySelector(`[data-focus="${focus}"]`) || document.getElementById(focus);
      if (el) el.focus();
    }
  }

  const key = h('input', { type: 'text', id: 'add-key', pattern: '[a-z][a-z0-9_]{0,63}', maxlength: '64' });
  const newTitle = h('input', { type: 'text', maxlength: '200' });
  const newKind = select([['training', label('kind', 'training')], ['gap_analysis', label('kind', 'gap_analysis')]], 'training');
  const newHalf = h('input', { type: 'number', min: '1', max: '8', value: '1' });
  const addErrors = h('div');
  const add = h('form', { class: 'grid-form', 'aria-label': t('curriculum.add') },
    field(t('curriculum.new_key'), key, t('curriculum.new_key_hint')), field(t('curriculum.new_title'), newTitle),
    field(t('curriculum.kind'), newKind), field(t('curriculum.half_days'), newHalf), addErrors,
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('curriculum.add_submit') })));
  add.addEventListener('submit', (e) => {
    e.preventDefault();
    clear(addErrors);
    if (!key.value.trim() || !newTitle.value.trim()) {
      showError({ message: t('curriculum.add_missing') }, addErrors);
      return;
    }
    const title = newTitle.value.trim();
    modules.push({ module_key: key.value.trim(), title, kind: newKind.value, half_days: Number(newHalf.value) });
    key.value = '';
    newTitle.value = '';
    changed();
    draw();
    notify(t('curriculum.added', { title }), 'info');
  });

  save.addEventListener('click', async () => {
    clear(errors);
    if (!modules.length) {
      showError({ message: t('curriculum.empty') }, errors);
      return;
    }
    try {
      await busy(save, t('common.saving'), () => put(`/v1/clusters/${clusterId}/curriculum`, { modules }));
    } catch (err) {
      showError(err, errors);
      return;
    }
    await settle(() => renderCurriculum(ctx), t('curriculum.saved'));
  });
  draw();
  return h('div', {}, list, dirty, errors, h('div', { class: 'actions' }, save), h('h3', { text: t('curriculum.add') }), add);
}

function settingsForm(ctx, clusterId, s) {
  const errors = h('div');
  const days = [1, 2, 3, 4, 5, 6, 7].map((d) => checkbox(label('weekday', d), (s.weekdays || []).includes(d), { value: String(d), name: 'weekday' }));
  const time = (v) => h('input', { type: 'time', value: v || '', required: true });
  const ms = time(s.morning_start);
  const me = time(s.morning_end);
  const as = time(s.afternoon_start);
  const ae = time(s.afternoon_end);
  const location = h('input', { type: 'text', value: s.location || '', maxlength: '300' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('settings.save') });
  const form = h('form', { class: 'grid-form', 'aria-label': t('settings.title') },
    h('fieldset', { class: 'radios' }, h('legend', { text: t('settings.weekdays') }), days),
    field(t('settings.morning_start'), ms), field(t('settings.morning_end'), me),
    field(t('settings.afternoon_start'), as), field(t('settings.afternoon_end'), ae),
    field(t('settings.location'), location),
    h('p', { class: 'hint', text: t('settings.cycle', { min: s.cycle_weeks_min, max: s.cycle_weeks_max, country: s.country, zone: s.time_zone }) }),
    errors, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    const weekdays = days.map((d) => d.querySelector('input')).filter((i) => i.checked).map((i) => Number(i.value));
    if (!weekdays.length) {
      showError({ message: t('settings.no_weekday') }, errors);
      return;
    }
    const body = { weekdays, morning_start: ms.value.slice(0, 5), morning_end: me.value.slice(0, 5), afternoon_start: as.value.slice(0, 5), afternoon_end: ae.value.slice(0, 5) };
    if (location.value.trim()) body.location = location.value.trim();
    try {
      await busy(submit, t('common.saving'), () => patch(`/v1/clusters/${clusterId}/planning-settings`, body));
    } catch (err) {
      showError(err, errors);
      return;
    }
    await settle(() => renderCurriculum(ctx), t('common.saved'));
  });
  return form;
}
