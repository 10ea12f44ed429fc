// The job list: status tabs with counts, a filter box in the filter syntax
// of docs/filters.md, a dense table newest first, paging by the API's links
// and a search by job id.
import {ApiError, listJobs, sameOrigin} from './api.js';
import {ago, formatCount, formatTime, h, statusBadge} from './dom.js';

const kStatuses = ['pending', 'started', 'success', 'failed'];
const kPageSize = 25;

// The list filter of a tab and the filter box together (conditions are ANDed).
function combine(status, filter) {
  return [status ? `eq(status,${status})` : '', filter.trim()].filter(Boolean).join(':');
}

function hashFor({status = '', filter = '', page = ''}) {
  const query = new URLSearchParams();
  if (status) query.set('status', status);
  if (filter) query.set('filter', filter);
  if (page) query.set('page', page);
  const text = query.toString();
  return text ? `#/jobs?${text}` : '#/jobs';
}

function progressCell(job) {
  const meta = job.meta || {};
  if (meta.progress) {
    const bar = h('span', {class: 'mini-bar'}, h('span', {class: 'mini-bar-fill'}));
    bar.firstChild.style.width = `${meta.progress.percent}%`;
    return h('td', {class: 'num'}, bar, ` ${meta.progress.percent}%`);
  }
  if (typeof meta.row_count === 'number') return h('td', {class: 'num'}, `${formatCount(meta.row_count)} rows`);
  return h('td', {class: 'num muted'}, '–');
}

function jobRow(job) {
  const href = `#/jobs/${job.id}`;
  return h('tr', {'data-status': job.status},
      h('td', {class: 'mono'}, h('a', {href, title: job.id}, job.id)),
      h('td', {}, statusBadge(job.status)),
      h('td', {class: 'hide-narrow'}, job.job_type),
      progressCell(job),
      h('td', {class: 'num hide-narrow'}, String((job.meta && job.meta.attempts) || 0)),
      h('td', {title: formatTime(job.timestamps.created_at)}, ago(job.timestamps.created_at)),
      h('td', {class: 'hide-narrow', title: formatTime(job.timestamps.updated_at)}, ago(job.timestamps.updated_at)),
      h('td', {class: 'error-cell hide-narrow', title: job.error || ''}, job.error || ''));
}

