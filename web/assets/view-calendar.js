// The caller's calendar: upcoming sessions (an organisation's trainings, gap analysis and coaching;
// a coach's or trainer's own sessions; a coordinator's cluster programme) and calendar subscription
// links (iCalendar URLs with a revocable token, shown once when created).
import { get, post, del, listAll } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, field, dataTable, busy, showError, notify, select, fmtDay, fmtSlot, bySessionTime, fmtTime, todayIso, confirmDialog } from './ui.js';

async function agenda(ctx) {
  const me = ctx.state.me;
  const today = todayIso();
  const rows = [];
  const enrolment = ctx.enrolment();
  if (enrolment) {
    const [sessions, coaching] = await Promise.all([
      listAll(`/v1/organisations/${me.organisation.id}/training-sessions?from=${today}`),
      listAll(`/v1/enrolments/${enrolment.id}/coaching-sessions?from=${today}`),
    ]);
    rows.push(...sessions, ...coaching.map((c) => ({ ...c, kind: 'coaching', title: c.topic })));
  } else if (ctx.isCoach() || (ctx.cluster() && ctx.cluster().roles.includes('trainer'))) {
    const [own, assignments] = await Promise.all([
      listAll(`/v1/users/${me.user.id}/training-sessions?from=${today}`),
      ctx.isCoach() ? listAll('/v1/me/coaching-assignments') : [],
    ]);
    const orgs = new Map(assignments.map((a) => [a.organisation_id, a.organisation_name]));
    rows.push(...own.map((s) => (s.organisation_id && orgs.has(s.organisation_id) ? { ...s, title: `${s.title || ''} · ${orgs.get(s.organisation_id)}` } : s)));
    for (const a of assignments)
      rows.push(...a.next_sessions.map((s) => ({ ...s, kind: 'coaching', title: `${s.topic} · ${a.organisation_name}`, status: 'planned' })));
  } else if (ctx.cluster()) {
    rows.push(...(await listAll(`/v1/clusters/${ctx.cluster().cluster_id}/training-sessions?from=${today}`)));
  }
  return rows.filter((s) => s.status !== 'cancelled').sort(bySessionTime());
}

function scopes(ctx) {
  const out = [];
  if (ctx.enrolment()) out.push(['organisation', t('calendar.scope_organisation')]);
  if (ctx.isCoach() || (ctx.cluster() && ctx.cluster().roles.some((r) => r === 'trainer' || r === 'coach'))) out.push(['staff', t('calendar.scope_staff')]);
  if (ctx.cluster()) out.push(['cluster', t('calendar.scope_cluster', { name: ctx.cluster().name })]);
  return out;
}

export async function renderCalendar(ctx) {
  const [rows, feeds] = await Promise.all([agenda(ctx), get('/v1/calendar-feeds')]);
  const created = h('div', { id: 'feed-created', 'aria-live': 'polite' });
  render(ctx.main, 
    h('h1', { text: t('calendar.title') }),
    section(t('calendar.upcoming'), dataTable({
      caption: t('calendar.upcoming_caption'),
      columns: [
        { label: t('calendar.date'), value: (s) => fmtDay(s.session_date) },
        { label: t('calendar.slot'), value: (s) => fmtSlot(s.slot, s.half_days) },
        { label: t('calendar.kind'), value: (s) => label('kind', s.kind) },
        { label: t('calendar.what'), value: (s) => s.title || '' },
        { label: t('calendar.status'), value: (s) => label('session', s.status) },
      ],
      rows,
      empty: t('calendar.nothing'),
    })),
    section(t('calendar.feeds'), h('p', { text: t('calendar.feeds_lead') }), feedForm(ctx, created), created, feedTable(ctx, (feeds.items || []).filter((f) => !f.revoked_at))),
  );
}

function feedForm(ctx, created) {
  const errors = h('div');
  const scope = select(scopes(ctx), null);
  const name = h('input', { type: 'text', maxlength: '200' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('calendar.create') });
  const form = h('form', { class: 'inline-form', 'aria-label': t('calendar.create') }, field(t('calendar.scope'), scope), field(t('calendar.label'), name), submit, errors);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    const body = { scope: scope.value };
    if (scope.value === 'cluster') body.cluster_id = ctx.cluster().cluster_id;
    if (name.value.trim()) body.label = name.value.trim();
    try {
      const feed = await busy(submit, t('common.saving'), () => post('/v1/calendar-feeds', body));
      await renderCalendar(ctx);
      render(ctx.main.querySelector('#feed-created'), feedLink(feed));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

function feedLink(feed) {
  const url = new URL(feed.url || `/v1/calendar/${feed.token}.ics`, location.origin).href;
  const input = h('input', { type: 'text', readonly: true, value: url, class: 'feed-url' });
  const copy = h('button', { type: 'button', text: t('calendar.copy') });
  copy.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(url);
      notify(t('calendar.copied'), 'success');
    } catch {
      notify(t('calendar.copy_manually'), 'info');
    }
  });
  return h('div', { class: 'alert alert-success', role: 'status' }, h('p', { class: 'strong', text: t('calendar.created') }), field(t('calendar.url'), input, t('calendar.url_hint')), copy);
}

function feedTable(ctx, feeds) {
  return dataTable({
    caption: t('calendar.feeds_caption'),
    columns: [
      { label: t('calendar.label'), value: (f) => f.label || t('calendar.unnamed') },
      { label: t('calendar.scope'), value: (f) => t(`calendar.scope_${f.scope}`, { name: '' }) },
      { label: t('calendar.created_at'), value: (f) => fmtTime(f.created_at) },
      { label: t('calendar.last_used'), value: (f) => fmtTime(f.last_used_at) },
      { label: t('calendar.actions'), value: (f) => {
        const b = h('button', { type: 'button', class: 'small', text: t('calendar.revoke'), 'aria-label': t('calendar.revoke_of', { name: f.label || t('calendar.unnamed') }) });
        const errors = h('div');
        b.addEventListener('click', async () => {
          if (!(await confirmDialog(t('calendar.revoke_confirm'), t('calendar.revoke')))) return;
          try {
            await busy(b, t('common.saving'), () => del(`/v1/calendar-feeds/${f.id}`));
            renderCalendar(ctx);
          } catch (err) {
            showError(err, errors);
          }
        });
        return h('div', {}, b, errors);
      } },
    ],
    rows: feeds,
    empty: t('calendar.no_feeds'),
  });
}
