// Member organisation: the cluster's trainings and who the organisation registers for each, with
// the method's target of two people per organisation (a backup) in view.
import { get, post, del, listAll } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, field, badge, busy, showError, select, fmtDay, fmtSlot, settle } from './ui.js';

export async function renderTrainings(ctx) {
  const org = ctx.state.me.organisation;
  const clusterId = ctx.cluster().cluster_id;
  const [sessions, users] = await Promise.all([
    listAll(`/v1/organisations/${org.id}/training-sessions`),
    listAll(`/v1/organisations/${org.id}/users`).catch(() => []),
  ]);
  const trainings = sessions.filter((s) => s.kind === 'training' && s.cluster_id === clusterId && s.status !== 'cancelled');
  const regs = await Promise.all(trainings.map((s) => get(`/v1/training-sessions/${s.id}/registrations`)));
  const below = regs.filter((r) => mine(r, org.id).below_target).length;
  render(ctx.main, 
    h('h1', { text: t('trainings.title') }),
    h('p', { class: 'lead', text: t('trainings.lead', { n: regs[0] ? regs[0].target_per_organisation : 2 }) }),
    below ? h('div', { class: 'alert alert-warning', role: 'note' }, h('p', { text: t('trainings.below', { n: below }) })) : h('div', { class: 'alert alert-success', role: 'status' }, h('p', { text: t('trainings.all_met') })),
    trainings.length ? trainings.map((s, i) => trainingCard(ctx, s, regs[i], org, users)) : h('p', { class: 'empty', text: t('trainings.none') }),
  );
}

function mine(reg, orgId) {
  return (reg.organisations || []).find((o) => o.organisation_id === orgId) || { registered: 0, below_target: true };
}

function trainingCard(ctx, s, reg, org, users) {
  const own = mine(reg, org.id);
  const target = reg.target_per_organisation || 2;
  const people = (reg.items || []).filter((r) => r.organisation_id === org.id);
  const errors = h('div');
  const who = select([['', t('trainings.someone_else')], ...users.filter((u) => !u.disabled).map((u) => [u.id, u.display_name])], '');
  const name = h('input', { type: 'text', maxlength: '200' });
  const submit = h('button', { type: 'submit', text: t('trainings.register') });
  const form = h('form', { class: 'inline-form', 'aria-label': t('trainings.register_for', { title: `${s.title}, ${fmtDay(s.session_date)}` }) },
    field(t('trainings.person'), who), field(t('trainings.name'), name, t('trainings.name_hint')), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    const body = who.value ? { participant_user_id: who.value } : { participant_name: name.value.trim() };
    if (!who.value && !body.participant_name) {
      showError({ message: t('trainings.name_missing') }, errors);
      return;
    }
    try {
      await busy(submit, t('common.saving'), () => post(`/v1/training-sessions/${s.id}/registrations`, body));
      await settle(() => renderTrainings(ctx), t('trainings.registered'));
    } catch (err) {
      showError(err, errors);
    }
  });
  const open = s.status === 'planned' || s.status === 'confirmed';
  return h('section', { class: 'card training', 'aria-label': `${s.title}, ${fmtDay(s.session_date)}` },
    h('h2', { text: s.title }),
    h('p', {}, `${fmtDay(s.session_date)} · ${fmtSlot(s.slot, s.half_days)} · ${s.start_time || ''}–${s.end_time || ''} · `, badge(label('session', s.status), 'neutral')),
    h('p', { class: 'target' }, badge(t('trainings.count', { n: own.registered, target }), own.below_target ? 'warning' : 'ok'), ' ', own.below_target ? t('trainings.below_target') : t('trainings.target_met')),
    people.length ? h('ul', { class: 'people' }, people.map((p) => participant(ctx, p, open))) : h('p', { class: 'empty', text: t('trainings.nobody') }),
    open ? form : null, errors);
}

function participant(ctx, p, open) {
  const li = h('li', {}, p.participant_name, p.attended === true ? ' ' + t('trainings.attended') : p.attended === false ? ' ' + t('trainings.absent') : '');
  if (open && p.attended === null) {
    const b = h('button', { type: 'button', class: 'small', text: t('trainings.withdraw'), 'aria-label': t('trainings.withdraw_of', { name: p.participant_name }) });
    b.addEventListener('click', async () => {
      try {
        await busy(b, t('common.saving'), () => del(`/v1/registrations/${p.id}`));
        renderTrainings(ctx);
      } catch (err) {
        showError(err);
      }
    });
    li.append(' ', b);
  }
  return li;
}