export function renderJobs(main, query, signal) {
  document.title = 'Jobs · jobsd';
  const status = kStatuses.includes(query.get('status')) ? query.get('status') : '';
  const filter = query.get('filter') || '';
  const page = query.get('page') || '';

  // Tabs: counts arrive after the list.
  const counts = {};
  const tabs = h('nav', {class: 'tabs', 'aria-label': 'Status'},
      ['', ...kStatuses].map((name) => {
        counts[name] = h('span', {class: 'count', 'data-count': name || 'all'}, '…');
        return h('a', {href: hashFor({status: name, filter}), class: `tab tab-${name || 'all'}`,
          'aria-current': name === status ? 'page' : null}, name || 'all', counts[name]);
      }));

  const filterInput = h('input', {id: 'filter', name: 'filter', value: filter, spellcheck: 'false',
    autocapitalize: 'off', placeholder: 'e.g. eq(job_type,order_export):gt(created_at,2026-01-01)',
    'aria-describedby': 'filter-reason'});
  const reason = h('p', {class: 'form-error', id: 'filter-reason', role: 'alert'});
  const filterForm = h('form', {class: 'filter-form', id: 'filter-form'},
      h('label', {for: 'filter'}, 'Filter'),
      h('div', {class: 'row'}, filterInput, h('button', {type: 'submit', class: 'button'}, 'Apply'),
          filter ? h('a', {class: 'button ghost', href: hashFor({status})}, 'Clear') : null),
      reason);
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = hashFor({status, filter: filterInput.value.trim()});
  });

  const idInput = h('input', {id: 'job-id', name: 'job_id', spellcheck: 'false', autocapitalize: 'off',
    placeholder: 'job id', class: 'mono'});
  const idForm = h('form', {class: 'id-form', id: 'id-form', role: 'search'},
      h('label', {for: 'job-id'}, 'Open a job'),
      h('div', {class: 'row'}, idInput, h('button', {type: 'submit', class: 'button'}, 'Open')));
  idForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = idInput.value.trim();
    if (id) location.hash = `#/jobs/${encodeURIComponent(id)}`;
  });

  const body = h('tbody', {}, h('tr', {}, h('td', {colspan: 8, class: 'muted'}, 'Loading…')));
  const table = h('div', {class: 'table-wrap'}, h('table', {class: 'jobs', id: 'jobs-table'},
      h('thead', {}, h('tr', {},
          h('th', {}, 'Id'), h('th', {}, 'Status'), h('th', {class: 'hide-narrow'}, 'Type'),
          h('th', {class: 'num'}, 'Progress'), h('th', {class: 'num hide-narrow'}, 'Attempts'),
          h('th', {}, 'Created'), h('th', {class: 'hide-narrow'}, 'Updated'),
          h('th', {class: 'hide-narrow'}, 'Error'))),
      body));
  const pager = h('nav', {class: 'pager', 'aria-label': 'Pages'});

  main.append(
      h('div', {class: 'page-head'}, h('h1', {}, 'Jobs'),
          h('div', {class: 'actions'},
              h('a', {class: 'button ghost', href: '#', id: 'refresh', onclick: (event) => {
                event.preventDefault();
                window.dispatchEvent(new HashChangeEvent('hashchange'));
              }}, 'Refresh'),
              h('a', {class: 'button primary', href: '#/new'}, 'New export'))),
      h('div', {class: 'toolbar'}, filterForm, idForm),
      tabs, table, pager);

  const started = performance.now();
  const listFilter = combine(status, filter);
  const list = page ? listJobs({url: page}) : listJobs({filter: listFilter, limit: kPageSize});
  list.then((answer) => {
    if (signal.aborted) return;
    body.replaceChildren(...(answer.data.length
      ? answer.data.map(jobRow)
      : [h('tr', {}, h('td', {colspan: 8, class: 'muted empty'}, 'No jobs match.'))]));
    const meta = answer.meta;
    const links = answer.links;
    pager.replaceChildren(
        h('a', {class: 'button ghost', id: 'prev', href: links.prev ? hashFor({status, filter, page: sameOrigin(links.prev)}) : null,
          'aria-disabled': links.prev ? null : 'true'}, '← Newer'),
        h('span', {class: 'muted', id: 'page-info'},
            `Page ${meta.page.current} of ${meta.page.total} · ${formatCount(meta.results.total)} jobs`),
        h('a', {class: 'button ghost', id: 'next', href: links.next ? hashFor({status, filter, page: sameOrigin(links.next)}) : null,
          'aria-disabled': links.next ? null : 'true'}, 'Older →'));
    main.dataset.listMs = String(Math.round(performance.now() - started));
    main.dataset.loaded = 'list';
  }).catch((failure) => {
    if (signal.aborted) return;
    body.replaceChildren(h('tr', {}, h('td', {colspan: 8, class: 'muted empty'}, 'Could not load the jobs.')));
    showFailure(reason, failure);
    main.dataset.loaded = 'error';
  });

  // One request per tab with page[limit]=1: the count is meta.results.total.
  Promise.all(['', ...kStatuses].map((name) =>
    listJobs({filter: combine(name, filter), limit: 1})
        .then((answer) => { counts[name].textContent = formatCount(answer.meta.results.total); })
        .catch(() => { counts[name].textContent = '–'; })))
      .then(() => {
        if (!signal.aborted) main.dataset.countsMs = String(Math.round(performance.now() - started));
      });
}

// A bad filter shows the API's detail and its meta.reason, as sent.
function showFailure(element, failure) {
  if (failure instanceof ApiError && failure.status === 401) return;
  element.replaceChildren(failure.message || 'Request failed',
      failure.reason ? h('span', {class: 'reason'}, failure.reason) : null);
}
