// Feedback boards. Members post (anonymously: a post waits until posts from enough organisations
// are released together), say "me too", and see their own posts marked; coordinators open and
// close boards and hide released posts with a reason. The board follows the server's event stream,
// so releases and moderation appear without reloading.
import { get, post, patch, put, del, listAll, followEvents } from './api.js';
import { t } from './strings.js';
import { h, render, clear, section, field, dataTable, badge, busy, showError, notify, fmtDate, fmtTime, confirmDialog } from './ui.js';

export async function renderBoards(ctx) {
  const clusterId = ctx.cluster().cluster_id;
  const boards = await listAll(`/v1/clusters/${clusterId}/feedback/boards`);
  render(ctx.main, 
    h('h1', { text: t('feedback.title') }),
    h('p', { class: 'lead', text: t('feedback.lead') }),
    section(t('feedback.boards'), dataTable({
      caption: t('feedback.boards_caption'),
      columns: [
        { label: t('feedback.board'), value: (b) => h('a', { href: `#/board/${b.id}`, text: b.title }) },
        { label: t('feedback.state'), value: (b) => badge(t(`feedback.state_${b.state}`), b.state === 'open' ? 'ok' : 'neutral') },
        { label: t('feedback.waiting'), value: (b) => String(b.waiting_posts), class: 'num' },
        { label: t('feedback.batches'), value: (b) => String(b.batches), class: 'num' },
        { label: t('feedback.created'), value: (b) => fmtDate(b.created_at) },
      ],
      rows: boards,
      empty: t('feedback.no_boards'),
    })),
    ctx.isCoordinator() ? section(t('feedback.open_board'), createForm(ctx, clusterId)) : null,
  );
}

