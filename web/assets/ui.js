// DOM helpers shared by the views: elements built without HTML strings, labelled form fields,
// tables, the status area (notices, errors with the API's message, progress of long operations),
// dialogs, and formatting of dates, numbers and money.
import { t, label, LOCALE } from './strings.js';

/** Creates an element: props are attributes, `class`, `text`, on<event> handlers and the
 * properties value/checked/selected/disabled/hidden/required; children are nodes or strings. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), guard(value));
    else if (['value', 'checked', 'selected', 'disabled', 'hidden', 'required', 'multiple', 'open'].includes(key))
      el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replaces the children of `el` (arrays are flattened, null skipped). */
export function render(el, ...children) {
  return append(clear(el), children);
}

let uid = 0;
export const newId = (prefix = 'f') => `${prefix}-${++uid}`;

// ---- errors and notices -------------------------------------------------------------------------

let statusArea = null;
export function setStatusArea(el) {
  statusArea = el;
}

/** The details line of an error: the field it names, when to retry, its code and the request id
 * to quote when asking for help; null when there is nothing to add. */
export function errorDetails(err) {
  const d = err.details || {};
  const extra = [];
  if (d.field) extra.push(t('error.field', { field: d.field }));
  if (d.retry_after) extra.push(t('error.retry_after', { seconds: d.retry_after }));
  if (err.code) extra.push(t('error.code', { code: err.code }));
  if (d.request_id) extra.push(t('error.request', { id: d.request_id }));
  return extra.length ? extra.join(' · ') : null;
}

/** A message box for an error: the API's message and its details line. */
export function errorBox(err) {
  const parts = [h('p', { class: 'error-message', text: err.message || t('error.unknown') })];
  const extra = errorDetails(err);
  if (extra) parts.push(h('p', { class: 'error-code', text: extra }));
  return h('div', { class: 'alert alert-error', role: 'alert' }, parts);
}

/** Shows an error in `where` (replacing what was there) or, without it, in the status area. */
export function showError(err, where = null) {
  console.error(err);
  if (where) {
    render(where, errorBox(err));
    return;
  }
  notify(err.message || t('error.unknown'), 'error', errorDetails(err));
}

/** A notice in the status area; errors stay until dismissed, others go after a while. */
export function notify(message, kind = 'info', details = null) {
  if (!statusArea) return;
  const close = h('button', { type: 'button', class: 'link', text: t('common.dismiss') });
  const box = h(
    'div',
    { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('p', { text: message }),
    details ? h('p', { class: 'error-code', text: details }) : null,
    close,
  );
  close.addEventListener('click', () => box.remove());
  statusArea.append(box);
  if (kind !== 'error') setTimeout(() => box.remove(), 8000);
}

/** After a write that succeeded: re-renders with `refresh` (a failure there is shown in the
 * status area, since the form that asked is gone), then confirms with `message`. */
export async function settle(refresh, message) {
  try {
    await refresh();
  } catch (e) {
    showError(e);
  }
  if (message) notify(message, 'success');
}

/** Wraps an event handler so that a failure is shown, never swallowed. */
export function guard(fn) {
  return (...args) => {
    try {
      const r = fn(...args);
      if (r && typeof r.catch === 'function') r.catch((e) => showError(e));
      return r;
    } catch (e) {
      showError(e);
      return undefined;
    }
  };
}

// ---- progress -----------------------------------------------------------------------------------

/** Runs `fn` while `button` shows that it is working and a progress bar says what is going on;
 * `fn` may report a fraction (0..1) through its argument. Returns what `fn` returns. */
export async function busy(button, label, fn) {
  const bar = h('progress', { class: 'busy-bar', 'aria-label': label });
  const box = h('div', { class: 'busy', role: 'status' }, bar, h('span', { text: label }));
  const old = button ? button.disabled : false;
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.after(box);
  } else if (statusArea) {
    statusArea.append(box);
  }
  const report = (fraction) => {
    if (fraction === null || fraction === undefined) bar.removeAttribute('value');
    else {
      bar.max = 1;
      bar.value = Math.max(0, Math.min(1, fraction));
    }
  };
  try {
    return await fn(report);
  } finally {
    box.remove();
    if (button) {
      button.disabled = old;
      button.removeAttribute('aria-busy');
    }
  }
}

export function loading(container, label = t('common.loading')) {
  render(container, 
    h('div', { class: 'busy', role: 'status' }, h('progress', { 'aria-label': label }), h('span', { text: label })),
  );
}

// ---- forms --------------------------------------------------------------------------------------

/** A labelled field: { label, input, hint }. The input gets an id when it has none. */
export function field(label, input, hint = null) {
  if (!input.id) input.id = newId();
  const wrap = h('div', { class: 'field' }, h('label', { for: input.id, text: label }), input);
  if (hint) {
    const hintId = newId('hint');
    input.setAttribute('aria-describedby', hintId);
    wrap.append(h('p', { class: 'hint', id: hintId, text: hint }));
  }
  return wrap;
}

