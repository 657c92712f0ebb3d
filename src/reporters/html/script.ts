/**
 * The report's only script: severity / attack filters, opening the finding a matrix cell or a
 * link points at, open / close all, and copy buttons. Inlined and allowed by its hash in the
 * Content-Security-Policy; it reads the page, never data from the target.
 */
export const SCRIPT = `
(function () {
  'use strict';
  function checked(name) {
    var out = {};
    document.querySelectorAll('input[data-filter="' + name + '"]').forEach(function (i) { out[i.value] = i.checked; });
    return out;
  }
  function apply() {
    var sev = checked('severity');
    var att = checked('attack');
    document.querySelectorAll('.finding').forEach(function (el) {
      el.hidden = !(sev[el.getAttribute('data-severity')] !== false && att[el.getAttribute('data-attack')] !== false);
    });
    // An endpoint whose findings are all filtered out leaves no empty heading behind.
    document.querySelectorAll('.ep-group').forEach(function (g) {
      g.hidden = g.querySelector('.finding:not([hidden])') === null;
    });
    count();
  }
  function count() {
    var el = document.getElementById('shown-count');
    if (el) el.textContent = String(document.querySelectorAll('.finding:not([hidden])').length);
  }
  document.querySelectorAll('input[data-filter]').forEach(function (i) { i.addEventListener('change', apply); });
  // Opens the element an in-page link points at: every <details> around it, and the finding
  // itself even when a filter had hidden it; then scrolls it into view.
  function reveal(id, smooth) {
    var target = id ? document.getElementById(id) : null;
    if (!target) return false;
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === 'DETAILS') el.open = true;
      if (el.hidden) el.hidden = false;
    }
    count();
    target.scrollIntoView({ block: 'start', behavior: smooth ? 'smooth' : 'auto' });
    var summary = target.querySelector('summary');
    if (summary) summary.focus({ preventScroll: true });
    return true;
  }
  document.addEventListener('click', function (e) {
    var link = e.target && e.target.closest ? e.target.closest('a[href^="#"]') : null;
    if (!link) return;
    var id = link.getAttribute('href').slice(1);
    if (reveal(id, true)) {
      e.preventDefault();
      if (history.pushState) history.pushState(null, '', '#' + id);
    }
  });
  window.addEventListener('hashchange', function () { reveal(location.hash.slice(1), false); });
  document.querySelectorAll('button[data-expand]').forEach(function (b) {
    b.addEventListener('click', function () {
      var open = b.getAttribute('data-expand') === 'open';
      document.querySelectorAll('#findings details.finding:not([hidden])').forEach(function (d) { d.open = open; });
    });
  });
  function fallbackCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand('copy'); } catch (e) { /* the text stays selectable by hand */ }
    document.body.removeChild(area);
  }
  document.querySelectorAll('button.copy').forEach(function (b) {
    b.addEventListener('click', function () {
      var target = document.getElementById(b.getAttribute('data-copy') || '');
      if (!target) return;
      var text = target.textContent || '';
      var settled = false;
      var finish = function (copied) {
        if (settled) return;
        settled = true;
        if (!copied) fallbackCopy(text);
        b.textContent = 'copied';
        setTimeout(function () { b.textContent = 'copy'; }, 1200);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { finish(true); }, function () { finish(false); });
        // A permission prompt nobody answers (headless, locked-down profiles) leaves the promise pending.
        setTimeout(function () { finish(false); }, 500);
      } else { finish(false); }
    });
  });
  apply();
  if (location.hash.length > 1) reveal(location.hash.slice(1), false);
})();
`;
