// The sign-in page: a client id and secret (jobsd credentials create)
// exchanged for an access token.
import {signIn, takeNotice} from './api.js';
import {h} from './dom.js';

export function renderSignIn(main) {
  document.title = 'Sign in · jobsd';
  const notice = takeNotice();
  const error = h('p', {class: 'form-error', role: 'alert', id: 'sign-in-error'});
  const clientId = h('input', {id: 'client-id', name: 'client_id', autocomplete: 'username',
    required: true, spellcheck: 'false', autocapitalize: 'off'});
  const secret = h('input', {id: 'client-secret', name: 'client_secret', type: 'password',
    autocomplete: 'current-password', required: true});
  const submit = h('button', {type: 'submit', class: 'button primary'}, 'Sign in');
  const form = h('form', {class: 'card sign-in', id: 'sign-in-form'},
      h('h1', {}, 'Sign in'),
      h('p', {class: 'muted'}, 'Use API client credentials from ',
          h('code', {}, 'jobsd credentials create'), '.'),
      notice ? h('p', {class: 'notice', id: 'sign-in-notice'}, notice) : null,
      h('label', {for: 'client-id'}, 'Client id'), clientId,
      h('label', {for: 'client-secret'}, 'Client secret'), secret,
      error, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      await signIn(clientId.value.trim(), secret.value.trim());
      location.hash = '#/jobs';
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('div', {class: 'center'}, form));
  clientId.focus();
}