export function select(options, value = null, props = {}) {
  return h(
    'select',
    props,
    options.map(([v, label]) => h('option', { value: v, text: label, selected: v === value })),
  );
}

export function checkbox(label, checked = false, props = {}) {
  const input = h('input', { type: 'checkbox', checked, ...props, id: props.id || newId() });
  return h('div', { class: 'check' }, input, h('label', { for: input.id, text: label }));
}

/** A fieldset of radio buttons; returns { el, value() }. */
export function radios(legend, name, options, value) {
  const inputs = [];
  const el = h(
    'fieldset',
    { class: 'radios' },
    h('legend', { text: legend }),
    options.map(([v, label]) => {
      const input = h('input', { type: 'radio', name, value: v, checked: v === value, id: newId() });
      inputs.push(input);
      return h('span', { class: 'check' }, input, h('label', { for: input.id, text: label }));
    }),
  );
  return { el, value: () => (inputs.find((i) => i.checked) || {}).value ?? null };
}

export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.type === 'radio') {
      if (el.checked) out[el.name] = el.value;
    } else if (el.type === 'number') out[el.name] = el.value === '' ? null : Number(el.value);
    else out[el.name] = el.value.trim() === '' ? null : el.value.trim();
  }
  return out;
}

/** Removes null members (fields left empty) from a body. */
export function compact(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined));
}

// ---- structure ----------------------------------------------------------------------------------

export function section(title, ...children) {
  const id = newId('sec');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), children);
}

/** A table: columns are { label, value(row) → node|string, class }. */
export function dataTable({ caption, columns, rows, empty = t('common.none'), rowClass = null }) {
  if (!rows.length) return h('p', { class: 'empty', text: empty });
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      caption ? h('caption', { text: caption }) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class, text: c.label })))),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            { class: rowClass ? rowClass(row) : null },
            columns.map((c, i) => {
              const v = c.value(row);
              const cell = h(i === 0 && c.header !== false ? 'th' : 'td', { class: c.class }, v);
              if (i === 0 && c.header !== false) cell.setAttribute('scope', 'row');
              return cell;
            }),
          ),
        ),
      ),
    ),
  );
}

export function badge(text, kind = 'neutral') {
  return h('span', { class: `badge badge-${kind}`, text });
}

/** Asks for confirmation in a modal dialog; resolves true or false. */
export function confirmDialog(message, confirmLabel = t('common.confirm')) {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: 'primary', text: confirmLabel });
    const cancel = h('button', { type: 'button', text: t('common.cancel') });
    const dialog = h('dialog', { 'aria-label': message }, h('p', { text: message }), h('div', { class: 'actions' }, ok, cancel));
    const done = (v) => {
      dialog.close();
      dialog.remove();
      resolve(v);
    };
    ok.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', () => done(false));
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

// ---- formatting ---------------------------------------------------------------------------------

const dateFmt = new Intl.DateTimeFormat(LOCALE, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const weekdayFmt = new Intl.DateTimeFormat(LOCALE, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const monthFmt = new Intl.DateTimeFormat(LOCALE, { month: 'long', year: 'numeric', timeZone: 'UTC' });
const timeFmt = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' });

export const parseDay = (iso) => new Date(`${iso}T00:00:00Z`);
export const isoDay = (d) => d.toISOString().slice(0, 10);
export function todayIso() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
export const addDays = (iso, n) => isoDay(new Date(parseDay(iso).getTime() + n * 86400000));
export const fmtDate = (iso) => (iso ? dateFmt.format(parseDay(iso.slice(0, 10))) : '—');
export const fmtDay = (iso) => (iso ? weekdayFmt.format(parseDay(iso)) : '—');
export const fmtMonth = (iso) => monthFmt.format(parseDay(iso));

/** When a session takes place within its day: "morning", "afternoon" or "whole day". */
export const fmtSlot = (slot, halfDays) => (halfDays === 2 ? t('slot.whole_day') : label('slot', slot));
const slotIndex = (slot) => (slot === 'afternoon' ? 1 : 0);
/** Orders sessions by day, the morning before the afternoon; `date` names the day's field. */
export const bySessionTime = (date = 'session_date') => (a, b) =>
  a[date] === b[date] ? slotIndex(a.slot) - slotIndex(b.slot) : a[date] < b[date] ? -1 : 1;
export const fmtTime = (ts) => (ts ? timeFmt.format(new Date(ts)) : '—');
export const fmtNumber = (n, digits = 0) =>
  n === null || n === undefined ? '—' : new Intl.NumberFormat(LOCALE, { maximumFractionDigits: digits }).format(n);
export const fmtPercent = (n) => (n === null || n === undefined ? '—' : `${fmtNumber(n, 0)} %`);
export function fmtMoney(cents, currency = 'EUR') {
  if (cents === null || cents === undefined) return '—';
  return new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).format(cents / 100);
}
