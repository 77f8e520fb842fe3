// Attendance at trainings. Member organisation: the attendance report (who was registered, who
// came; evidence for ISO/IEC 27001 clauses 7.2 and 7.3). Coordinator: the cluster's trainings with
// registration counts against the two-people target; trainer: their own sessions. Both record, after
// a training, who was present.
import { get, put, listAll } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, dataTable, badge, busy, showError, checkbox, fmtDay, fmtSlot, bySessionTime, fmtTime, todayIso, addDays, notify } from './ui.js';

// ---- member: the report ---------------------------------------------------------------------------

function presence(attended) {
  if (attended === true) return badge(t('attendance.present'), 'ok');
  if (attended === false) return badge(t('attendance.absent'), 'warning');
  return badge(t('attendance.not_recorded'), 'neutral');
}

export async function renderAttendanceReport(ctx) {
  const e = ctx.enrolment();
  if (!e) throw new Error(t('app.no_enrolment'));
  const r = await get(`/v1/enrolments/${e.id}/attendance-report`);
  const target = r.target_per_session || 2;
  const tot = r.totals || {};
  render(ctx.main,
    h('h1', { text: t('attendance.title', { name: r.organisation_name }) }),
    h('p', { class: 'lead', text: t('attendance.lead') }),
    r.evidence ? h('p', { class: 'hint', text: r.evidence }) : null,
    section(t('attendance.totals'), h('dl', { class: 'totals' },
      [[t('attendance.sessions'), tot.sessions], [t('attendance.half_days'), tot.half_days], [t('attendance.held'), tot.sessions_held],
        [t('attendance.half_days_attended'), tot.half_days_attended], [t('attendance.below', { n: target }), tot.sessions_below_target],
        [t('attendance.missed'), tot.sessions_missed]].map(([k, v]) => [h('dt', { text: k }), h('dd', { text: String(v ?? 0) })]))),
    section(t('attendance.sessions'), dataTable({
      caption: t('attendance.caption'),
      columns: [
        { label: t('attendance.training'), value: (s) => s.title },
        { label: t('attendance.date'), value: (s) => `${fmtDay(s.session_date)} ${label('slot', s.slot)}` },
        { label: t('attendance.status'), value: (s) => badge(label('session', s.status), s.status === 'done' ? 'ok' : 'neutral') },
        { label: t('attendance.registered'), value: (s) => h('span', {}, badge(t('attendance.count', { n: s.registered, target }), s.below_target ? 'warning' : 'ok'), s.below_target ? ` ${t('attendance.below_target')}` : ''), class: 'num' },
        { label: t('attendance.attended'), value: (s) => String(s.attended), class: 'num' },
        { label: t('attendance.participants'), value: (s) => ((s.participants || []).length
          ? h('ul', { class: 'compact' }, s.participants.map((p) => h('li', {}, `${p.participant_name} `, presence(p.attended))))
          : '—') },
      ],
      rows: r.sessions || [],
    }), h('p', { class: 'hint' }, h('a', { href: '#/trainings', text: t('attendance.register_link') }))),
  );
}

// ---- coordinator and trainer: sessions and presence ------------------------------------------------

export async function renderSessions(ctx) {
  const coordinator = ctx.isCoordinator();
  const clusterId = ctx.cluster().cluster_id;
  const past = ctx.params.past === '1';
  const from = past ? '' : `?from=${addDays(todayIso(), -30)}`;
  const sessions = (await listAll(coordinator ? `/v1/clusters/${clusterId}/training-sessions${from}` : `/v1/users/${ctx.state.me.user.id}/training-sessions${from}`))
    .filter((s) => s.status !== 'cancelled')
    .sort(bySessionTime());
  const regs = await Promise.all(sessions.map((s) => (s.kind === 'training' ? get(`/v1/training-sessions/${s.id}/registrations`) : null)));
  const target = (regs.find(Boolean) || {}).target_per_organisation || 2;
  const toggle = checkbox(t('sessions.show_past'), past, { id: 'sessions-past' });
  toggle.querySelector('input').addEventListener('change', (e) => ctx.go(e.target.checked ? '#/sessions?past=1' : '#/sessions'));
  render(ctx.main,
    h('h1', { text: coordinator ? t('sessions.title_cluster') : t('sessions.title_mine') }),
    h('p', { class: 'lead', text: coordinator ? t('sessions.lead_cluster', { n: target }) : t('sessions.lead_mine') }),
    h('div', { class: 'filters' }, toggle),
    dataTable({
      caption: t('sessions.caption'),
      columns: [
        { label: t('sessions.session'), value: (s) => `${s.title || label('kind', s.kind)}${s.organisation_name ? ' · ' + s.organisation_name : ''}` },
        { label: t('sessions.date'), value: (s) => `${fmtDay(s.session_date)} ${fmtSlot(s.slot, s.half_days)}` },
        { label: t('sessions.kind'), value: (s) => label('kind', s.kind) },
        { label: t('sessions.status'), value: (s) => badge(label('session', s.status), s.status === 'done' ? 'ok' : 'neutral') },
        { label: t('sessions.registered'), value: (s) => registeredCell(regs[sessions.indexOf(s)], target) },
        { label: t('sessions.presence'), value: (s) => (s.kind === 'training'
          ? h('a', { href: `#/presence/${s.id}`, text: t('sessions.record'), 'aria-label': t('sessions.record_of', { title: s.title, date: fmtDay(s.session_date) }) })
          : '') },
      ],
      rows: sessions,
      empty: t('sessions.none'),
    }),
  );
}

