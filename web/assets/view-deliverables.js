// Member organisation: its deliverables (the documented information a certification needs) with
// status to do / drafted / approved and the approval date, each row edited and saved on its own.
// Also the effort log: hours of ISMS work per week with the organisation's totals, and for the
// coordinator the cluster's totals per organisation and per week.
import { get, patch, post, del, listAll } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, field, dataTable, badge, busy, showError, select, fmtDate, fmtNumber, todayIso, confirmDialog, settle } from './ui.js';

// ---- deliverables ---------------------------------------------------------------------------------

export async function renderDeliverables(ctx) {
  const e = ctx.enrolment();
  if (!e) throw new Error(t('app.no_enrolment'));
  const d = await get(`/v1/enrolments/${e.id}/deliverables`);
  const items = d.items || [];
  const count = (st) => items.filter((i) => i.status === st).length;
  render(ctx.main,
    h('h1', { text: t('deliverables.title', { name: ctx.state.me.organisation.name }) }),
    h('p', { class: 'lead', text: t('deliverables.lead') }),
    h('p', { class: 'strong', id: 'deliverables-summary', text: t('deliverables.summary', { approved: count('approved'), drafted: count('drafted'), todo: count('todo') }) }),
    dataTable({
      caption: t('deliverables.caption'),
      columns: [
        { label: t('deliverables.deliverable'), value: (x) => x.title },
        { label: t('deliverables.reference'), value: (x) => x.reference },
        { label: t('deliverables.due'), value: (x) => h('span', {}, fmtDate(x.due_date), x.overdue ? [' ', badge(t('deliverables.overdue'), 'error')] : null) },
        { label: t('deliverables.status'), value: (x) => editor(ctx, e.id, x) },
      ],
      rows: items,
      empty: t('deliverables.none'),
    }),
  );
}

/** Status, approval date and Save for one deliverable; the API's refusal appears under it. */
function editor(ctx, enrolmentId, x) {
  const errors = h('div');
  const status = select(['todo', 'drafted', 'approved'].map((s) => [s, label('deliverable', s)]), x.status,
    { 'aria-label': t('deliverables.status_of', { title: x.title }) });
  const approved = h('input', { type: 'date', value: x.approved_on || '', max: todayIso(), disabled: x.status !== 'approved',
    'aria-label': t('deliverables.approved_on_of', { title: x.title }) });
  status.addEventListener('change', () => {
    approved.disabled = status.value !== 'approved';
    if (!approved.disabled && !approved.value) approved.value = todayIso();
  });
  const save = h('button', { type: 'button', class: 'small', text: t('common.save'), 'aria-label': t('deliverables.save_of', { title: x.title }) });
  save.addEventListener('click', async () => {
    clear(errors);
    const item = { deliverable: x.deliverable, status: status.value };
    if (status.value === 'approved') item.approved_on = approved.value || null;
    try {
      await busy(save, t('common.saving'), () => patch(`/v1/enrolments/${enrolmentId}/deliverables`, { items: [item] }));
    } catch (err) {
      showError(err, errors);
      return;
    }
    await settle(() => renderDeliverables(ctx), t('deliverables.saved', { title: x.title }));
  });
  return h('div', { class: 'row-actions' }, status, approved, save, errors);
}

// ---- effort ---------------------------------------------------------------------------------------

const hours = (n) => t('effort.hours_value', { n: fmtNumber(n, 2) });

export async function renderEffort(ctx) {
  const e = ctx.enrolment();
  if (!e) throw new Error(t('app.no_enrolment'));
  const [entries, totals] = await Promise.all([listAll(`/v1/enrolments/${e.id}/effort-entries`), get(`/v1/enrolments/${e.id}/effort`)]);
  const me = ctx.state.me.user.id;
  render(ctx.main,
    h('h1', { text: t('effort.title', { name: ctx.state.me.organisation.name }) }),
    h('p', { class: 'lead', text: t('effort.lead') }),
    section(t('effort.record'), effortForm(ctx, e.id)),
    section(t('effort.totals'), h('dl', { class: 'totals', id: 'effort-totals' },
      h('dt', { text: t('effort.total_hours') }), h('dd', { text: hours(totals.total_hours) }),
      h('dt', { text: t('effort.weeks_reported') }), h('dd', { text: String(totals.weeks_reported) })),
    weekTable(totals.weeks || [], 'people')),
    section(t('effort.entries'), dataTable({
      caption: t('effort.entries_caption'),
      columns: [
        { label: t('effort.week_of'), value: (x) => fmtDate(x.week_start) },
        { label: t('effort.person'), value: (x) => x.user_name || '' },
        { label: t('effort.hours'), value: (x) => hours(x.hours), class: 'num' },
        { label: t('effort.note'), value: (x) => x.note || '' },
        { label: t('effort.actions'), value: (x) => (x.user_id === me ? removeButton(ctx, x) : '') },
      ],
      rows: entries,
      empty: t('effort.none'),
    })),
  );
}

