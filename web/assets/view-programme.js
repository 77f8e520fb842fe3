// Coordinator: the programme as a calendar (months of days with trainings, gap analyses and each
// organisation's coaching; unavailability and holidays shaded; conflicts highlighted) or as a list,
// and planning: preview the scheduler's plan (what is kept, moved, new, cancelled, or why no plan
// exists), then apply it.
import { post } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, dataTable, badge, busy, showError, fmtDate, fmtDay, fmtSlot, fmtMonth, addDays, parseDay, radios, settle } from './ui.js';
import { loadProgramme, unavailableDays } from './programme-data.js';

export async function renderProgramme(ctx) {
  const clusterId = ctx.cluster().cluster_id;
  const data = await loadProgramme(clusterId);
  const view = h('div', { id: 'programme-view' });
  const mode = radios(t('programme.show_as'), 'programme-mode', [['calendar', t('programme.calendar')], ['list', t('programme.list')]], ctx.params.view === 'list' ? 'list' : 'calendar');
  const draw = () => render(view, mode.value() === 'list' ? listView(data) : calendarView(data));
  mode.el.addEventListener('change', draw);
  draw();
  render(ctx.main, 
    h('h1', { text: t('programme.title') }),
    h('p', { class: 'lead', text: t('programme.lead', { name: data.cluster.name, from: fmtDate(data.cluster.start_date), to: fmtDate(data.cluster.target_end_date) }) }),
    conflictSummary(data),
    section(t('programme.plan'), planPanel(ctx, clusterId)),
    section(t('programme.sessions'), legend(), mode.el, view),
  );
}

function conflictSummary(data) {
  if (!data.conflicts.size) return h('div', { class: 'alert alert-success', role: 'status' }, h('p', { text: t('programme.no_conflicts') }));
  const items = data.sessions.filter((s) => data.conflicts.has(s.id)).map((s) =>
    h('li', {}, t('programme.conflict_item', {
      title: s.title || label('kind', s.kind), date: fmtDay(s.date), slot: label('slot', s.slot),
      who: data.conflicts.get(s.id).map((u) => data.names.get(u.user_id || u.organisation_id) || '').join(', '),
    })));
  return h('div', { class: 'alert alert-error', role: 'alert', id: 'conflicts' },
    h('p', { class: 'strong', text: t('programme.conflicts', { n: data.conflicts.size }) }), h('ul', {}, items),
    h('p', { text: t('programme.conflicts_hint') }));
}

function legend() {
  return h('ul', { class: 'legend' },
    h('li', {}, h('span', { class: 'chip chip-training', text: label('kind', 'training') })),
    h('li', {}, h('span', { class: 'chip chip-gap_analysis', text: label('kind', 'gap_analysis') })),
    h('li', {}, h('span', { class: 'chip chip-coaching', text: label('kind', 'coaching') })),
    h('li', {}, h('span', { class: 'day-sample unavailable', text: t('programme.unavailable') })),
    h('li', {}, h('span', { class: 'day-sample holiday', text: t('programme.holiday') })),
    h('li', {}, h('span', { class: 'chip chip-conflict', text: t('programme.conflict') })));
}

function chip(s, data) {
  const conflict = data.conflicts.has(s.id);
  const time = s.half_days === 2 ? t('programme.day') : s.slot === 'afternoon' ? t('programme.pm') : t('programme.am');
  const short = s.kind === 'training' ? label('module', s.module_key) : s.organisation_name || '';
  const full = `${label('kind', s.kind)}: ${s.title || ''}${s.kind === 'training' ? '' : ` · ${s.organisation_name || ''}`}`;
  return h('li', { class: ['chip', `chip-${s.kind}`, conflict && 'chip-conflict', s.status === 'cancelled' && 'chip-cancelled'], title: `${time} ${full}` },
    h('span', { class: 'sr-only', text: `${conflict ? t('programme.conflict') + ': ' : ''}${label('kind', s.kind)}: ` }), `${time} ${short}`);
}

