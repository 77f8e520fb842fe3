// Coaching. Coordinator: every organisation's budget in the cluster with its burn-down chart and
// the ceiling decision. Coach: assignments across clusters (remaining budget, next sessions), and
// per organisation the ledger: log a session (booked, and marked done when it was held), complete
// or cancel planned ones, and watch the budget go down.
import { api, get, post, put, listAll } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, field, dataTable, badge, busy, showError, select, checkbox, fmtDate, fmtDay, todayIso, confirmDialog, settle } from './ui.js';
import { lineChart, bar } from './charts.js';

const MODULES = ['initial_training', 'gap_analysis', 'scope_policy_assets', 'risk_assessment', 'risk_treatment', 'document_management',
  'security_measures', 'human_resources', 'incident_management', 'management_review', 'audit'];

function alerts(list) {
  if (!list || !list.length) return null;
  return h('ul', { class: 'alerts' }, list.map((a) => h('li', { class: `level-${a.level}` }, badge(label('level', a.level), a.level === 'critical' ? 'error' : a.level === 'warning' ? 'warning' : 'info'), ' ', a.message)));
}

function budgetSummary(b) {
  return h('div', { class: 'budget' },
    h('p', { class: 'budget-figures' },
      h('span', { class: 'remaining', 'data-remaining': String(b.remaining_half_days), text: t('coaching.remaining', { n: b.remaining_half_days }) }),
      ' ', t('coaching.of_ceiling', { ceiling: b.ceiling_half_days, delivered: b.delivered_half_days, planned: b.planned_half_days })),
    bar(b.used_percent, t('coaching.used')),
    b.estimate_half_days !== null && b.estimate_half_days !== undefined ? h('p', { class: 'hint', text: t('coaching.estimate', { n: b.estimate_half_days, status: label('gap', b.estimate_status) }) }) : null,
    alerts(b.alerts));
}

function burndownChart(bd, name) {
  return lineChart({
    title: t('coaching.burndown_title', { name }),
    summary: t('coaching.burndown_summary', { remaining: bd.remaining_half_days, ceiling: bd.ceiling_half_days, date: fmtDate(bd.forecast.run_out_date) }),
    x: bd.weeks.map((w) => w.week_start),
    series: [
      { label: t('coaching.to_deliver'), values: bd.weeks.map((w) => w.remaining_half_days) },
      { label: t('coaching.unbooked'), values: bd.weeks.map((w) => w.unbooked_half_days), dash: true },
    ],
    yLabel: t('coaching.half_days'),
    yMax: bd.ceiling_half_days,
    marker: bd.forecast.as_of,
  });
}

function forecastText(f) {
  const key = `coaching.forecast_${f.status}`;
  return h('p', { class: 'forecast', text: t(key, { date: fmtDate(f.run_out_date), pace: f.pace_half_days_per_week ?? 0, end: fmtDate(f.programme_end) }) });
}

// ---- coordinator ----------------------------------------------------------------------------------

export async function renderBudgets(ctx) {
  const clusterId = ctx.cluster().cluster_id;
  const budgets = await listAll(`/v1/clusters/${clusterId}/coaching-budgets`);
  const charts = await Promise.all(budgets.map((b) => get(`/v1/enrolments/${b.enrolment_id}/coaching-burndown`)));
  render(ctx.main, 
    h('h1', { text: t('coaching.budgets_title') }),
    section(t('coaching.overview'), dataTable({
      caption: t('coaching.overview_caption'),
      columns: [
        { label: t('coaching.organisation'), value: (b) => b.organisation_name },
        { label: t('coaching.ceiling'), value: (b) => `${b.ceiling_half_days}${b.ceiling_source === 'enrolment' ? ' *' : ''}`, class: 'num' },
        { label: t('coaching.delivered'), value: (b) => String(b.delivered_half_days), class: 'num' },
        { label: t('coaching.planned'), value: (b) => String(b.planned_half_days), class: 'num' },
        { label: t('coaching.remaining_col'), value: (b) => String(b.remaining_half_days), class: 'num' },
        { label: t('coaching.used'), value: (b) => bar(b.used_percent, t('coaching.used_of', { name: b.organisation_name })) },
        { label: t('coaching.alerts'), value: (b) => alerts(b.alerts) || '' },
      ],
      rows: budgets,
    }), h('p', { class: 'hint', text: t('coaching.own_ceiling_note') })),
    budgets.map((b, i) => section(b.organisation_name, burndownChart(charts[i], b.organisation_name), forecastText(charts[i].forecast), ceilingForm(ctx, b))),
  );
}

