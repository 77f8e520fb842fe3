// Cost statements: for the coordinator the cluster's (every organisation's share of the training
// costs and its coaching, the items and how they were split), with forms for the shared cost items
// and the default coaching rate; for a member organisation its own; both downloadable as CSV.
import { api, get, patch, download } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, field, select, dataTable, busy, showError, notify, settle, fmtMoney, fmtDate } from './ui.js';

export async function renderCosts(ctx) {
  const coordinator = ctx.isCoordinator();
  const enrolment = ctx.enrolment();
  if (!coordinator && !enrolment) {
    render(ctx.main, h('h1', { text: t('costs.title') }), h('p', { class: 'empty', text: t('costs.not_for_you') }));
    return;
  }
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
    coordinator ? section(t('costs.add_item'), itemForm(ctx), rateForm(ctx, st)) : null,
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

const CATEGORIES = ['trainer', 'venue', 'material', 'catering', 'travel', 'other'];
const UNITS = ['day', 'half_day', 'hour', 'item', 'lump_sum'];

/** Parses an amount typed in the currency's units ("1250" or "1250.50") into cents. */
function cents(text) {
  const m = /^\s*(\d+)(?:[.,](\d{1,2}))?\s*$/.exec(text);
  return m ? Number(m[1]) * 100 + Number((m[2] || '0').padEnd(2, '0')) : null;
}

function itemForm(ctx) {
  const clusterId = ctx.cluster().cluster_id;
  const errors = h('div');
  const category = select(CATEGORIES.map((c) => [c, label('category', c)]), 'trainer');
  const description = h('input', { type: 'text', maxlength: '200' });
  const quantity = h('input', { type: 'number', min: '1', max: '10000', value: '1' });
  const unit = select(UNITS.map((u) => [u, label('unit', u)]), 'half_day');
  const amount = h('input', { type: 'text', inputmode: 'decimal' });
  const split = select([['cluster_default', t('costs.split_default')], ...['equal', 'employees', 'attendance'].map((m) => [m, label('split', m)])], 'cluster_default');
  const submit = h('button', { type: 'submit', class: 'primary', text: t('costs.add') });
  const form = h('form', { class: 'grid-form', 'aria-label': t('costs.add_item') },
    field(t('costs.category'), category), field(t('costs.description'), description), field(t('costs.quantity'), quantity),
    field(t('costs.unit'), unit), field(t('costs.unit_amount'), amount, t('costs.unit_amount_hint')), field(t('costs.split'), split),
    errors, h('div', { class: 'actions' }, submit));
  let key = crypto.randomUUID();
  form.addEventListener('input', () => {
    key = crypto.randomUUID();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    const unitCents = cents(amount.value);
    if (unitCents === null || !description.value.trim()) {
      showError({ message: t('costs.item_incomplete') }, errors);
      return;
    }
    const body = { category: category.value, description: description.value.trim(), quantity: Number(quantity.value), unit: unit.value, unit_amount_cents: unitCents, split_method: split.value };
    try {
      await busy(submit, t('common.saving'), () => api('POST', `/v1/clusters/${clusterId}/cost-items`, body, { 'Idempotency-Key': key }));
      await settle(() => renderCosts(ctx), t('costs.item_added'));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

function rateForm(ctx, st) {
  const errors = h('div');
  const rate = h('input', { type: 'text', inputmode: 'decimal', value: (st.coaching_half_day_rate_cents / 100).toFixed(2) });
  const submit = h('button', { type: 'submit', text: t('costs.set_rate') });
  const form = h('form', { class: 'inline-form', 'aria-label': t('costs.rate') }, field(t('costs.rate'), rate, t('costs.rate_hint')), submit, errors);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    const value = cents(rate.value);
    if (value === null) {
      showError({ message: t('costs.rate_invalid') }, errors);
      return;
    }
    try {
      await busy(submit, t('common.saving'), () => patch(`/v1/clusters/${ctx.cluster().cluster_id}/cost-settings`, { half_day_rate_cents: value }));
      await settle(() => renderCosts(ctx), t('common.saved'));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}
