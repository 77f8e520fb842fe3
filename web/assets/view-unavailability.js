// Declaring unavailability: a member organisation's periods (or a coach's or trainer's own), with
// what a new period collides with and the re-plan the coordinator is offered.
import { get, post, del } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, field, dataTable, busy, showError, select, fmtDay, fmtDate, todayIso, confirmDialog, settle } from './ui.js';

export async function renderUnavailability(ctx) {
  const me = ctx.state.me;
  const forOrg = Boolean(ctx.enrolment());
  const base = forOrg ? `/v1/organisations/${me.organisation.id}/unavailability` : `/v1/users/${me.user.id}/unavailability`;
  const list = await get(base);
  const result = h('div', { id: 'unavailability-result', 'aria-live': 'polite' });
  const reload = async (keep) => {
    await renderUnavailability(ctx);
    if (keep) ctx.main.querySelector('#unavailability-result').append(keep);
  };
  render(ctx.main, 
    h('h1', { text: forOrg ? t('unav.title_org', { name: me.organisation.name }) : t('unav.title_me') }),
    h('p', { class: 'lead', text: t('unav.lead') }),
    section(t('unav.declare'), declareForm(base, reload)),
    result,
    section(t('unav.periods'), periodTable((list.items || []).filter((u) => forOrg || u.user_id), reload)),
  );
}

function declareForm(base, reload) {
  const errors = h('div');
  const start = h('input', { type: 'date', name: 'start_date', min: todayIso(), required: true });
  const end = h('input', { type: 'date', name: 'end_date', min: todayIso(), required: true });
  const startSlot = select([['morning', t('unav.from_morning')], ['afternoon', t('unav.from_afternoon')]], 'morning');
  const endSlot = select([['afternoon', t('unav.to_evening')], ['morning', t('unav.to_noon')]], 'afternoon');
  const reason = h('input', { type: 'text', maxlength: '500' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('unav.submit') });
  start.addEventListener('change', () => {
    if (!end.value || end.value < start.value) end.value = start.value;
  });
  const form = h('form', { class: 'grid-form', 'aria-label': t('unav.declare') },
    field(t('unav.start'), start), field(t('unav.start_slot'), startSlot),
    field(t('unav.end'), end), field(t('unav.end_slot'), endSlot),
    field(t('unav.reason'), reason, t('unav.reason_hint')), errors, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    if (!start.value || !end.value) {
      showError({ message: t('unav.dates_missing') }, errors);
      return;
    }
    const body = { start_date: start.value, end_date: end.value, start_slot: startSlot.value, end_slot: endSlot.value };
    if (reason.value.trim()) body.reason = reason.value.trim();
    try {
      const res = await busy(submit, t('unav.checking'), () => post(base, body));
      await settle(() => reload(outcome(res)), t('unav.declared'));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

/** What the new period collides with, and the re-plan offered to the coordinator. */
function outcome(res) {
  const hit = res.affected_sessions || [];
  if (!hit.length) return h('div', { class: 'alert alert-success', role: 'status' }, h('p', { text: t('unav.no_conflict') }));
  const moves = (res.replan || []).map((r) => {
    const moved = (r.sessions || []).filter((s) => s.change === 'moved' || s.change === 'new');
    return h('div', {},
      h('p', { text: r.feasible ? t('unav.replan', { cluster: r.cluster_name || '', n: moved.length }) : t('unav.no_replan', { cluster: r.cluster_name || '' }) }),
      r.explanation && r.explanation.message ? h('p', { text: r.explanation.message }) : null,
      moved.length ? h('ul', {}, moved.map((s) => h('li', { text: t('unav.move', { title: s.title || label('kind', s.kind), from: s.previous ? fmtDay(s.previous.date) : '—', to: fmtDay(s.date) }) }))) : null);
  });
  return h('div', { class: 'alert alert-warning conflict-report', role: 'alert' },
    h('p', { class: 'strong', text: t('unav.conflict', { n: hit.length }) }),
    h('ul', {}, hit.map((s) => h('li', { text: t('unav.hit', { title: s.title, kind: label('kind', s.type), date: fmtDay(s.session_date), slot: label('slot', s.slot) }) }))),
    h('p', { text: t('unav.coordinator_told') }),
    moves);
}

function periodTable(items, reload) {
  return dataTable({
    caption: t('unav.caption'),
    columns: [
      { label: t('unav.from'), value: (u) => `${fmtDate(u.start_date)} ${u.start_slot === 'afternoon' ? t('unav.afternoon_suffix') : ''}` },
      { label: t('unav.to'), value: (u) => `${fmtDate(u.end_date)} ${u.end_slot === 'morning' ? t('unav.noon_suffix') : ''}` },
      { label: t('unav.reason'), value: (u) => u.reason || '' },
      { label: t('unav.actions'), value: (u) => {
        const b = h('button', { type: 'button', class: 'small', text: t('unav.withdraw'), 'aria-label': t('unav.withdraw_of', { from: fmtDate(u.start_date) }) });
        const errors = h('div');
        b.addEventListener('click', async () => {
          if (!(await confirmDialog(t('unav.withdraw_confirm'), t('unav.withdraw')))) return;
          try {
            await busy(b, t('common.saving'), () => del(`/v1/unavailability/${u.id}`));
            reload();
          } catch (err) {
            showError(err, errors);
          }
        });
        return h('div', {}, b, errors);
      } },
    ],
    rows: items.slice().sort((a, b) => a.start_date.localeCompare(b.start_date)),
    empty: t('unav.none'),
  });
}