function ceilingForm(ctx, b) {
  const errors = h('div');
  const ceiling = h('input', { type: 'number', min: '0', max: '200', value: b.ceiling_half_days, name: 'ceiling_half_days' });
  const reason = h('input', { type: 'text', name: 'reason', minlength: '3' });
  const save = h('button', { type: 'submit', text: t('coaching.set_ceiling') });
  const form = h('form', { class: 'inline-form' }, field(t('coaching.new_ceiling'), ceiling), field(t('coaching.reason'), reason, t('coaching.reason_hint')), errors, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await busy(save, t('common.saving'), () => put(`/v1/enrolments/${b.enrolment_id}/coaching-budget/ceiling`, { ceiling_half_days: Number(ceiling.value), reason: reason.value.trim() }));
      await settle(() => renderBudgets(ctx), t('common.saved'));
    } catch (err) {
      showError(err, errors);
    }
  });
  return h('details', {}, h('summary', { text: t('coaching.change_ceiling', { name: b.organisation_name }) }), form);
}

// ---- coach ----------------------------------------------------------------------------------------

export async function renderCoach(ctx) {
  const items = await listAll('/v1/me/coaching-assignments');
  render(ctx.main, 
    h('h1', { text: t('coaching.assignments_title') }),
    h('p', { class: 'lead', text: t('coaching.assignments_lead') }),
    dataTable({
      caption: t('coaching.assignments_caption'),
      columns: [
        { label: t('coaching.organisation'), value: (a) => h('a', { href: `#/enrolment/${a.enrolment_id}`, text: a.organisation_name }) },
        { label: t('coaching.cluster'), value: (a) => a.cluster_name },
        { label: t('coaching.remaining_col'), value: (a) => h('span', {}, t('coaching.remaining_short', { n: a.budget.remaining_half_days, ceiling: a.budget.ceiling_half_days }), bar(a.budget.used_percent, t('coaching.used_of', { name: a.organisation_name })), alerts(a.budget.alerts)) },
        { label: t('coaching.next_sessions'), value: (a) => (a.next_sessions.length ? h('ul', { class: 'compact' }, a.next_sessions.map((s) => h('li', { text: `${fmtDay(s.session_date)} ${label('slot', s.slot)}: ${s.topic}` }))) : t('coaching.none_planned')) },
        { label: t('coaching.open'), value: (a) => h('ul', { class: 'links' },
          h('li', {}, h('a', { href: `#/enrolment/${a.enrolment_id}`, text: t('coaching.log_for', { name: a.organisation_name }) })),
          h('li', {}, h('a', { href: `#/gap/${a.enrolment_id}`, text: t('coaching.gap_for', { name: a.organisation_name }) })),
          h('li', {}, h('a', { href: `#/soa/${a.enrolment_id}`, text: t('coaching.soa_for', { name: a.organisation_name }) })),
          h('li', {}, h('a', { href: `#/dashboard/${a.enrolment_id}`, text: t('coaching.progress_for', { name: a.organisation_name }) }))) },
      ],
      rows: items,
      empty: t('coaching.no_assignments'),
    }),
  );
}

export async function renderEnrolmentCoaching(ctx) {
  const id = ctx.params.id;
  const [budget, ledger, bd] = await Promise.all([
    get(`/v1/enrolments/${id}/coaching-budget`),
    listAll(`/v1/enrolments/${id}/coaching-sessions`),
    get(`/v1/enrolments/${id}/coaching-burndown`),
  ]);
  const reload = () => renderEnrolmentCoaching(ctx);
  render(ctx.main, 
    h('h1', { text: t('coaching.enrolment_title', { name: budget.organisation_name }) }),
    section(t('coaching.budget'), budgetSummary(budget)),
    section(t('coaching.log'), logForm(id, reload)),
    section(t('coaching.ledger'), ledgerTable(ledger, reload)),
    section(t('coaching.burndown'), burndownChart(bd, budget.organisation_name), forecastText(bd.forecast)),
  );
}

