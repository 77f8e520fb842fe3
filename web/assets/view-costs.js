// Cost statements: for the coordinator the cluster's (every organisation's share of the training
// costs and its coaching, the items and how they were split), for a member organisation its own;
// both downloadable as CSV.
import { get, download } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, dataTable, busy, showError, notify, fmtMoney, fmtDate } from './ui.js';

export async function renderCosts(ctx) {
  const coordinator = ctx.isCoordinator();
  const enrolment = ctx.enrolment();
  const base = coordinator ? `/v1/clusters/${ctx.cluster().cluster_id}/cost-statement` : `/v1/enrolments/${enrolment.id}/cost-statement`;
  const st = await get(base);
  const money = (c) => fmtMoney(c, st.currency);
  const errors = h('div');
  const csv = h('button', { type: 'button', text: t('costs.download_csv') });
  csv.addEventListener('click', async () => {
    clear(errors);
    try {
      const file = await busy(csv, t('costs.exporting'), (report) => download(`${base}.csv`, 'cost-statement.csv', (got, total) => report(total ? got / total : null)));
      notify(t('common.downloaded', { name: file.name }), 'success');
    } catch (err) {
      showError(err, errors);
    }
  });
  render(ctx.main, 
    h('h1', { text: t('costs.title') }),
    h('p', { class: 'lead', text: t('costs.lead', { name: st.cluster_name, from: fmtDate(st.programme.start), to: fmtDate(st.programme.end), split: label('split', st.default_split_method), rate: money(st.coaching_half_day_rate_cents) }) }),
    h('div', { class: 'actions' }, csv), errors,
    (st.warnings || []).length ? h('div', { class: 'alert alert-warning', role: 'note' }, h('ul', {}, st.warnings.map((w) => h('li', { text: w })))) : null,
    section(t('costs.organisations'), dataTable({
      caption: t('costs.organisations_caption'),
      columns: [
        { label: t('costs.organisation'), value: (o) => o.organisation_name },
        { label: t('costs.participation'), value: (o) => t('costs.days', { n: o.participation.days }), class: 'num' },
        { label: t('costs.training'), value: (o) => money(o.training_cents), class: 'num' },
        { label: t('costs.coaching'), value: (o) => money(o.coaching_cents), class: 'num' },
        { label: t('costs.total'), value: (o) => money(o.total_cents), class: 'num strong' },
      ],
      rows: st.organisations || [],
    }),
    coordinator ? h('p', { class: 'totals', text: t('costs.cluster_total', { training: money(st.training_total_cents), coaching: money(st.coaching_total_cents), unallocated: money(st.unallocated_cents), total: money(st.total_cents) }) }) : null),
    section(t('costs.items'), dataTable({
      caption: t('costs.items_caption'),
      columns: [
        { label: t('costs.description'), value: (i) => i.description },
        { label: t('costs.category'), value: (i) => label('category', i.category) },
        { label: t('costs.quantity'), value: (i) => `${i.quantity} × ${money(i.unit_amount_cents)} / ${label('unit', i.unit)}`, class: 'num' },
        { label: t('costs.amount'), value: (i) => money(i.amount_cents), class: 'num' },
        { label: t('costs.split'), value: (i) => label('split', i.basis || i.split_method) },
      ],
      rows: st.items || [],
      empty: t('costs.no_items'),
    })),
    (st.organisations || []).map((o) => section(t('costs.lines_of', { name: o.organisation_name }), dataTable({
      caption: t('costs.lines_caption', { name: o.organisation_name }),
      columns: [
        { label: t('costs.line'), value: (l) => l.description },
        { label: t('costs.kind'), value: (l) => label('cost_kind', l.kind) },
        { label: t('costs.share'), value: (l) => (l.total_weight ? `${l.weight} / ${l.total_weight}` : l.half_days ? t('costs.half_days', { n: l.half_days }) : ''), class: 'num' },
        { label: t('costs.amount'), value: (l) => money(l.amount_cents), class: 'num' },
      ],
      rows: o.lines || [],
      empty: t('costs.no_lines'),
    }))),
  );
}
