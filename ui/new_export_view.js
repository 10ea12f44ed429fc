// "New export": the filter box (order fields of docs/filters.md) and a few
// helpers that write the filter text; submitting creates the job and opens
// it with its live progress.
import {ApiError, createJob} from './api.js';
import {h} from './dom.js';

const kOrderStatuses = ['incomplete', 'processing', 'complete', 'cancelled'];
const kPayments = ['unpaid', 'authorized', 'partially_authorized', 'paid', 'partially_paid', 'refunded'];
const kShipping = ['unfulfilled', 'fulfilled'];

function select(id, label, values) {
  const element = h('select', {id, name: id},
      h('option', {value: ''}, 'any'), values.map((value) => h('option', {value}, value)));
  return {element, field: h('div', {class: 'field'}, h('label', {for: id}, label), element)};
}

function dateInput(id, label) {
  const element = h('input', {id, name: id, type: 'date'});
  return {element, field: h('div', {class: 'field'}, h('label', {for: id}, label), element)};
}

// The day after a YYYY-MM-DD date, so "to" includes its whole day.
function nextDay(date) {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

export function renderNewExport(main, signal) {
  document.title = 'New export · jobsd';
  const status = select('order-status', 'Order status', kOrderStatuses);
  const payment = select('payment', 'Payment', kPayments);
  const shipping = select('shipping', 'Shipping', kShipping);
  const from = dateInput('created-from', 'Created from');
  const to = dateInput('created-to', 'Created to (inclusive)');
  const filter = h('textarea', {id: 'export-filter', name: 'filter', rows: 3, spellcheck: 'false',
    autocapitalize: 'off', placeholder: 'empty: every order', 'aria-describedby': 'export-filter-reason'});
  const reason = h('p', {class: 'form-error', id: 'export-filter-reason', role: 'alert'});
  const submit = h('button', {type: 'submit', class: 'button primary', id: 'create-export'}, 'Create export');

  // The helpers write the whole filter; the box stays editable for the rest
  // of the language (like(email,*@example.com), in(...), amounts...).
  const build = () => {
    const conditions = [];
    if (status.element.value) conditions.push(`eq(status,${status.element.value})`);
    if (payment.element.value) conditions.push(`eq(payment,${payment.element.value})`);
    if (shipping.element.value) conditions.push(`eq(shipping,${shipping.element.value})`);
    if (from.element.value) conditions.push(`ge(created_at,${from.element.value})`);
    if (to.element.value) conditions.push(`lt(created_at,${nextDay(to.element.value)})`);
    filter.value = conditions.join(':');
  };
  for (const helper of [status, payment, shipping, from, to]) {
    helper.element.addEventListener('change', build);
  }

  const form = h('form', {class: 'card new-export', id: 'new-export-form'},
      h('fieldset', {class: 'helpers'}, h('legend', {}, 'Build a filter'),
          status.field, payment.field, shipping.field, from.field, to.field),
      h('label', {for: 'export-filter'}, 'Filter ', h('span', {class: 'muted'},
          '(order fields; see docs/filters.md)')),
      filter, reason,
      h('div', {class: 'row'}, submit, h('a', {class: 'button ghost', href: '#/jobs'}, 'Back to jobs')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    reason.textContent = '';
    submit.disabled = true;
    try {
      const created = await createJob(filter.value.trim());
      if (!signal.aborted) location.hash = `#/jobs/${created.data.id}`;
    } catch (failure) {
      if (!(failure instanceof ApiError && failure.status === 401)) {
        reason.replaceChildren(failure.message,
            failure.reason ? h('span', {class: 'reason'}, failure.reason) : null);
      }
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('div', {class: 'page-head'}, h('h1', {}, 'New export')),
      h('p', {class: 'muted'}, 'Exports the matching orders to a CSV file (oldest first).'), form);
  filter.focus();
}
