// The application shell: session, the caller's roles (GET /v1/me), the cluster in view, navigation
// per role, hash routing to the views, and the status area where errors and progress appear.
import { get, post, session } from './api.js';
import { t } from './strings.js';
import { h, render, clear, setStatusArea, showError, notify, errorDetails, select, guard, loading } from './ui.js';
import { renderLogin } from './view-login.js';
import { renderClusters } from './view-clusters.js';
import { renderProgramme } from './view-programme.js';
import { renderHeatmap, renderDashboard } from './view-progress.js';
import { renderBudgets, renderCoach, renderEnrolmentCoaching } from './view-coaching.js';
import { renderCosts } from './view-costs.js';
import { renderBoards, renderBoard } from './view-feedback.js';
import { renderAudit } from './view-audit.js';
import { renderSoa } from './view-soa.js';
import { renderGap } from './view-gap.js';
import { renderUnavailability } from './view-unavailability.js';
import { renderTrainings } from './view-trainings.js';
import { renderCalendar } from './view-calendar.js';
import { renderAttendanceReport, renderSessions, renderPresence } from './view-attendance.js';
import { renderDeliverables, renderEffort, renderClusterEffort } from './view-deliverables.js';
import { renderCurriculum } from './view-curriculum.js';
import { renderUsers } from './view-users.js';

const state = { me: null, clusterId: sessionStorage.getItem('isms.cluster') };
let cleanups = [];

const routes = {
  clusters: { render: renderClusters, title: 'nav.clusters' },
  programme: { render: renderProgramme, title: 'nav.programme' },
  progress: { render: renderHeatmap, title: 'nav.progress' },
  budgets: { render: renderBudgets, title: 'nav.budgets' },
  costs: { render: renderCosts, title: 'nav.costs' },
  audit: { render: renderAudit, title: 'nav.audit' },
  feedback: { render: renderBoards, title: 'nav.feedback' },
  board: { render: renderBoard, title: 'nav.feedback' },
  coach: { render: renderCoach, title: 'nav.assignments' },
  enrolment: { render: renderEnrolmentCoaching, title: 'nav.assignments' },
  gap: { render: renderGap, title: 'nav.gap' },
  dashboard: { render: renderDashboard, title: 'nav.dashboard' },
  soa: { render: renderSoa, title: 'nav.soa' },
  unavailability: { render: renderUnavailability, title: 'nav.unavailability' },
  trainings: { render: renderTrainings, title: 'nav.trainings' },
  calendar: { render: renderCalendar, title: 'nav.calendar' },
  attendance: { render: renderAttendanceReport, title: 'nav.attendance' },
  deliverables: { render: renderDeliverables, title: 'nav.deliverables' },
  effort: { render: renderEffort, title: 'nav.effort' },
  'effort-totals': { render: renderClusterEffort, title: 'nav.effort_totals' },
  sessions: { render: renderSessions, title: 'nav.sessions' },
  presence: { render: renderPresence, title: 'nav.presence' },
  curriculum: { render: renderCurriculum, title: 'nav.curriculum' },
  users: { render: renderUsers, title: 'nav.users' },
};

// ---- roles ----------------------------------------------------------------------------------------

function cluster() {
  const list = state.me ? state.me.clusters : [];
  return list.find((c) => c.cluster_id === state.clusterId) || list[0] || null;
}
const isCoordinator = () => Boolean(cluster() && cluster().roles.includes('coordinator'));
const isCoach = () => Boolean(state.me && state.me.clusters.some((c) => c.roles.includes('coach')));
const managesUsers = () => Boolean(state.me && state.me.permissions && state.me.permissions.manage_users);
const isTrainer = () => Boolean(cluster() && cluster().roles.includes('trainer'));
const enrolment = () => {
  const c = cluster();
  return c && c.enrolment && c.enrolment.status !== 'applied' ? c.enrolment : null;
};

function navItems() {
  const items = [];
  if (isCoordinator())
    items.push(['clusters', 'nav.clusters'], ['programme', 'nav.programme'], ['progress', 'nav.progress'],
      ['sessions', 'nav.sessions'], ['curriculum', 'nav.curriculum'], ['budgets', 'nav.budgets'], ['effort-totals', 'nav.effort_totals'],
      ['costs', 'nav.costs'], ['feedback', 'nav.feedback'], ['audit', 'nav.audit']);
  else if (isTrainer()) items.push(['sessions', 'nav.my_sessions']);
  if (isCoach()) items.push(['coach', 'nav.assignments']);
  if (enrolment())
    items.push(['dashboard', 'nav.dashboard'], ['soa', 'nav.soa'], ['deliverables', 'nav.deliverables'], ['trainings', 'nav.trainings'],
      ['attendance', 'nav.attendance'], ['effort', 'nav.effort'], ['unavailability', 'nav.unavailability'], ['feedback', 'nav.feedback'], ['costs', 'nav.costs']);
  else if (isCoach() || isTrainer()) items.push(['unavailability', 'nav.unavailability'], ['feedback', 'nav.feedback']);
  items.push(['calendar', 'nav.calendar']);
  if (managesUsers()) items.push(['users', 'nav.users']);
  const seen = new Set();
  return items.filter(([key]) => (seen.has(key) ? false : seen.add(key)));
}

function home() {
  if (isCoordinator()) return 'clusters';
  if (isCoach()) return 'coach';
  if (enrolment()) return 'dashboard';
  return 'calendar';
}

// ---- layout ---------------------------------------------------------------------------------------