function createForm(ctx, clusterId) {
  const errors = h('div');
  const title = h('input', { type: 'text', name: 'title', maxlength: '200', required: true });
  const prompt = h('textarea', { name: 'prompt', rows: '2', maxlength: '2000' });
  const interval = h('input', { type: 'number', name: 'release_interval_minutes', min: '240', max: '1440', value: '240' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('feedback.create') });
  const form = h('form', { class: 'grid-form', 'aria-label': t('feedback.open_board') },
    field(t('feedback.board_title'), title), field(t('feedback.prompt'), prompt),
    field(t('feedback.interval'), interval, t('feedback.interval_hint')), errors, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { title: title.value.trim(), release_interval_minutes: Number(interval.value) };
    if (prompt.value.trim()) body.prompt = prompt.value.trim();
    try {
      const board = await busy(submit, t('common.saving'), () => post(`/v1/clusters/${clusterId}/feedback/boards`, body));
      ctx.go(`#/board/${board.id}`);
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

// ---- one board ------------------------------------------------------------------------------------

export async function renderBoard(ctx) {
  const id = ctx.params.id;
  const [board, page] = await Promise.all([get(`/v1/feedback/boards/${id}`), get(`/v1/feedback/boards/${id}/posts?limit=200`)]);
  const st = { board, posts: new Map(page.items.map((p) => [p.id, p])), order: page.items.map((p) => p.id) };
  const head = h('div');
  const live = h('p', { class: 'live', role: 'status' });
  const list = h('div', { id: 'posts' });
  const writing = section(t('feedback.write'), postForm(id, st, () => redraw()));
  const redraw = () => {
    render(head, boardHeader(ctx, st));
    render(list, postList(ctx, st, redraw));
    writing.hidden = !(st.board.can_post && st.board.state === 'open');
  };
  st.redraw = redraw;
  redraw();
  render(ctx.main, 
    h('p', {}, h('a', { href: '#/feedback', text: t('feedback.back') })),
    head, live,
    writing,
    section(t('feedback.posts'), list),
  );
  const stream = followEvents(`/v1/feedback/boards/${id}/events`, {
    lastEventId: page.last_event_id,
    onStatus: (state, err) => {
      live.className = `live live-${state}`;
      live.textContent = state === 'ended' ? t('feedback.live_ended', { message: err ? err.message : '' }) : t(`feedback.live_${state}`);
    },
    onEvent: (type, data) => {
      if (type === 'board') st.board = data;
      else if (type === 'post') {
        if (!st.posts.has(data.id)) st.order.push(data.id);
        st.posts.set(data.id, data);
      } else if (type === 'post_removed') {
        st.posts.delete(data.id);
        st.order = st.order.filter((x) => x !== data.id);
      }
      redraw();
    },
  });
  ctx.onLeave(() => stream.close());
}

function boardHeader(ctx, st) {
  const b = st.board;
  const stats = b.statistics.suppressed ? t('feedback.stats_suppressed') : t('feedback.stats', { posts: b.statistics.released_posts, metoo: b.statistics.me_too_total });
  const actions = h('div', { class: 'actions' });
  const errors = h('div');
  if (b.can_moderate) {
    const toggle = h('button', { type: 'button', text: b.state === 'open' ? t('feedback.close') : t('feedback.reopen') });
    toggle.addEventListener('click', async () => {
      if (b.state === 'open' && !(await confirmDialog(t('feedback.close_confirm'), t('feedback.close')))) return;
      try {
        st.board = await busy(toggle, t('common.saving'), () => post(`/v1/feedback/boards/${b.id}/${b.state === 'open' ? 'close' : 'open'}`));
        notify(st.board.state === 'open' ? t('feedback.reopened') : t('feedback.closed'), 'success');
        st.redraw();
      } catch (err) {
        showError(err, errors);
      }
    });
    actions.append(toggle, renameForm(b, st, errors));
  }
  return h('div', { class: 'board-head' },
    h('h1', { text: b.title }),
    b.prompt ? h('p', { class: 'lead', text: b.prompt }) : null,
    h('p', {}, badge(t(`feedback.state_${b.state}`), b.state === 'open' ? 'ok' : 'neutral'), ' ',
      t('feedback.release_info', { minutes: b.release_interval_minutes, next: fmtTime(b.next_release_at), waiting: b.waiting_posts, batches: b.batches }),
      b.changes_waiting ? ` ${t('feedback.changes_waiting')}` : ''),
    h('p', { class: 'hint', text: stats }),
    h('div', { class: `alert ${b.anonymity.threshold_reachable && !b.anonymity.others_attributable ? 'alert-info' : 'alert-warning'}`, role: 'note' },
      h('p', { class: 'strong', text: t('feedback.anonymity', { k: b.anonymity.release_threshold }) }), h('p', { text: b.anonymity.statement })),
    actions, errors);
}

function renameForm(b, st, errors) {
  const title = h('input', { type: 'text', value: b.title, maxlength: '200' });
  const save = h('button', { type: 'submit', text: t('feedback.rename') });
  const form = h('form', { class: 'inline-form' }, field(t('feedback.board_title'), title), save);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      st.board = await busy(save, t('common.saving'), () => patch(`/v1/feedback/boards/${b.id}`, { title: title.value.trim() }));
      notify(t('common.saved'), 'success');
      st.redraw();
    } catch (err) {
      showError(err, errors);
    }
  });
  return h('details', {}, h('summary', { text: t('feedback.edit_board') }), form);
}

function postForm(boardId, st, redraw) {
  const errors = h('div');
  const text = h('textarea', { name: 'text', rows: '4', maxlength: '4000', required: true });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('feedback.post') });
  const form = h('form', { 'aria-label': t('feedback.write') }, field(t('feedback.text'), text, t('feedback.text_hint')), errors, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    if (!text.value.trim()) {
      showError({ message: t('feedback.text_missing') }, errors);
      return;
    }
    try {
      const p = await busy(submit, t('feedback.posting'), () => post(`/v1/feedback/boards/${boardId}/posts`, { text: text.value.trim() }));
      st.posts.set(p.id, p);
      st.order.unshift(p.id);
      text.value = '';
      notify(t('feedback.posted'), 'success');
      redraw();
    } catch (err) {
      showError(err, errors);
    }
  });
  return form;
}

