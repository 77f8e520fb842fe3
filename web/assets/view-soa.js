// The Statement of Applicability editor: every Annex A control with its decision (applicable with
// reasons, or excluded with a justification), its implementation status and evidence; filters by
// theme, decision and status; CSV and XLSX downloads.
import { get, patch, download } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, field, badge, busy, showError, notify, select, checkbox, radios, dataTable, settle } from './ui.js';

const REASONS = ['legal', 'contractual', 'business_requirement', 'risk_assessment_result', 'best_practice'];
const STATUSES = ['not_started', 'in_progress', 'implemented'];

export async function renderSoa(ctx) {
  const id = ctx.params.id || (ctx.enrolment() && ctx.enrolment().id);
  if (!id) {
    render(ctx.main, h('h1', { text: t('soa.title') }), h('p', { class: 'empty', text: t('dashboard.no_enrolment') }));
    return;
  }
  const st = { id, soa: null, evidence: new Map(), filters: { theme: '', decision: '', status: '', text: '' } };
  const editor = h('div', { id: 'soa-editor' });
  const tableBox = h('div');
  const counts = h('p', { class: 'lead' });
  const load = async () => {
    const [soa, assessments] = await Promise.all([get(`/v1/enrolments/${id}/soa`), get(`/v1/enrolments/${id}/assessments`)]);
    st.soa = soa;
    st.evidence = new Map(assessments.items.map((a) => [a.requirement, a]));
    counts.textContent = t('soa.counts', { version: soa.version, date: soa.version_date || '—', applicable: soa.counts.applicable ?? 0, excluded: soa.counts.excluded ?? 0, undecided: soa.counts.undecided ?? 0 });
    drawTable();
  };
  const drawTable = () => render(tableBox, controlTable(st, (item, button) => openEditor(st, item, editor, button, load)));
  await load();
  const themes = [...new Map(st.soa.items.map((i) => [i.theme, i.theme_title])).entries()];
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': t('soa.filters') },
    field(t('soa.theme'), select([['', t('soa.all_themes')], ...themes.map(([k, v]) => [k, `${k} ${v}`])], '', { name: 'theme' })),
    field(t('soa.decision'), select([['', t('soa.all')], ['undecided', t('soa.undecided')], ['applicable', t('soa.applicable')], ['excluded', t('soa.excluded')]], '', { name: 'decision' })),
    field(t('soa.status'), select([['', t('soa.all')], ...[...STATUSES, 'not_applicable'].map((s) => [s, label('status', s)])], '', { name: 'status' })),
    field(t('soa.search'), h('input', { type: 'search', name: 'text' })));
  filters.addEventListener('input', () => {
    for (const k of Object.keys(st.filters)) st.filters[k] = filters.elements[k].value.trim().toLowerCase();
    drawTable();
  });
  filters.addEventListener('submit', (e) => e.preventDefault());
  render(ctx.main, 
    h('h1', { text: t('soa.title_of', { name: st.soa.organisation_name }) }),
    counts,
    downloads(id),
    editor,
    section(t('soa.controls'), filters, tableBox),
  );
}

function downloads(id) {
  const errors = h('div');
  const button = (kind, text) => {
    const b = h('button', { type: 'button', text });
    b.addEventListener('click', async () => {
      clear(errors);
      try {
        const file = await busy(b, t('soa.exporting'), (report) => download(`/v1/enrolments/${id}/soa.${kind}`, `soa.${kind}`, (got, total) => report(total ? got / total : null)));
        notify(t('common.downloaded', { name: file.name }), 'success');
      } catch (err) {
        showError(err, errors);
      }
    });
    return b;
  };
  return h('div', {}, h('div', { class: 'actions' }, button('csv', t('soa.download_csv')), button('xlsx', t('soa.download_xlsx'))), errors);
}

function decisionOf(item) {
  return item.applicable === null ? 'undecided' : item.applicable ? 'applicable' : 'excluded';
}

function visible(st, item) {
  const f = st.filters;
  if (f.theme && item.theme.toLowerCase() !== f.theme) return false;
  if (f.decision && decisionOf(item) !== f.decision) return false;
  if (f.status && item.implementation_status !== f.status) return false;
  if (f.text && !`${item.control} ${item.title} ${item.justification || ''}`.toLowerCase().includes(f.text)) return false;
  return true;
}

