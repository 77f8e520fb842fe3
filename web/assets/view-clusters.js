// Coordinator: the clusters they coordinate (size warning of the method's 3–5), the cluster's
// settings, its member organisations with the admission criteria (what is missing, admit,
// withdraw), enrolling or creating a member organisation, and the cluster's staff.
import { get, post, patch, listAll } from './api.js';
import { t, label } from './strings.js';
import { h, render, section, field, dataTable, badge, busy, showError, notify, formValues, compact, confirmDialog, checkbox, select, fmtDate, settle } from './ui.js';

export async function renderClusters(ctx) {
  const clusters = await listAll('/v1/clusters');
  const coordinated = ctx.state.me.clusters.filter((c) => c.roles.includes('coordinator')).map((c) => c.cluster_id);
  const mine = clusters.filter((c) => coordinated.includes(c.id));
  const current = mine.find((c) => c.id === ctx.cluster().cluster_id) || mine[0];
  const [enrolments, staff, orgs] = current
    ? await Promise.all([
        listAll(`/v1/clusters/${current.id}/enrolments`),
        get(`/v1/clusters/${current.id}/staff`),
        listAll('/v1/organisations'),
      ])
    : [[], { items: [] }, []];
  const refresh = () => renderClusters(ctx);
  render(ctx.main, 
    h('h1', { text: t('clusters.title') }),
    section(t('clusters.list'), clusterList(mine, current)),
    current ? sizeWarning(current) : null,
    current ? section(t('clusters.members', { name: current.name }), enrolmentTable(enrolments, refresh), enrolForm(current, orgs, enrolments, refresh)) : null,
    current ? section(t('clusters.settings'), settingsForm(current, refresh)) : null,
    current ? section(t('clusters.staff'), staffTable(staff.items)) : null,
    section(t('clusters.create'), createForm(ctx)),
  );
}

function clusterList(clusters, current) {
  return dataTable({
    caption: t('clusters.list_caption'),
    columns: [
      { label: t('clusters.name'), value: (c) => c.name },
      { label: t('clusters.period'), value: (c) => `${fmtDate(c.start_date)} – ${fmtDate(c.target_end_date)}` },
      { label: t('clusters.admitted'), value: (c) => String(c.admitted_count), class: 'num' },
      { label: t('clusters.size'), value: (c) => (c.size_warning ? badge(t('clusters.size_outside'), 'warning') : badge(t('clusters.size_ok'), 'ok')) },
      { label: t('clusters.in_view'), value: (c) => (c.id === current.id ? badge(t('clusters.current'), 'info') : '') },
    ],
    rows: clusters,
    empty: t('clusters.none'),
  });
}

function sizeWarning(c) {
  if (!c.size_warning) return null;
  return h('div', { class: 'alert alert-warning', role: 'note' }, h('p', { class: 'strong', text: t('clusters.size_warning_title') }), h('p', { text: c.size_warning }));
}

function criteriaCell(e) {
  const c = e.criteria;
  const items = [
    ['employee_count', c.employee_count === null ? t('common.unknown') : t('clusters.employees', { n: c.employee_count })],
    ['sme', c.sme === null ? t('common.unknown') : c.sme ? t('clusters.sme_yes') : t('clusters.sme_no')],
    ['management_commitment', c.management_commitment_by ? t('clusters.commitment', { by: c.management_commitment_by, at: fmtDate(c.management_commitment_at) }) : t('clusters.commitment_missing')],
    ['human_resources_confirmed', c.human_resources_confirmed ? t('clusters.hr_yes') : t('clusters.hr_no')],
    ['financial_resources_confirmed', c.financial_resources_confirmed ? t('clusters.fin_yes') : t('clusters.fin_no')],
  ];
  return h('ul', { class: 'criteria' }, items.map(([key, text]) =>
    h('li', { class: e.missing_criteria.includes(key) ? 'missing' : 'met' }, h('span', { class: 'sr-only', text: e.missing_criteria.includes(key) ? t('clusters.missing') : t('clusters.met') }), text)));
}

function enrolmentTable(enrolments, refresh) {
  return dataTable({
    caption: t('clusters.members_caption'),
    columns: [
      { label: t('clusters.organisation'), value: (e) => e.organisation_name || e.organisation_id },
      { label: t('clusters.status'), value: (e) => badge(label('enrolment', e.status), e.status === 'admitted' ? 'ok' : e.status === 'applied' ? 'info' : 'neutral') },
      { label: t('clusters.criteria'), value: criteriaCell },
      { label: t('clusters.actions'), value: (e) => enrolmentActions(e, refresh) },
    ],
    rows: enrolments,
    empty: t('clusters.no_members'),
  });
}

function enrolmentActions(e, refresh) {
  const out = h('div', { class: 'row-actions' });
  const errors = h('div');
  if (e.status === 'applied' || e.status === 'admitted') {
    const edit = h('details', {}, h('summary', { text: t('clusters.edit_criteria', { name: e.organisation_name }) }), criteriaForm(e, refresh));
    out.append(edit);
  }
  if (e.status === 'applied') {
    const admit = h('button', { type: 'button', class: 'primary', text: t('clusters.admit') });
    admit.addEventListener('click', async () => {
      try {
        await busy(admit, t('clusters.admitting'), () => post(`/v1/enrolments/${e.id}/admit`));
        await settle(() => refresh(), t('clusters.admitted_ok', { name: e.organisation_name }));
      } catch (err) {
        showError(err, errors);
      }
    });
    out.append(admit);
  }
  if (e.status === 'applied' || e.status === 'admitted') {
    const withdraw = h('button', { type: 'button', text: t('clusters.withdraw') });
    withdraw.addEventListener('click', async () => {
      if (!(await confirmDialog(t('clusters.withdraw_confirm', { name: e.organisation_name }), t('clusters.withdraw')))) return;
      try {
        await busy(withdraw, t('common.saving'), () => post(`/v1/enrolments/${e.id}/withdraw`));
        refresh();
      } catch (err) {
        showError(err, errors);
      }
    });
    out.append(withdraw);
  }
  out.append(errors);
  return out;
}