function registeredCell(reg, target) {
  if (!reg) return t('sessions.no_registrations');
  const items = reg.items || [];
  const attended = items.filter((r) => r.attended === true).length;
  const below = (reg.organisations || []).filter((o) => o.below_target).length;
  return h('span', {}, t('sessions.registered_cell', { n: items.length, attended }), ' ',
    below ? badge(t('sessions.below', { n: below, target }), 'warning') : badge(t('sessions.all_met', { target }), 'ok'));
}

export async function renderPresence(ctx) {
  const id = ctx.params.id;
  const [s, reg] = await Promise.all([get(`/v1/training-sessions/${id}`), get(`/v1/training-sessions/${id}/registrations`)]);
  const target = reg.target_per_organisation || 2;
  const orgs = new Map((reg.organisations || []).map((o) => [o.organisation_id, o.organisation_name]));
  render(ctx.main,
    h('h1', { text: t('presence.title', { title: s.title }) }),
    h('p', { class: 'lead', text: t('presence.lead', { date: fmtDay(s.session_date), slot: label('slot', s.slot), status: label('session', s.status) }) }),
    h('p', {}, h('a', { href: '#/sessions', text: t('presence.back') })),
    section(t('presence.caption'), dataTable({
      caption: t('presence.caption'),
      columns: [
        { label: t('presence.participant'), value: (r) => r.participant_name },
        { label: t('presence.organisation'), value: (r) => orgs.get(r.organisation_id) || '' },
        { label: t('presence.recorded'), value: (r) => h('span', {}, presence(r.attended), r.attendance_recorded_at ? ` ${fmtTime(r.attendance_recorded_at)}` : '') },
        { label: t('presence.actions'), value: (r) => presenceButtons(ctx, r) },
      ],
      rows: reg.items || [],
      empty: t('presence.none'),
    })),
    section(t('presence.per_org'), dataTable({
      caption: t('presence.per_org_caption', { n: target }),
      columns: [
        { label: t('presence.organisation'), value: (o) => o.organisation_name },
        { label: t('attendance.registered'), value: (o) => h('span', {}, badge(t('attendance.count', { n: o.registered, target }), o.below_target ? 'warning' : 'ok'), o.below_target ? ` ${t('attendance.below_target')}` : ''), class: 'num' },
        { label: t('attendance.attended'), value: (o) => String(o.attended ?? 0), class: 'num' },
      ],
      rows: reg.organisations || [],
    })),
  );
}

function presenceButtons(ctx, r) {
  const errors = h('div');
  const make = (attended) => {
    const b = h('button', { type: 'button', class: 'small', text: attended ? t('presence.mark_present') : t('presence.mark_absent'),
      'aria-pressed': String(r.attended === attended),
      'aria-label': t(attended ? 'presence.mark_present_of' : 'presence.mark_absent_of', { name: r.participant_name }) });
    b.addEventListener('click', async () => {
      clear(errors);
      try {
        await busy(b, t('common.saving'), () => put(`/v1/registrations/${r.id}/attendance`, { attended }));
      } catch (err) {
        showError(err, errors);
        return;
      }
      try {
        await renderPresence(ctx);
      } catch (err) {
        showError(err);
      }
      notify(t('presence.saved', { name: r.participant_name }), 'success');
    });
    return b;
  };
  return h('div', { class: 'row-actions' }, make(true), make(false), errors);
}
