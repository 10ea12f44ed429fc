// The dashboard's client of the jobsd API (same origin only: the CSP's
// connect-src is 'self'). The access token lives in sessionStorage: it stays
// in this tab, is never a cookie (so no CSRF) and never part of a URL.
// Any 401 on /v2/* clears it and sends the person back to sign in.

const kTokenKey = 'jobsd.token';
const kFiltersKey = 'jobsd.filters';
const kNoticeKey = 'jobsd.notice';

export class ApiError extends Error {
  // `body` is the error envelope of docs/errors.md when the server sent one.
  constructor(status, body) {
    const error = body && body.errors && body.errors[0];
    super(error ? error.detail || error.title : `HTTP ${status}`);
    this.status = status;
    this.title = error ? error.title : '';
    this.reason = error && error.meta ? error.meta.reason || '' : '';
  }
}

export function token() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(kTokenKey) || 'null');
    if (!saved || !saved.access_token) return null;
    if (saved.expires && saved.expires * 1000 <= Date.now()) {
      signOut('Your session has expired. Sign in again.');
      return null;
    }
    return saved.access_token;
  } catch {
    return null;
  }
}

// Leaves a message for the sign-in page and forgets the token.
export function signOut(notice = '') {
  sessionStorage.removeItem(kTokenKey);
  if (notice) sessionStorage.setItem(kNoticeKey, notice);
  else sessionStorage.removeItem(kNoticeKey);
}

// The message left by signOut, once.
export function takeNotice() {
  const notice = sessionStorage.getItem(kNoticeKey) || '';
  sessionStorage.removeItem(kNoticeKey);
  return notice;
}

// POST /oauth/access_token with client credentials (form-encoded).
export async function signIn(clientId, clientSecret) {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
  });
  const response = await fetch('/oauth/access_token', {
    method: 'POST',
    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
    body,
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) throw new ApiError(401, {errors: [{detail: 'Wrong client id or client secret.'}]});
    throw new ApiError(response.status, json);
  }
  sessionStorage.setItem(kTokenKey, JSON.stringify({
    access_token: json.access_token,
    expires: json.expires,
  }));
  sessionStorage.removeItem(kNoticeKey);
}

// Fires when the server refused the token: app.js shows the sign-in page.
export const unauthorized = new EventTarget();

// The path and query of an API URL, so that links on the public base URL
// (which may name another host, e.g. behind a proxy) are fetched from this
// origin.
export function sameOrigin(url) {
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search;
}

async function request(path, options = {}) {
  const bearer = token();
  if (!bearer) {
    unauthorized.dispatchEvent(new Event('signin'));
    throw new ApiError(401, null);
  }
  const response = await fetch(sameOrigin(path), {
    ...options,
    headers: {...(options.headers || {}), Authorization: `Bearer ${bearer}`},
  });
  // Several requests may be refused at once: the first one signs out.
  if (response.status === 401 && token() === bearer) {
    signOut('The server refused your access token (expired or revoked). Sign in again.');
    unauthorized.dispatchEvent(new Event('signin'));
  }
  return response;
}

async function json(path, options) {
  const response = await request(path, options);
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// GET /v2/jobs with page[limit], page[offset] and an optional filter; or a
// URL from a previous answer's links.
export function listJobs({filter = '', limit = 25, offset = 0, url = ''} = {}) {
  if (url) return json(url);
  const params = new URLSearchParams();
  params.set('page[limit]', String(limit));
  params.set('page[offset]', String(offset));
  if (filter) params.set('filter', filter);
  return json(`/v2/jobs?${params}`);
}

export function getJob(id) {
  return json(`/v2/jobs/${encodeURIComponent(id)}`);
}

export async function createJob(filter) {
  const body = {data: {type: 'job', job_type: 'order_export'}};
  if (filter) body.data.filter = filter;
  const created = await json('/v2/jobs', {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(body),
  });
  rememberFilter(created.data.id, filter);
  return created;
}

export function cancelJob(id) {
  return json(`/v2/jobs/${encodeURIComponent(id)}/cancel`, {method: 'POST'});
}

// The API does not return a job's filter: the dashboard remembers the ones
// it submitted, in this tab.
function rememberFilter(id, filter) {
  const filters = JSON.parse(sessionStorage.getItem(kFiltersKey) || '{}');
  filters[id] = filter;
  sessionStorage.setItem(kFiltersKey, JSON.stringify(filters));
}

export function rememberedFilter(id) {
  const filters = JSON.parse(sessionStorage.getItem(kFiltersKey) || '{}');
  return Object.prototype.hasOwnProperty.call(filters, id) ? filters[id] : null;
}

// Follows GET /v2/jobs/{id}/events (text/event-stream) with fetch, so the
// token travels in the Authorization header (EventSource cannot send one).
// Calls onJob(document) for every event; resolves when the server ends the
// stream (after the final status) or `signal` aborts it.
export async function followEvents(id, onJob, signal) {
  const response = await request(`/v2/jobs/${encodeURIComponent(id)}/events`, {
    headers: {Accept: 'text/event-stream'},
    signal,
  });
  if (!response.ok) {
    throw new ApiError(response.status, await response.json().catch(() => null));
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data = [];
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        // A blank line ends an event.
        if (data.length) onJob(JSON.parse(data.join('\n')));
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
      // "event:", "id:" and ":" comments need nothing: every event is a job.
    }
  }
}