function logForm(enrolmentId, reload) {
  const errors = h('div');
  const date = h('input', { type: 'date', name: 'session_date', value: todayIso(), required: true });
  const slot = select([['morning', label('slot', 'morning')], ['afternoon', label('slot', 'afternoon')]], 'morning', { name: 'slot' });
  const halfDays = select([['1', t('coaching.one_half_day')], ['2', t('coaching.whole_day')]], '1', { name: 'half_days' });
  const topic = h('input', { type: 'text', name: 'topic', maxlength: '200', required: true });
  const module = select([['', t('coaching.no_module')], ...MODULES.map((m) => [m, label('module', m)])], '', { name: 'module_key' });
  const notes = h('textarea', { name: 'notes', rows: '3' });
  const held = checkbox(t('coaching.held'), true, { name: 'held' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('coaching.log_submit') });
  const form = h('form', { class: 'grid-form', 'aria-label': t('coaching.log') },
    field(t('coaching.date'), date), field(t('coaching.slot'), slot), field(t('coaching.length'), halfDays),
    field(t('coaching.topic'), topic), field(t('coaching.module'), module), field(t('coaching.notes'), notes), held, errors,
    h('div', { class: 'actions' }, submit));
  let key = crypto.randomUUID();
  form.addEventListener('input', () => {
    key = crypto.randomUUID();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    if (!topic.value.trim()) {
      showError({ message: t('coaching.topic_missing') }, errors);
      topic.focus();
      return;
    }
    const body = { session_date: date.value, slot: slot.value, half_days: Number(halfDays.value), topic: topic.value.trim() };
    if (module.value) body.module_key = module.value;
    if (notes.value.trim()) body.notes = notes.value.trim();
    try {
      await busy(submit, t('coaching.logging'), async () => {
        const s = await api('POST', `/v1/enrolments/${enrolmentId}/coaching-sessions`, body, { 'Idempotency-Key': key });
        if (held.querySelector('input').checked) await post(`/v1/coaching-sessions/${s.id}/complete`);
      });
      await settle(() => reload(), t('coaching.logged'));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

function ledgerTable(ledger, reload) {
  const today = todayIso();
  return dataTable({
    caption: t('coaching.ledger_caption'),
    columns: [
      { label: t('coaching.date'), value: (s) => `${fmtDay(s.session_date)} ${label('slot', s.slot)}` },
      { label: t('coaching.topic'), value: (s) => s.topic },
      { label: t('coaching.length'), value: (s) => (s.half_days === 2 ? t('coaching.whole_day') : t('coaching.one_half_day')) },
      { label: t('coaching.status'), value: (s) => badge(label('coaching_status', s.status), s.status === 'done' ? 'ok' : s.status === 'cancelled' ? 'neutral' : 'info') },
      { label: t('coaching.actions'), value: (s) => sessionActions(s, today, reload) },
    ],
    rows: ledger.slice().reverse(),
    empty: t('coaching.no_sessions'),
  });
}

function sessionActions(s, today, reload) {
  if (s.status !== 'planned') return '';
  const errors = h('div');
  const done = h('button', { type: 'button', text: t('coaching.mark_done'), disabled: s.session_date > today, 'aria-label': t('coaching.mark_done_of', { topic: s.topic, date: fmtDate(s.session_date) }) });
  const cancel = h('button', { type: 'button', text: t('coaching.cancel'), 'aria-label': t('coaching.cancel_of', { topic: s.topic, date: fmtDate(s.session_date) }) });
  done.addEventListener('click', async () => {
    try {
      await busy(done, t('common.saving'), () => post(`/v1/coaching-sessions/${s.id}/complete`));
      reload();
    } catch (err) {
      showError(err, errors);
    }
  });
  cancel.addEventListener('click', async () => {
    if (!(await confirmDialog(t('coaching.cancel_confirm', { topic: s.topic }), t('coaching.cancel')))) return;
    try {
      await busy(cancel, t('common.saving'), () => post(`/v1/coaching-sessions/${s.id}/cancel`, {}));
      reload();
    } catch (err) {
      showError(err, errors);
    }
  });
  return h('div', { class: 'row-actions' }, done, cancel, errors);
}
