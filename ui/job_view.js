// One job: status, timestamps, attempts, error, a live progress bar fed by
// GET /v2/jobs/{id}/events, the download link and a cancel button.
import {ApiError, cancelJob, followEvents, getJob, rememberedFilter} from './api.js';
import {formatCount, formatTime, h, statusBadge} from './dom.js';

const kFinal = new Set(['success', 'failed']);

export function renderJob(main, id, signal) {
  document.title = `Job ${id} · jobsd`;
  const view = h('section', {class: 'job', id: 'job-view'}, h('p', {class: 'muted'}, 'Loading…'));
  main.append(h('p', {class: 'crumbs'}, h('a', {href: '#/jobs'}, '← Jobs')), view);

  const cancelError = h('p', {class: 'form-error', id: 'cancel-error', role: 'alert'});
  let current = null;

  const show = (job) => {
    current = job;
    view.replaceChildren(...jobParts(job, onCancel, cancelError));
    view.dataset.status = job.status;
  };

  async function onCancel(button) {
    button.disabled = true;
    cancelError.textContent = '';
    try {
      const answer = await cancelJob(id);
      if (!kFinal.has(current.status) || kFinal.has(answer.data.status)) show(answer.data);
    } catch (failure) {
      if (!(failure instanceof ApiError && failure.status === 401)) {
        cancelError.textContent = failure.message;
      }
      button.disabled = false;
    }
  }

  getJob(id).then((answer) => {
    if (signal.aborted) return;
    show(answer.data);
    if (kFinal.has(answer.data.status)) return;
    // The stream sends the job at once and on every change, and ends after
    // the final status.
    followEvents(id, (document_) => {
      if (signal.aborted) return;
      // A job never leaves success or failed: an event older than the
      // cancel's answer (shown already) must not put the page back.
      if (current && kFinal.has(current.status) && !kFinal.has(document_.data.status)) return;
      show(document_.data);
    }, signal).catch((failure) => {
      if (!signal.aborted && !(failure instanceof ApiError && failure.status === 401)) {
        view.append(h('p', {class: 'form-error'}, `Live updates stopped: ${failure.message}`));
      }
    });
  }).catch((failure) => {
    if (signal.aborted || (failure instanceof ApiError && failure.status === 401)) return;
    view.replaceChildren(
        h('h1', {}, 'Job not found'),
        h('p', {class: 'form-error', id: 'job-error'}, failure.message),
        h('p', {class: 'mono muted'}, id));
  });
}

function progressOf(job) {
  const meta = job.meta || {};
  if (job.status === 'success') return {percent: 100, text: `${formatCount(meta.row_count)} rows written`};
  if (meta.progress) {
    const p = meta.progress;
    return {percent: p.percent, text: `${formatCount(p.rows_written)} of ${formatCount(p.rows_total)} rows`};
  }
  if (job.status === 'pending') return {percent: 0, text: 'waiting for a worker'};
  if (job.status === 'started') return {percent: 0, text: 'starting'};
  return {percent: null, text: ''};
}

function jobParts(job, onCancel, cancelError) {
  const live = !kFinal.has(job.status);
  const progress = progressOf(job);
  const parts = [
    h('div', {class: 'page-head'},
        h('h1', {}, 'Job ', h('span', {class: 'mono id', id: 'job-id-title'}, job.id)),
        h('div', {class: 'actions'},
            live ? h('button', {type: 'button', class: 'button danger', id: 'cancel',
              onclick: (event) => onCancel(event.currentTarget)}, 'Cancel job') : null,
            job.link && job.link.href
              ? h('a', {class: 'button primary', id: 'download', href: job.link.href, download: ''}, 'Download CSV')
              : null)),
    cancelError,
  ];
  if (progress.percent !== null) {
    const fill = h('div', {class: `bar-fill bar-${job.status}`});
    fill.style.width = `${progress.percent}%`;
    parts.push(h('div', {class: 'progress card'},
        h('div', {class: 'progress-head'},
            statusBadge(job.status),
            h('strong', {id: 'progress-percent'}, `${progress.percent}%`),
            h('span', {class: 'muted', id: 'progress-rows'}, progress.text),
            live ? h('span', {class: 'live'}, 'live') : null),
        h('div', {class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100,
          'aria-valuenow': progress.percent, 'aria-label': 'Export progress'}, fill)));
  }
  const filter = rememberedFilter(job.id);
  const meta = job.meta || {};
  parts.push(h('dl', {class: 'facts card'},
      fact('Status', statusBadge(job.status), 'fact-status'),
      fact('Type', job.job_type),
      fact('Created', formatTime(job.timestamps.created_at)),
      fact('Updated', formatTime(job.timestamps.updated_at)),
      fact('Attempts', String(meta.attempts || 0)),
      meta.interruptions ? fact('Interruptions', String(meta.interruptions)) : null,
      typeof meta.row_count === 'number' ? fact('Rows', formatCount(meta.row_count)) : null,
      job.error ? fact('Error', h('span', {class: 'error-text', id: 'job-error'}, job.error)) : null,
      fact('Filter', filter === null
        ? h('span', {class: 'muted'}, 'not returned by the API (shown for exports created in this tab)')
        : h('code', {id: 'job-filter'}, filter || '(none: every order)')),
      job.link && job.link.href ? fact('File', h('a', {href: job.link.href, class: 'mono break'}, job.link.href)) : null,
      fact('API', h('code', {class: 'break'}, job.links.self))));
  return parts;
}

function fact(name, value, id) {
  return [h('dt', {}, name), h('dd', {id: id || null}, value)];
}