function weekTable(weeks, countKey) {
  return dataTable({
    caption: t('effort.weeks_caption'),
    columns: [
      { label: t('effort.week_of'), value: (w) => fmtDate(w.week_start) },
      { label: t('effort.hours'), value: (w) => hours(w.hours), class: 'num' },
      { label: countKey === 'people' ? t('effort.people') : t('effort.organisations'), value: (w) => String(w[countKey] ?? ''), class: 'num' },
    ],
    rows: weeks.slice().sort((a, b) => b.week_start.localeCompare(a.week_start)),
    empty: t('effort.none'),
  });
}

function effortForm(ctx, enrolmentId) {
  const errors = h('div');
  const week = h('input', { type: 'date', name: 'week_start', value: todayIso(), max: todayIso(), required: true });
  const hrs = h('input', { type: 'number', name: 'hours', min: '0', max: '100', step: '0.25', required: true });
  const note = h('input', { type: 'text', name: 'note', maxlength: '1000' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('effort.submit') });
  const form = h('form', { class: 'grid-form', 'aria-label': t('effort.record') },
    field(t('effort.week'), week, t('effort.week_hint')), field(t('effort.hours'), hrs, t('effort.hours_hint')),
    field(t('effort.note'), note), errors, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(errors);
    if (hrs.value === '' || !week.value) {
      showError({ message: t('effort.hours_missing') }, errors);
      hrs.focus();
      return;
    }
    const body = { week_start: week.value, minutes: Math.round(Number(hrs.value) * 60) };
    if (note.value.trim()) body.note = note.value.trim();
    try {
      await busy(submit, t('common.saving'), () => post(`/v1/enrolments/${enrolmentId}/effort-entries`, body));
    } catch (err) {
      showError(err, errors);
      return;
    }
    await settle(() => renderEffort(ctx), t('effort.recorded'));
  });
  return form;
}

function removeButton(ctx, x) {
  const errors = h('div');
  const b = h('button', { type: 'button', class: 'small', text: t('effort.remove'), 'aria-label': t('effort.remove_of', { date: fmtDate(x.week_start) }) });
  b.addEventListener('click', async () => {
    if (!(await confirmDialog(t('effort.remove_confirm'), t('effort.remove')))) return;
    try {
      await busy(b, t('common.saving'), () => del(`/v1/effort-entries/${x.id}`));
    } catch (err) {
      showError(err, errors);
      return;
    }
    await settle(() => renderEffort(ctx), t('effort.removed'));
  });
  return h('div', {}, b, errors);
}

export async function renderClusterEffort(ctx) {
  const c = await get(`/v1/clusters/${ctx.cluster().cluster_id}/effort`);
  render(ctx.main,
    h('h1', { text: t('effort.cluster_title') }),
    h('p', { class: 'lead', text: t('effort.cluster_lead') }),
    h('dl', { class: 'totals' }, h('dt', { text: t('effort.total_hours') }), h('dd', { text: hours(c.total_hours) })),
    section(t('effort.organisations'), dataTable({
      caption: t('effort.per_org_caption'),
      columns: [
        { label: t('effort.organisation'), value: (o) => o.organisation_name },
        { label: t('effort.hours'), value: (o) => hours(o.total_hours), class: 'num' },
        { label: t('effort.weeks_reported'), value: (o) => String(o.weeks_reported), class: 'num' },
      ],
      rows: c.organisations || [],
    })),
    section(t('effort.weeks'), weekTable(c.weeks || [], 'organisations')),
  );
}