const root = document.getElementById('app');
const statusArea = h('div', { class: 'status-area', 'aria-live': 'polite' });
const main = h('main', { id: 'main', tabindex: '-1' });
setStatusArea(statusArea);

function skipLink() {
  return h('a', { class: 'skip', href: '#main', text: t('app.skip'), onclick: (e) => {
    e.preventDefault();
    main.focus();
  } });
}

function header() {
  const me = state.me;
  const bar = h('header', { class: 'topbar' }, h('p', { class: 'brand', text: t('app.name') }));
  if (me) {
    if (me.clusters.length > 1) {
      const sel = select(me.clusters.map((c) => [c.cluster_id, c.name]), cluster().cluster_id, { id: 'cluster-select' });
      sel.addEventListener('change', guard(() => {
        state.clusterId = sel.value;
        sessionStorage.setItem('isms.cluster', sel.value);
        layout();
        go(`#/${home()}`);
      }));
      bar.append(h('div', { class: 'cluster-select' }, h('label', { for: sel.id, text: t('app.cluster') }), sel));
    } else if (cluster()) {
      bar.append(h('p', { class: 'cluster-name', text: cluster().name }));
    }
    bar.append(
      h('p', { class: 'who', text: t('app.signed_in_as', { name: me.user.display_name, organisation: me.organisation.name }) }),
      h('button', { type: 'button', class: 'link', text: t('app.logout'), onclick: logout }),
    );
  }
  return bar;
}

function nav() {
  const current = (location.hash.split('/')[1] || '').split('?')[0];
  return h(
    'nav',
    { 'aria-label': t('app.nav') },
    h('ul', {}, navItems().map(([key, label]) =>
      h('li', {}, h('a', { href: `#/${key}`, text: t(label), 'aria-current': key === current ? 'page' : null })))),
  );
}

function layout() {
  render(root, skipLink(), header(), h('div', { class: 'shell' }, state.me ? nav() : null, h('div', { class: 'content' }, statusArea, main)));
}

// ---- session --------------------------------------------------------------------------------------

async function loadMe() {
  state.me = await get('/v1/me');
  if (!cluster()) state.clusterId = null;
  else state.clusterId = cluster().cluster_id;
}

async function logout() {
  try {
    await post('/v1/auth/logout');
  } catch (e) {
    if (e.status !== 401) state.flash = [e.message, 'error', errorDetails(e)];
  }
  session.token = null;
  state.me = null;
  layout();
  go('#/login');
}

window.addEventListener('isms:unauthenticated', () => {
  if (!state.me) return;
  state.me = null;
  state.flash = [t('app.session_ended'), 'error', t('error.code', { code: 'unauthenticated' })];
  layout();
  go('#/login');
});
window.addEventListener('unhandledrejection', (e) => showError(e.reason || new Error(t('error.unknown'))));
window.addEventListener('error', (e) => showError(e.error || new Error(e.message || t('error.unknown'))));

// ---- routing --------------------------------------------------------------------------------------

/** Shows `hash`: through hashchange when it differs from the current one, else at once. */
function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function context(params, view) {
  return {
    state,
    main: view,
    params,
    cluster,
    enrolment,
    isCoordinator,
    isCoach,
    go,
    onLeave: (fn) => cleanups.push(fn),
    setTitle: (text) => {
      document.title = `${text} · ${t('app.name')}`;
    },
    reloadMe: async () => {
      await loadMe();
      layout();
    },
    afterLogin: async () => {
      await loadMe();
      layout();
      go(`#/${home()}`);
    },
  };
}

async function route() {
  for (const fn of cleanups) fn();
  cleanups = [];
  const [, name = '', ...rest] = location.hash.replace(/\?.*$/, '').split('/');
  const params = Object.fromEntries(new URLSearchParams(location.hash.split('?')[1] || ''));
  params.id = rest[0] || null;
  // Each navigation renders into a view of its own: one that finishes after a newer navigation
  // started writes into a view that is no longer shown.
  const view = h('div', { class: 'view' });
  clear(statusArea);
  if (state.flash) {
    notify(...state.flash);
    state.flash = null;
  }
  if (!session.token || !state.me || name === 'login') {
    if (session.token && !state.me && name !== 'login') {
      loading(main);
      try {
        await loadMe();
        layout();
        return route();
      } catch (e) {
        if (e.status !== 401) showError(e);
      }
    }
    if (!session.token) state.me = null;
    if (state.me && name === 'login') {
      go(`#/${home()}`);
      return undefined;
    }
    layout();
    render(main, view);
    document.title = `${t('login.title')} · ${t('app.name')}`;
    return renderLogin(context(params, view));
  }
  const r = routes[name];
  if (!r) {
    go(`#/${home()}`);
    return undefined;
  }
  for (const a of root.querySelectorAll('nav a')) a.setAttribute('aria-current', a.getAttribute('href') === `#/${name}` ? 'page' : 'false');
  document.title = `${t(r.title)} · ${t('app.name')}`;
  render(main, view);
  loading(view);
  if (!cluster() && !['calendar', 'coach', 'enrolment', 'gap', 'users'].includes(name) && !params.id) {
    render(view, h('h1', { text: t(r.title) }), h('p', { class: 'empty', text: t('app.no_cluster') }));
    return undefined;
  }
  try {
    await r.render(context(params, view));
  } catch (e) {
    render(view, h('h1', { text: t(r.title) }));
    showError(e, view.appendChild(h('div')));
  }
  const h1 = view.querySelector('h1');
  if (h1 && main.contains(view) && document.activeElement && document.activeElement.tagName !== 'INPUT') {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
  return undefined;
}

window.addEventListener('hashchange', () => route());
layout();
route();
