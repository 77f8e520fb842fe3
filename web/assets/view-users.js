// An organisation administrator's users: who they are, invitations (with the link to pass on),
// disabling and enabling, renewing an unused invitation, making someone administrator; and the
// coordinators' requests for a new administrator, from the organisation's audit trail.
import { get, post, patch, listAll } from './api.js';
import { t } from './strings.js';
import { h, render, clear, section, field, dataTable, busy, showError, select, badge, fmtTime, settle, confirmDialog } from './ui.js';

export async function renderUsers(ctx) {
  const me = ctx.state.me;
  const orgId = me.organisation.id;
  const [users, trail] = await Promise.all([
    listAll(`/v1/organisations/${orgId}/users`),
    get(`/v1/organisations/${orgId}/audit-events?limit=200`),
  ]);
  const requests = trail.items.filter((e) => e.action === 'administrator_request');
  const link = h('div', { id: 'invitation-result', 'aria-live': 'polite' });
  const reload = (keep) => renderUsers(ctx).then(() => keep && ctx.main.querySelector('#invitation-result').append(keep));
  render(ctx.main,
    h('h1', { text: t('users.title', { name: me.organisation.name }) }),
    h('p', { class: 'lead', text: t('users.lead') }),
    requests.length ? section(t('users.requests'), requestList(requests)) : null,
    section(t('users.invite'), inviteForm(orgId, reload)),
    link,
    section(t('users.list'), userTable(me, users, reload)));
}

function requestList(requests) {
  return h('ul', {}, requests.map((e) =>
    h('li', {}, t('users.request', { when: fmtTime(e.at) }), e.detail && e.detail.message ? h('q', { text: e.detail.message }) : null)));
}

/** The invitation token, shown once: the person sets a password with it. */
function invitationNote(res) {
  return h('div', { class: 'card' },
    h('p', { text: t('users.invited', { email: res.user.email }) }),
    field(t('users.token'), h('input', { type: 'text', readonly: true, value: res.invitation_token, id: 'invitation-token' }), t('users.token_hint')));
}

function inviteForm(orgId, reload) {
  const errors = h('div');
  const email = h('input', { type: 'email', name: 'email', required: true, maxlength: '254', autocomplete: 'off' });
  const name = h('input', { type: 'text', name: 'display_name', required: true, maxlength: '200' });
  const role = select([['staff', t('users.role_staff')], ['admin', t('users.role_admin')]], 'staff');
  const submit = h('button', { type: 'submit', class: 'primary', text: t('users.invite_submit') });
  const form = h('form', { class: 'grid-form', 'aria-label': t('users.invite') },
    field(t('users.email'), email), field(t('users.name'), name), field(t('users.role'), role),
    errors, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    try {
      const body = { email: email.value.trim(), display_name: name.value.trim(), role: role.value };
      const res = await busy(submit, t('common.saving'), () => post(`/v1/organisations/${orgId}/users`, body));
      await settle(() => reload(invitationNote(res)), t('users.invited', { email: res.user.email }));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

function userTable(me, users, reload) {
  const errors = h('div');
  const act = (button, fn, done) => async () => {
    clear(errors);
    try {
      const res = await busy(button, t('common.saving'), fn);
      await settle(() => reload(res && res.invitation_token ? invitationNote(res) : null), done);
    } catch (err) {
      showError(err, errors);
    }
  };
  const actions = (u) => {
    if (u.id === me.user.id) return h('span', { class: 'hint', text: t('users.you') });
    const out = [];
    const toggle = h('button', { type: 'button', text: u.disabled ? t('users.enable') : t('users.disable') });
    toggle.addEventListener('click', async () => {
      if (!u.disabled && !(await confirmDialog(t('users.disable_confirm', { name: u.display_name }), t('users.disable')))) return;
      await act(toggle, () => patch(`/v1/users/${u.id}`, { disabled: !u.disabled }), u.disabled ? t('users.enabled') : t('users.disabled'))();
    });
    out.push(toggle);
    const role = h('button', { type: 'button', text: u.role === 'admin' ? t('users.make_staff') : t('users.make_admin') });
    role.addEventListener('click', act(role, () => patch(`/v1/users/${u.id}`, { role: u.role === 'admin' ? 'staff' : 'admin' }), t('users.role_changed')));
    out.push(role);
    if (!u.activated && !u.disabled) {
      const renew = h('button', { type: 'button', text: t('users.renew') });
      renew.addEventListener('click', act(renew, () => post(`/v1/users/${u.id}/invitations`), t('users.renewed')));
      out.push(renew);
    }
    return h('div', { class: 'actions' }, out);
  };
  return h('div', {}, errors, dataTable({
    caption: t('users.caption', { n: users.length }),
    columns: [
      { label: t('users.name'), value: (u) => u.display_name },
      { label: t('users.email'), value: (u) => u.email },
      { label: t('users.role'), value: (u) => (u.role === 'admin' ? t('users.role_admin') : t('users.role_staff')) },
      { label: t('users.state'), value: (u) => (u.disabled ? badge(t('users.state_disabled'), 'error') : u.activated ? badge(t('users.state_active'), 'ok') : badge(t('users.state_invited'), 'warning')) },
      { label: t('users.actions'), value: actions },
    ],
    rows: users,
  }));
}
