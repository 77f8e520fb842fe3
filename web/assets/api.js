// The only place that talks to the server: the documented JSON API with the bearer token kept in
// sessionStorage, downloads that need the token, and the feedback event stream read with fetch
// (EventSource cannot send the Authorization header the stream requires).
import { t } from './strings.js';

const TOKEN_KEY = 'isms.token';

/** An answer of the API that is not a success, with the API's own code and message. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

function authHeaders(extra = {}) {
  const headers = { ...extra };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  return headers;
}

/** Builds an ApiError from a failed response, keeping the API's message. */
async function errorFrom(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const err = body && body.error;
  // The server's id of the request, which its log carries too: a user can quote it.
  const requestId = res.headers.get('X-Request-Id');
  if (err && typeof err.message === 'string') {
    const { code, message, ...details } = err;
    const retry = res.headers.get('Retry-After');
    if (retry) details.retry_after = Number(retry);
    if (requestId) details.request_id = requestId;
    return new ApiError(res.status, code || 'error', message, details);
  }
  const details = requestId ? { request_id: requestId } : {};
  return new ApiError(res.status, 'http_' + res.status, t('error.http', { status: res.status }), details);
}

function unauthenticated(err) {
  if (err.status === 401 && err.code === 'unauthenticated') {
    session.token = null;
    window.dispatchEvent(new CustomEvent('isms:unauthenticated', { detail: err }));
  }
  return err;
}

async function send(method, path, body, headers) {
  const init = { method, headers: authHeaders(headers), cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', t('error.network'));
  }
}

/** Calls the API; answers the parsed JSON (null for 204) or throws an ApiError. */
export async function api(method, path, body, headers = {}) {
  const res = await send(method, path, body, headers);
  if (!res.ok) throw unauthenticated(await errorFrom(res));
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path) => api('GET', path);
export const post = (path, body, headers) => api('POST', path, body, headers);
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/** Every item of a paginated list (following next_cursor, at most `max` pages). */
export async function listAll(path, max = 20) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < max; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const url = `${path}${sep}limit=200${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`;
    const res = await get(url);
    items.push(...(res.items || []));
    cursor = res.next_cursor;
    if (!cursor) break;
  }
  return items;
}

function filenameFrom(disposition) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition || '');
  return m ? decodeURIComponent(m[1]) : null;
}

/** Downloads a file that needs the token; `onProgress(received, total|null)` follows the bytes. */
export async function download(path, fallbackName, onProgress = () => {}) {
  let res;
  try {
    res = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', t('error.network'));
  }
  if (!res.ok) throw unauthenticated(await errorFrom(res));
  const total = Number(res.headers.get('Content-Length')) || null;
  const reader = res.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
  }
  const blob = new Blob(chunks, { type: res.headers.get('Content-Type') || 'application/octet-stream' });
  const name = filenameFrom(res.headers.get('Content-Disposition')) || fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
  return { name, size: blob.size };
}

/**
 * Follows a server-sent event stream with the bearer token. Calls onEvent(type, data, id) for each
 * event and onStatus(state, error) with 'connecting', 'live', 'reconnecting' or 'ended' (the server
 * ended it with an error event or refused it). Reconnects after the advertised retry with
 * Last-Event-ID. Returns { close }.
 */
export function followEvents(path, { onEvent, onStatus, lastEventId = null }) {
  let lastId = lastEventId === null || lastEventId === undefined ? null : String(lastEventId);
  let retry = 2000;
  let stopped = false;
  let controller = null;
  let timer = null;
  let attempts = 0;

  function dispatch(ev) {
    if (ev.retry) retry = ev.retry;
    if (ev.data === null) return;
    if (ev.type === 'error') {
      let err = new ApiError(0, 'stream_error', t('error.stream'));
      try {
        const e = JSON.parse(ev.data).error;
        err = new ApiError(0, e.code, e.message);
      } catch {
        /* keep the generic message */
      }
      stopped = true;
      onStatus('ended', err);
      controller.abort();
      return;
    }
    if (ev.id !== null) lastId = ev.id;
    let data = null;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    onEvent(ev.type || 'message', data, ev.id);
  }

  async function read(res) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let ev = { id: null, type: null, data: null, retry: null };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (line === '') {
          dispatch(ev);
          if (stopped) return;
          ev = { id: null, type: null, data: null, retry: null };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') ev.id = val;
        else if (field === 'event') ev.type = val;
        else if (field === 'data') ev.data = ev.data === null ? val : ev.data + '\n' + val;
        else if (field === 'retry' && /^\d+$/.test(val)) ev.retry = Number(val);
      }
    }
  }

  async function connect() {
    if (stopped) return;
    controller = new AbortController();
    onStatus(attempts++ === 0 ? 'connecting' : 'reconnecting');
    try {
      const headers = authHeaders({ Accept: 'text/event-stream' });
      if (lastId !== null) headers['Last-Event-ID'] = lastId;
      const res = await fetch(path, { headers, signal: controller.signal, cache: 'no-store' });
      if (!res.ok) {
        const err = unauthenticated(await errorFrom(res));
        if (res.status < 500) {
          stopped = true;
          onStatus('ended', err);
          return;
        }
        throw err;
      }
      onStatus('live');
      await read(res);
    } catch (e) {
      if (stopped) return;
    }
    if (!stopped) {
      onStatus('reconnecting');
      timer = setTimeout(connect, retry);
    }
  }

  connect();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
      if (controller) controller.abort();
    },
  };
}
