// The dashboard's shell: hash routing (#/sign-in, #/jobs, #/jobs/<id>,
// #/new) so that the server serves one index.html, and the header.
import {signOut, token, unauthorized} from './api.js';
import {clear} from './dom.js';
import {renderJob} from './job_view.js';
import {renderJobs} from './jobs_view.js';
import {renderNewExport} from './new_export_view.js';
import {renderSignIn} from './sign_in_view.js';

const main = document.getElementById('main');
const nav = document.getElementById('topnav');
// Aborted when the next page renders: stops the previous page's event stream.
let pageLifetime = new AbortController();

function parseHash() {
  const hash = location.hash.replace(/^#/, '') || '/jobs';
  const question = hash.indexOf('?');
  const path = question >= 0 ? hash.slice(0, question) : hash;
  const query = new URLSearchParams(question >= 0 ? hash.slice(question + 1) : '');
  return {parts: path.split('/').filter(Boolean).map(decodeURIComponent), query};
}

function markNav(name) {
  for (const link of nav.querySelectorAll('a[data-nav]')) {
    if (link.dataset.nav === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function route() {
  pageLifetime.abort();
  pageLifetime = new AbortController();
  const signal = pageLifetime.signal;
  clear(main);
  const {parts, query} = parseHash();
  const signedIn = token() !== null;
  nav.hidden = !signedIn;
  if (!signedIn || parts[0] === 'sign-in') {
    if (signedIn) {
      location.hash = '#/jobs';
      return;
    }
    markNav('');
    document.title = 'Sign in · jobsd';
    renderSignIn(main);
    return;
  }
  if (parts[0] === 'jobs' && parts[1]) {
    markNav('jobs');
    renderJob(main, parts[1], signal);
  } else if (parts[0] === 'new') {
    markNav('new');
    renderNewExport(main, signal);
  } else {
    markNav('jobs');
    renderJobs(main, query, signal);
  }
}

// To the sign-in page; a hash change renders it, else render it here.
function showSignIn() {
  if (location.hash !== '#/sign-in') location.hash = '#/sign-in';
  else route();
}

unauthorized.addEventListener('signin', showSignIn);

document.getElementById('sign-out').addEventListener('click', () => {
  signOut('You have signed out.');
  showSignIn();
});

window.addEventListener('hashchange', route);
route();
