// Coach (or coordinator): record an organisation's gap analysis (on-site date, analysis date, the
// estimated coaching half-days, summary) and finalise it, which freezes the baseline progress is
// measured against.
import { get, put, post } from './api.js';
import { t, label } from './strings.js';
import { h, render, clear, section, field, badge, busy, showError, fmtTime, confirmDialog, compact, settle } from './ui.js';

export async function renderGap(ctx) {
  const id = ctx.params.id;
  let gap = null;
  try {
    gap = await get(`/v1/enrolments/${id}/gap-analysis`);
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  const enrolment = await get(`/v1/enrolments/${id}`);
  const final = gap && gap.status === 'final';
  render(ctx.main, 
    h('h1', { text: t('gap.title_of', { name: enrolment.organisation_name }) }),
    h('p', { class: 'lead', text: t('gap.lead') }),
    gap ? h('p', {}, badge(label('gap', gap.status), final ? 'ok' : 'info'), ' ', final ? t('gap.finalised', { when: fmtTime(gap.finalised_at) }) : t('gap.draft_note')) : h('p', { class: 'empty', text: t('gap.none') }),
    section(t('gap.record'), gapForm(ctx, id, gap, final)),
    final && gap.baseline ? section(t('gap.baseline'), h('p', { text: t('gap.baseline_text', { percent: gap.baseline.implemented_percent ?? '—' }) })) : null,
    h('p', {}, h('a', { href: `#/enrolment/${id}`, text: t('gap.to_coaching') }), ' · ', h('a', { href: `#/soa/${id}`, text: t('gap.to_soa') })),
  );
}

function gapForm(ctx, id, gap, final) {
  const g = gap || {};
  const errors = h('div');
  const onsite = h('input', { type: 'date', value: g.onsite_date || '', disabled: final });
  const analysis = h('input', { type: 'date', value: g.analysis_date || '', disabled: final });
  const estimate = h('input', { type: 'number', min: '0', max: '200', value: g.estimated_coaching_half_days ?? '', disabled: final });
  const summary = h('textarea', { rows: '6', maxlength: '20000', value: g.summary || '', disabled: final });
  const save = h('button', { type: 'submit', class: 'primary', text: t('gap.save'), disabled: final });
  const finalise = h('button', { type: 'button', text: t('gap.finalise'), disabled: final || !gap });
  const form = h('form', { class: 'grid-form', 'aria-label': t('gap.record') },
    field(t('gap.onsite'), onsite, t('gap.onsite_hint')), field(t('gap.analysis'), analysis, t('gap.analysis_hint')),
    field(t('gap.estimate'), estimate, t('gap.estimate_hint')), field(t('gap.summary'), summary),
    errors, h('div', { class: 'actions' }, save, finalise));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    const body = compact({
      onsite_date: onsite.value || null,
      analysis_date: analysis.value || null,
      estimated_coaching_half_days: estimate.value === '' ? null : Number(estimate.value),
      summary: summary.value.trim() || null,
    });
    try {
      await busy(save, t('common.saving'), () => put(`/v1/enrolments/${id}/gap-analysis`, body));
      await settle(() => renderGap(ctx), t('common.saved'));
    } catch (err) {
      showError(err, errors);
    }
  });
  finalise.addEventListener('click', async () => {
    clear(errors);
    if (!(await confirmDialog(t('gap.finalise_confirm'), t('gap.finalise')))) return;
    try {
      await busy(finalise, t('gap.finalising'), () => post(`/v1/enrolments/${id}/gap-analysis/finalise`));
      await settle(() => renderGap(ctx), t('gap.finalised_ok'));
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