function calendarView(data) {
  const byDay = new Map();
  for (const s of data.sessions) {
    if (!byDay.has(s.date)) byDay.set(s.date, []);
    byDay.get(s.date).push(s);
  }
  const unav = unavailableDays(data.unavailability, data.names);
  const months = [];
  for (let m = data.from.slice(0, 7) + '-01'; m <= data.to; m = nextMonth(m)) months.push(m);
  return h('div', { class: 'months' }, months.map((m) => monthGrid(m, byDay, unav, data)));
}

function nextMonth(iso) {
  const d = parseDay(iso);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString().slice(0, 10);
}

function monthGrid(first, byDay, unav, data) {
  const offset = (parseDay(first).getUTCDay() + 6) % 7;
  const cells = [];
  for (let i = 0; i < offset; i++) cells.push(h('div', { class: 'day empty', 'aria-hidden': 'true' }));
  for (let d = first; d.slice(0, 7) === first.slice(0, 7); d = addDays(d, 1)) {
    const sessions = byDay.get(d) || [];
    const away = unav.get(d) || [];
    const holiday = data.holidays.get(d);
    const notes = [
      holiday ? t('programme.holiday_named', { name: holiday }) : null,
      ...away.map((a) => t('programme.away', { who: a.who, reason: a.reason || '' })),
    ].filter(Boolean);
    cells.push(h('div', { class: ['day', away.length && 'unavailable', holiday && 'holiday', sessions.some((s) => data.conflicts.has(s.id)) && 'conflict'], title: notes.join('\n') || null },
      h('span', { class: 'day-number', text: String(Number(d.slice(8))) }),
      notes.length ? h('span', { class: 'sr-only', text: notes.join('; ') }) : null,
      sessions.length ? h('ul', { class: 'chips' }, sessions.map((s) => chip(s, data))) : null));
  }
  const weekdays = t('programme.weekdays').split(',');
  return h('section', { class: 'month', 'aria-label': fmtMonth(first) },
    h('h3', { text: fmtMonth(first) }),
    h('div', { class: 'weekdays', 'aria-hidden': 'true' }, weekdays.map((w) => h('span', { text: w }))),
    h('div', { class: 'days' }, cells));
}

function listView(data) {
  return dataTable({
    caption: t('programme.list_caption'),
    columns: [
      { label: t('programme.date'), value: (s) => fmtDay(s.date) },
      { label: t('programme.slot'), value: (s) => fmtSlot(s.slot, s.half_days) },
      { label: t('programme.kind'), value: (s) => label('kind', s.kind) },
      { label: t('programme.what'), value: (s) => s.title || '' },
      { label: t('programme.organisation'), value: (s) => (s.kind === 'training' ? t('programme.everyone') : s.organisation_name || '') },
      { label: t('programme.status'), value: (s) => label('session', s.status) },
      { label: t('programme.conflict'), value: (s) => (data.conflicts.has(s.id)
        ? badge(t('programme.conflict_with', { who: data.conflicts.get(s.id).map((u) => data.names.get(u.user_id || u.organisation_id)).join(', ') }), 'error') : '') },
    ],
    rows: data.sessions,
    rowClass: (s) => (data.conflicts.has(s.id) ? 'row-conflict' : null),
  });
}

// ---- planning -------------------------------------------------------------------------------------

function planPanel(ctx, clusterId) {
  const out = h('div', { id: 'plan-result', 'aria-live': 'polite' });
  const preview = h('button', { type: 'button', class: 'primary', text: t('programme.preview') });
  preview.addEventListener('click', async () => {
    clear(out);
    try {
      const plan = await busy(preview, t('programme.planning'), () => post(`/v1/clusters/${clusterId}/plan`));
      out.append(planResult(ctx, clusterId, plan));
    } catch (err) {
      showError(err, out);
    }
  });
  return h('div', {}, h('p', { text: t('programme.plan_lead') }), h('div', { class: 'actions' }, preview), out);
}

