// Login: e-mail and password to POST /v1/auth/login; the token goes to sessionStorage. Refusals
// (wrong credentials, too many attempts) are shown with the API's message.
import { post, session } from './api.js';
import { t } from './strings.js';
import { h, render, clear, field, showError, busy } from './ui.js';

export function renderLogin(ctx) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('login.submit') });
  const errors = h('div');
  const form = h(
    'form',
    { class: 'login-form', novalidate: true },
    field(t('login.email'), email),
    field(t('login.password'), password),
    errors,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    if (!email.value.trim() || !password.value) {
      errors.append(h('div', { class: 'alert alert-error', role: 'alert' }, h('p', { text: t('login.missing') })));
      (email.value.trim() ? password : email).focus();
      return;
    }
    try {
      await busy(submit, t('login.working'), async () => {
        const res = await post('/v1/auth/login', { email: email.value.trim(), password: password.value });
        session.token = res.token;
        password.value = '';
        await ctx.afterLogin();
      });
    } catch (err) {
      session.token = null;
      showError(err, errors);
      password.focus();
    }
  });
  render(ctx.main, 
    h('div', { class: 'login' }, h('h1', { text: t('login.title') }), h('p', { class: 'lead', text: t('login.lead') }), form),
  );
  email.focus();
}