function sorted(st) {
  const posts = st.order.map((id) => st.posts.get(id)).filter(Boolean);
  const rank = (p) => (p.status === 'waiting' ? 0 : 1);
  return posts.sort((a, b) => rank(a) - rank(b) || (b.batch || 0) - (a.batch || 0));
}

function postList(ctx, st, redraw) {
  const posts = sorted(st);
  if (!posts.length) return h('p', { class: 'empty', text: t('feedback.no_posts') });
  return h('ul', { class: 'posts' }, posts.map((p) => postItem(ctx, st, p, redraw)));
}

function postItem(ctx, st, p, redraw) {
  const errors = h('div');
  const actions = h('div', { class: 'row-actions' });
  const replace = (np) => {
    st.posts.set(np.id, np);
    redraw();
  };
  const act = (button, fn) => button.addEventListener('click', async () => {
    try {
      const r = await busy(button, t('common.saving'), fn);
      if (r) replace(r);
    } catch (err) {
      showError(err, errors);
    }
  });
  const open = st.board.state === 'open';
  if (!p.is_mine && p.status === 'released' && st.board.can_post && open) {
    const b = h('button', { type: 'button', 'aria-pressed': p.me_too_mine ? 'true' : 'false', text: p.me_too_mine ? t('feedback.me_too_undo') : t('feedback.me_too') });
    act(b, () => (p.me_too_mine ? del(`/v1/feedback/posts/${p.id}/me-too`).then(() => ({ ...p, me_too_mine: false })) : put(`/v1/feedback/posts/${p.id}/me-too`)));
    actions.append(b);
  }
  if (p.is_mine && open) {
    const b = h('button', { type: 'button', text: t('feedback.delete') });
    b.addEventListener('click', async () => {
      if (!(await confirmDialog(t('feedback.delete_confirm'), t('feedback.delete')))) return;
      try {
        await busy(b, t('common.saving'), () => del(`/v1/feedback/posts/${p.id}`));
        st.posts.delete(p.id);
        redraw();
      } catch (err) {
        showError(err, errors);
      }
    });
    actions.append(b);
  }
  if (st.board.can_moderate && p.status === 'released') {
    if (p.hidden) {
      const b = h('button', { type: 'button', text: t('feedback.unhide') });
      act(b, () => post(`/v1/feedback/posts/${p.id}/unhide`));
      actions.append(b);
    } else actions.append(hideForm(p, replace, errors));
  }
  return h('li', { class: ['post', p.is_mine && 'post-mine', p.hidden && 'post-hidden'] },
    h('p', { class: 'post-meta' },
      p.is_mine ? badge(t('feedback.mine'), 'info') : null, ' ',
      p.status === 'waiting' ? badge(t('feedback.waiting_badge'), 'warning') : badge(t('feedback.released', { date: fmtDate(p.released_on), batch: p.batch }), 'ok'), ' ',
      p.hidden ? badge(t('feedback.hidden', { reason: p.hidden_reason || '' }), 'error') : null, ' ',
      p.edit_pending ? badge(t('feedback.edit_pending'), 'neutral') : null),
    h('p', { class: 'post-text', text: p.text }),
    h('p', { class: 'hint', text: t('feedback.me_too_count', { n: p.me_too }) + (p.me_too_mine ? ' ' + t('feedback.me_too_yours') : '') }),
    actions, errors);
}

function hideForm(p, replace, errors) {
  const reason = h('input', { type: 'text', maxlength: '500' });
  const submit = h('button', { type: 'submit', text: t('feedback.hide') });
  const form = h('form', { class: 'inline-form' }, field(t('feedback.hide_reason'), reason), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!reason.value.trim()) {
      showError({ message: t('feedback.hide_reason_missing') }, errors);
      reason.focus();
      return;
    }
    try {
      replace(await busy(submit, t('common.saving'), () => post(`/v1/feedback/posts/${p.id}/hide`, { reason: reason.value.trim() })));
    } catch (err) {
      showError(err, errors);
    }
  });
  return h('details', {}, h('summary', { text: t('feedback.hide_post') }), form);
}
