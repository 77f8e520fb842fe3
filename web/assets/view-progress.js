// Progress. Coordinator: a heat map of every organisation against the clauses and Annex A themes
// with behind-schedule flags. Member (or its coach and coordinator): the organisation's dashboard:
// implemented requirements per clause and theme, deliverables, change since the gap-analysis
// baseline, the weekly trend as a chart, and the anonymised comparison with the cluster's median.
import { get } from './api.js';
import { t, label } from './strings.js';
import { h, render, section, dataTable, badge, fmtDate, fmtPercent, fmtNumber, todayIso } from './ui.js';
import { lineChart, bar } from './charts.js';

function heatClass(p) {
  if (p === null || p === undefined) return 'heat-none';
  return `heat-${Math.min(5, Math.ceil(p / 20))}`;
}

async function groupTitles(clusterId) {
  const fw = await get(`/v1/clusters/${clusterId}/framework`);
  const full = await get(`/v1/frameworks/${fw.framework.id}`);
  return new Map((full.groups || []).map((g) => [g.key, g.title]));
}

export async function renderHeatmap(ctx) {
  const clusterId = ctx.cluster().cluster_id;
  const [progress, titles] = await Promise.all([get(`/v1/clusters/${clusterId}/progress?limit=200`), groupTitles(clusterId)]);
  const items = progress.items || [];
  const groups = items.length ? items[0].groups.map((g) => g.group) : [];
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'heatmap' },
    h('caption', { text: t('progress.heatmap_caption', { date: fmtDate(progress.as_of) }) }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('progress.organisation') }),
      groups.map((g) => h('th', { scope: 'col', title: titles.get(g) || g }, h('abbr', { title: titles.get(g) || g, text: g }))),
      h('th', { scope: 'col', text: t('progress.overall') }),
      h('th', { scope: 'col', text: t('progress.deliverables') }),
      h('th', { scope: 'col', text: t('progress.schedule') }))),
    h('tbody', {}, items.map((e) => h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/dashboard/${e.enrolment_id}`, text: e.organisation_name })),
      e.groups.map((g) => h('td', { class: ['heat', heatClass(g.implemented_percent)], text: fmtPercent(g.implemented_percent) })),
      h('td', { class: ['heat', heatClass(e.implemented_percent)], text: fmtPercent(e.implemented_percent) }),
      h('td', { class: 'num', text: t('progress.deliverables_cell', { approved: e.deliverables.approved ?? 0, total: e.deliverables.total ?? 0, overdue: e.deliverables.overdue ?? 0 }) }),
      h('td', {}, e.behind_schedule ? badge(t('progress.behind'), 'error') : badge(t('progress.on_track'), 'ok')))))));
  const scale = h('ul', { class: 'heat-scale', 'aria-label': t('progress.scale') },
    ['heat-none', 'heat-0', 'heat-1', 'heat-2', 'heat-3', 'heat-4', 'heat-5'].map((c, i) =>
      h('li', { class: ['heat', c], text: i === 0 ? t('progress.no_data') : t(`progress.scale_${i - 1}`) })));
  render(ctx.main, 
    h('h1', { text: t('progress.title') }),
    h('p', { class: 'lead', text: t('progress.lead') }),
    section(t('progress.heatmap'), items.length ? [table, scale] : h('p', { class: 'empty', text: t('progress.none') })),
    section(t('progress.groups'), dataTable({
      caption: t('progress.groups_caption'),
      columns: [{ label: t('progress.group'), value: (g) => g }, { label: t('progress.group_title'), value: (g) => titles.get(g) || '' }],
      rows: groups,
    })),
  );
}

export async function renderDashboard(ctx) {
  const id = ctx.params.id || (ctx.enrolment() && ctx.enrolment().id);
  if (!id) {
    render(ctx.main, h('h1', { text: t('dashboard.title') }), h('p', { class: 'empty', text: t('dashboard.no_enrolment') }));
    return;
  }
  const [p, bench, deliverables] = await Promise.all([
    get(`/v1/enrolments/${id}/progress`),
    get(`/v1/enrolments/${id}/benchmark`),
    get(`/v1/enrolments/${id}/deliverables`),
  ]);
  render(ctx.main, 
    h('h1', { text: t('dashboard.title_of', { name: p.organisation_name }) }),
    h('p', { class: 'lead', text: t('dashboard.lead', { framework: `${p.framework.code}:${p.framework.version}`, date: fmtDate(p.as_of) }) }),
    schedule(p),
    h('div', { class: 'tiles' },
      tile(t('dashboard.implemented'), fmtPercent(p.totals.implemented_percent), t('dashboard.of_requirements', { n: p.totals.requirements })),
      tile(t('dashboard.deliverables'), `${p.deliverables.approved} / ${p.deliverables.total}`, t('dashboard.approved')),
      tile(t('dashboard.since_baseline'), p.baseline ? `${fmtNumber(p.totals.implemented_percent - (p.baseline.implemented_percent ?? 0), 1)} pt` : '—',
        p.baseline ? t('dashboard.baseline_of', { date: fmtDate(p.baseline.finalised_at) }) : t('dashboard.no_baseline')),
      tile(t('dashboard.median'), bench.suppressed ? '—' : fmtPercent(bench.overall.cluster_median),
        bench.suppressed ? t('dashboard.median_suppressed', { n: bench.minimum_contributors }) : t('dashboard.median_of', { n: bench.contributors }))),
    section(t('dashboard.trend'), lineChart({
      title: t('dashboard.trend_title'),
      summary: t('dashboard.trend_summary', { first: fmtPercent(p.trend.length ? p.trend[0].implemented_percent : null), last: fmtPercent(p.trend.length ? p.trend[p.trend.length - 1].implemented_percent : null) }),
      x: p.trend.map((w) => w.week),
      series: [
        { label: t('dashboard.implemented_percent'), values: p.trend.map((w) => w.implemented_percent) },
        { label: t('dashboard.deliverables_approved'), values: p.trend.map((w) => (p.deliverables.total ? (100 * w.deliverables_approved) / p.deliverables.total : 0)), dash: true },
      ],
      yLabel: '%',
      yMax: 100,
      marker: todayIso(),
    })),
    section(t('dashboard.groups'), groupTable(p, bench)),
    section(t('dashboard.deliverables_list'), deliverableTable(deliverables.items || [])),
  );
}

function tile(title, value, note) {
  return h('div', { class: 'tile' }, h('p', { class: 'tile-title', text: title }), h('p', { class: 'tile-value', text: value }), h('p', { class: 'tile-note', text: note }));
}

function schedule(p) {
  const plan = p.plan || {};
  if (!plan.behind_schedule) {
    const next = plan.next_due;
    return h('div', { class: 'alert alert-success', role: 'status' },
      h('p', { text: t('dashboard.on_track') }),
      next ? h('p', { text: t('dashboard.next_due', { title: next.title, date: fmtDate(next.due_date) }) }) : null);
  }
  return h('div', { class: 'alert alert-error', role: 'alert' },
    h('p', { class: 'strong', text: t('dashboard.behind') }),
    h('ul', {}, (plan.reasons || []).map((r) => h('li', { text: r.kind === 'deliverable_overdue'
      ? t('dashboard.reason_deliverable', { title: r.title, date: fmtDate(r.due_date), days: r.days_late })
      : t('dashboard.reason_requirements', { count: r.count, groups: (r.groups || []).join(', ') }) }))));
}

function groupTable(p, bench) {
  const median = new Map((bench.groups || []).map((g) => [g.group, g.cluster_median]));
  return dataTable({
    caption: bench.suppressed ? t('dashboard.groups_caption_suppressed', { n: bench.minimum_contributors }) : t('dashboard.groups_caption'),
    columns: [
      { label: t('dashboard.group'), value: (g) => `${g.group} ${g.title || ''}` },
      { label: t('dashboard.implemented'), value: (g) => bar(g.implemented_percent, t('dashboard.implemented_of', { group: g.group })) },
      { label: t('dashboard.in_progress'), value: (g) => String(g.counts.in_progress), class: 'num' },
      { label: t('dashboard.requirements'), value: (g) => String(g.requirements), class: 'num' },
      { label: t('dashboard.cluster_median'), value: (g) => (bench.suppressed ? t('dashboard.hidden') : fmtPercent(median.get(g.group))), class: 'num' },
    ],
    rows: [...(p.clauses || []), ...(p.annex_a || [])],
  });
}

function deliverableTable(items) {
  return dataTable({
    caption: t('dashboard.deliverables_caption'),
    columns: [
      { label: t('dashboard.deliverable'), value: (d) => d.title },
      { label: t('dashboard.reference'), value: (d) => d.reference },
      { label: t('dashboard.status'), value: (d) => badge(label('deliverable', d.status), d.status === 'approved' ? 'ok' : d.overdue ? 'error' : 'neutral') },
      { label: t('dashboard.due'), value: (d) => (d.overdue ? t('dashboard.overdue_since', { date: fmtDate(d.due_date) }) : fmtDate(d.due_date)) },
    ],
    rows: items,
  });
}

