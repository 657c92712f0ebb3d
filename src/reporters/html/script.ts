/**
 * The report's only script: severity / attack filters and copy buttons. Inlined and allowed by
 * its hash in the Content-Security-Policy; it reads the page, never data from the target.
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
    var shown = 0;
    document.querySelectorAll('.finding').forEach(function (el) {
      var visible = sev[el.getAttribute('data-severity')] !== false && att[el.getAttribute('data-attack')] !== false;
      el.hidden = !visible;
      if (visible) shown++;
    });
    var count = document.getElementById('shown-count');
    if (count) count.textContent = String(shown);
  }
  document.querySelectorAll('input[data-filter]').forEach(function (i) { i.addEventListener('change', apply); });
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
})();
`;