function planResult(ctx, clusterId, plan) {
  if (!plan.feasible) return explanation(plan);
  const s = plan.summary || {};
  const changed = (plan.sessions || []).filter((x) => x.change !== 'kept');
  const apply = h('button', { type: 'button', class: 'primary', text: t('programme.apply') });
  const errors = h('div');
  apply.addEventListener('click', async () => {
    clear(errors);
    try {
      const res = await busy(apply, t('programme.applying'), () => post(`/v1/clusters/${clusterId}/plan/apply`, { plan_version: plan.plan_version }));
      await settle(() => renderProgramme(ctx), t('programme.applied', { created: res.created ?? 0, moved: res.moved ?? 0, cancelled: res.cancelled ?? 0, coaching: res.coaching_booked ?? 0 }));
    } catch (err) {
      showError(err, errors);
    }
  });
  return h('div', { class: 'plan' },
    h('p', { class: 'strong', text: t('programme.plan_summary', { sessions: s.sessions ?? 0, created: s.created ?? 0, moved: s.moved ?? 0, kept: s.kept ?? 0, cancelled: s.cancelled ?? 0, end: fmtDate(plan.completion_date) }) }),
    h('p', { text: t('programme.plan_coaching', { planned: s.coaching_planned ?? 0, unplaced: s.coaching_unplaced ?? 0 }) }),
    (plan.warnings || []).length ? h('ul', { class: 'warnings' }, plan.warnings.map((w) => h('li', { text: w }))) : null,
    dataTable({
      caption: t('programme.changes'),
      columns: [
        { label: t('programme.change'), value: (x) => badge(label('change', x.change), x.change === 'moved' ? 'warning' : 'info') },
        { label: t('programme.what'), value: what },
        { label: t('programme.who'), value: who },
        { label: t('programme.from'), value: (x) => (x.previous ? `${fmtDay(x.previous.date)} ${fmtSlot(x.previous.slot, x.previous.half_days)}` : '—') },
        { label: t('programme.to'), value: (x) => `${fmtDay(x.date)} ${fmtSlot(x.slot, x.half_days)}` },
      ],
      rows: changed,
      empty: t('programme.nothing_changes'),
    }),
    (plan.cancelled || []).length ? dataTable({
      caption: t('programme.cancelled', { n: plan.cancelled.length }),
      columns: [
        { label: t('programme.what'), value: what },
        { label: t('programme.who'), value: who },
        { label: t('programme.date'), value: (x) => `${fmtDay(x.date)} ${fmtSlot(x.slot, x.half_days)}` },
      ],
      rows: plan.cancelled,
    }) : null,
    errors,
    h('div', { class: 'actions' }, apply));
}

// What a change or cancellation is about, and whom it affects: the organisation (everyone for a
// training), the trainer, the coach.
function what(x) {
  return x.kind === 'training' ? x.title || '' : `${label('kind', x.kind)}${x.title ? ` (${x.title})` : ''}`;
}

function who(x) {
  const org = x.kind === 'training' ? t('programme.everyone') : x.organisation_name || '';
  const staff = [x.trainer_name && t('programme.trainer_named', { name: x.trainer_name }), x.coach_name && t('programme.coach_named', { name: x.coach_name })];
  return [org, ...staff].filter(Boolean).join(' · ');
}

function explanation(plan) {
  const e = plan.explanation || {};
  return h('div', { class: 'alert alert-warning explanation', role: 'alert' },
    h('p', { class: 'strong', text: t('programme.no_plan') }),
    h('p', { text: e.message || '' }),
    e.window_from ? h('p', { text: t('programme.window', { from: fmtDate(e.window_from), to: fmtDate(e.window_to) }) }) : null,
    (e.constraints || []).length ? h('div', {}, h('h3', { text: t('programme.constraints') }), h('ul', {}, e.constraints.map((c) => h('li', { text: c.text })))) : null,
    (e.relaxations || []).length ? h('div', {}, h('h3', { text: t('programme.relaxations') }), h('ul', {}, e.relaxations.map((r) => h('li', { text: r.text })))) : null);
}