function controlTable(st, onEdit) {
  const rows = st.soa.items.filter((i) => visible(st, i));
  return dataTable({
    caption: t('soa.caption', { shown: rows.length, total: st.soa.items.length }),
    columns: [
      { label: t('soa.control'), value: (i) => i.control },
      { label: t('soa.control_title'), value: (i) => i.title },
      { label: t('soa.decision'), value: (i) => badge(t(`soa.${decisionOf(i)}`), { applicable: 'ok', excluded: 'neutral', undecided: 'warning' }[decisionOf(i)]) },
      { label: t('soa.reasons_or_justification'), value: (i) => (i.applicable === false ? i.justification || '' : i.reasons.map((r) => label('reason', r)).join(', ')) },
      { label: t('soa.status'), value: (i) => label('status', i.implementation_status) },
      { label: t('soa.evidence'), value: (i) => (st.evidence.get(i.control) || {}).evidence_notes || '' },
      { label: t('soa.edit'), value: (i) => {
        const b = h('button', { type: 'button', class: 'small', text: t('soa.edit'), 'aria-label': t('soa.edit_control', { control: i.control }), 'data-control': i.control });
        b.addEventListener('click', () => onEdit(i, b));
        return b;
      } },
    ],
    rows,
    empty: t('soa.no_match'),
  });
}

function openEditor(st, item, box, opener, reload) {
  const ev = st.evidence.get(item.control) || {};
  const errors = h('div');
  const decision = radios(t('soa.decision'), `decision-${item.control}`, [['applicable', t('soa.applicable')], ['excluded', t('soa.excluded')]], item.applicable === null ? null : item.applicable ? 'applicable' : 'excluded');
  const reasons = h('fieldset', { class: 'checks' }, h('legend', { text: t('soa.reasons') }),
    REASONS.map((r) => checkbox(label('reason', r), item.reasons.includes(r), { value: r, name: 'reason' })));
  const justification = h('textarea', { rows: '3', maxlength: '2000', value: item.justification || '' });
  const status = select(STATUSES.map((s) => [s, label('status', s)]), STATUSES.includes(item.implementation_status) ? item.implementation_status : 'not_started');
  const notes = h('textarea', { rows: '3', maxlength: '10000', value: ev.evidence_notes || '' });
  const save = h('button', { type: 'submit', class: 'primary', text: t('common.save') });
  const cancel = h('button', { type: 'button', text: t('common.cancel') });
  const heading = h('h2', { id: 'soa-editor-title', tabindex: '-1', text: t('soa.editing', { control: item.control, title: item.title }) });
  const sync = () => {
    const excluded = decision.value() === 'excluded';
    status.disabled = excluded;
    reasons.disabled = excluded;
  };
  decision.el.addEventListener('change', sync);
  sync();
  const form = h('form', { class: 'card soa-form', 'aria-labelledby': 'soa-editor-title' },
    heading, decision.el, reasons, field(t('soa.justification'), justification, t('soa.justification_hint')),
    field(t('soa.status'), status), field(t('soa.evidence'), notes, t('soa.evidence_hint')), errors,
    h('div', { class: 'actions' }, save, cancel));
  const close = () => {
    clear(box);
    const again = document.querySelector(`button[data-control="${item.control}"]`);
    (again || opener).focus();
  };
  cancel.addEventListener('click', close);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    const d = decision.value();
    if (!d) {
      showError({ message: t('soa.decision_missing') }, errors);
      return;
    }
    const chosen = [...reasons.querySelectorAll('input:checked')].map((i) => i.value);
    const soaItem = { control: item.control, applicable: d === 'applicable' };
    if (d === 'applicable') soaItem.reasons = chosen;
    if (justification.value.trim()) soaItem.justification = justification.value.trim();
    try {
      await busy(save, t('common.saving'), async () => {
        await patch(`/v1/enrolments/${st.id}/soa`, { items: [soaItem] });
        const a = { requirement: item.control };
        if (d === 'applicable' && status.value !== item.implementation_status) a.status = status.value;
        if ((notes.value.trim() || null) !== (ev.evidence_notes || null)) a.evidence_notes = notes.value.trim() || null;
        if (Object.keys(a).length > 1) await patch(`/v1/enrolments/${st.id}/assessments`, { items: [a] });
      });
      await settle(() => reload(), t('soa.saved', { control: item.control }));
      close();
    } catch (err) {
      showError(err, errors);
    }
  });
  render(box, form);
  heading.focus();
}