function criteriaForm(e, refresh) {
  const c = e.criteria;
  const errors = h('div');
  const save = h('button', { type: 'submit', class: 'primary', text: t('common.save') });
  const form = h(
    'form',
    { class: 'inline-form' },
    field(t('clusters.employee_count'), h('input', { type: 'number', name: 'employee_count', min: '1', value: c.employee_count ?? '' })),
    field(t('clusters.commitment_by'), h('input', { type: 'text', name: 'management_commitment_by', value: c.management_commitment_by ?? '' })),
    field(t('clusters.commitment_at'), h('input', { type: 'date', name: 'management_commitment_at', value: c.management_commitment_at ?? '' })),
    checkbox(t('clusters.hr_confirmed'), c.human_resources_confirmed, { name: 'human_resources_confirmed' }),
    checkbox(t('clusters.fin_confirmed'), c.financial_resources_confirmed, { name: 'financial_resources_confirmed' }),
    errors,
    h('div', { class: 'actions' }, save),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await busy(save, t('common.saving'), () => patch(`/v1/enrolments/${e.id}`, formValues(form)));
      await settle(() => refresh(), t('common.saved'));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

function enrolForm(cluster, orgs, enrolments, refresh) {
  const enrolled = new Set(enrolments.map((e) => e.organisation_id));
  const candidates = orgs.filter((o) => o.kind === 'member' && !enrolled.has(o.id));
  const errors = h('div');
  const org = select([['', t('clusters.new_organisation')], ...candidates.map((o) => [o.id, o.name])], '', { name: 'organisation_id' });
  const name = h('input', { type: 'text', name: 'name' });
  const employees = h('input', { type: 'number', name: 'employee_count', min: '1' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('clusters.enrol') });
  const form = h('form', { class: 'inline-form' },
    h('h3', { text: t('clusters.enrol_title') }),
    field(t('clusters.organisation'), org),
    field(t('clusters.new_name'), name, t('clusters.new_name_hint')),
    field(t('clusters.employee_count'), employees),
    errors, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await busy(submit, t('common.saving'), async () => {
        let id = org.value;
        if (!id) {
          const created = await post('/v1/organisations', compact({ name: name.value.trim(), kind: 'member', employee_count: employees.value ? Number(employees.value) : null }));
          id = created.id;
        }
        await post(`/v1/clusters/${cluster.id}/enrolments`, compact({ organisation_id: id, employee_count: employees.value ? Number(employees.value) : null }));
      });
      await settle(() => refresh(), t('clusters.enrolled'));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

function settingsForm(c, refresh) {
  const s = c.settings;
  const errors = h('div');
  const save = h('button', { type: 'submit', class: 'primary', text: t('common.save') });
  const num = (name, value, min, max) => h('input', { type: 'number', name, value, min: String(min), max: String(max) });
  const form = h('form', { class: 'grid-form', 'aria-label': t('clusters.settings') },
    field(t('clusters.name'), h('input', { type: 'text', name: 'name', value: c.name })),
    field(t('clusters.start_date'), h('input', { type: 'date', name: 'start_date', value: c.start_date })),
    field(t('clusters.end_date'), h('input', { type: 'date', name: 'target_end_date', value: c.target_end_date })),
    field(t('clusters.cycle_min'), num('cycle_weeks_min', s.cycle_weeks_min, 1, 12)),
    field(t('clusters.cycle_max'), num('cycle_weeks_max', s.cycle_weeks_max, 1, 12)),
    field(t('clusters.ceiling'), num('coaching_ceiling_half_days', s.coaching_ceiling_half_days, 0, 200), t('clusters.ceiling_hint')),
    field(t('clusters.threshold'), num('feedback_release_threshold', s.feedback_release_threshold, 2, 20), t('clusters.threshold_hint')),
    errors, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await busy(save, t('common.saving'), () => patch(`/v1/clusters/${c.id}`, compact(formValues(form))));
      await settle(() => refresh(), t('common.saved'));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

function staffTable(items) {
  return dataTable({
    caption: t('clusters.staff_caption'),
    columns: [
      { label: t('clusters.person'), value: (s) => s.display_name || s.user_id },
      { label: t('clusters.role'), value: (s) => label('role', s.role) },
    ],
    rows: items,
  });
}

function createForm(ctx) {
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'primary', text: t('clusters.create_submit') });
  const form = h('form', { class: 'grid-form', 'aria-label': t('clusters.create') },
    field(t('clusters.name'), h('input', { type: 'text', name: 'name', required: true })),
    field(t('clusters.country'), h('input', { type: 'text', name: 'country', value: 'LU', maxlength: '2' }), t('clusters.country_hint')),
    field(t('clusters.time_zone'), h('input', { type: 'text', name: 'time_zone', value: 'Europe/Luxembourg' })),
    field(t('clusters.start_date'), h('input', { type: 'date', name: 'start_date', required: true })),
    field(t('clusters.end_date'), h('input', { type: 'date', name: 'target_end_date', required: true })),
    errors, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const created = await busy(submit, t('common.saving'), () => post('/v1/clusters', compact(formValues(form))));
      ctx.state.clusterId = created.id;
      sessionStorage.setItem('isms.cluster', created.id);
      notify(t('clusters.created', { name: created.name }), 'success');
      await ctx.reloadMe();
      renderClusters(ctx);
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}
