// Coordinator: the cluster's audit trail, newest first, a page at a time; who did it is shown by
// name where the cluster's staff and member users are known, else by id.
import { get, listAll } from './api.js';
import { t } from './strings.js';
import { h, render, dataTable, busy, showError, fmtTime } from './ui.js';

export async function renderAudit(ctx) {
  const clusterId = ctx.cluster().cluster_id;
  const [staff, enrolments] = await Promise.all([get(`/v1/clusters/${clusterId}/staff`), listAll(`/v1/clusters/${clusterId}/enrolments`)]);
  const names = new Map(staff.items.map((s) => [s.user_id, s.display_name]));
  const orgs = new Map(enrolments.map((e) => [e.organisation_id, e.organisation_name]));
  const rows = [];
  const body = h('div');
  const errors = h('div');
  const more = h('button', { type: 'button', text: t('audit.more') });
  let cursor = null;
  const load = async () => {
    const page = await get(`/v1/clusters/${clusterId}/audit-events?limit=50${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`);
    rows.push(...page.items);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    render(body, dataTable({
      caption: t('audit.caption', { n: rows.length }),
      columns: [
        { label: t('audit.when'), value: (e) => fmtTime(e.at) },
        { label: t('audit.action'), value: (e) => e.action },
        { label: t('audit.entity'), value: (e) => `${e.entity_type}${e.entity_id ? ' ' + e.entity_id.slice(0, 8) : ''}` },
        { label: t('audit.who'), value: (e) => (e.user_id ? names.get(e.user_id) || e.user_id.slice(0, 8) : t('audit.system')) },
        { label: t('audit.organisation'), value: (e) => (e.organisation_id ? orgs.get(e.organisation_id) || e.organisation_id.slice(0, 8) : '') },
        { label: t('audit.detail'), value: (e) => detail(e.detail) },
        { label: t('audit.request'), value: (e) => h('code', { text: (e.request_id || '').slice(0, 13) }) },
      ],
      rows,
      empty: t('audit.none'),
    }));
  };
  more.addEventListener('click', async () => {
    try {
      await busy(more, t('common.loading'), load);
    } catch (err) {
      showError(err, errors);
    }
  });
  await load();
  render(ctx.main, h('h1', { text: t('audit.title') }), h('p', { class: 'lead', text: t('audit.lead') }), body, errors, h('div', { class: 'actions' }, more));
}

function detail(d) {
  if (!d || typeof d !== 'object' || !Object.keys(d).length) return '';
  return h('details', {}, h('summary', { text: t('audit.show') }), h('pre', { text: JSON.stringify(d, null, 2) }));
}
