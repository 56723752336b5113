// wf dashboard: live updates. Every 2 s the page's own URL is fetched with
// ?live=1; the server answers the page's changing parts (the elements
// with data-live), rendered by the same templates, as JSON. A part whose
// HTML changed is swapped in, unless it holds the keyboard focus or a
// text selection (it is then updated once they leave), and the <details>
// the reader opened stay open. Polling pauses while the tab is hidden.
(function () {
  'use strict';
  // A graph wider than its frame starts scrolled to its centre line.
  document.querySelectorAll('.graph-scroll').forEach(function (el) {
    if (el.scrollWidth > el.clientWidth) {
      el.scrollLeft = (el.scrollWidth - el.clientWidth) / 2;
    }
  });
  var parts = document.querySelectorAll('[data-live]');
  if (!parts.length || !window.fetch) {
    return;
  }
  var last = {};
  var stamp = document.getElementById('live-stamp');
  var status = document.getElementById('live-status');
  var busy = false;
  var stopped = false;
  var timer = null;

  function say(text) {
    if (status && status.textContent !== text) {
      status.textContent = text;
    }
  }

  function liveURL() {
    var u = new URL(window.location.href);
    u.hash = '';
    u.searchParams.set('live', '1');
    return u.toString();
  }

  function swap(el, html) {
    var open = [];
    el.querySelectorAll('details[open][id]').forEach(function (d) { open.push(d.id); });
    el.innerHTML = html;
    open.forEach(function (id) {
      var d = document.getElementById(id);
      if (d) {
        d.open = true;
      }
    });
  }

  function apply(regions) {
    Object.keys(regions).forEach(function (key) {
      var el = null;
      parts.forEach(function (p) {
        if (p.getAttribute('data-live') === key) {
          el = p;
        }
      });
      if (!el || last[key] === regions[key]) {
        return;
      }
      var focus = document.activeElement;
      if (focus && focus !== document.body && el.contains(focus)) {
        return; // never move the focus from under the reader
      }
      var sel = window.getSelection && window.getSelection();
      if (sel && !sel.isCollapsed && sel.rangeCount && el.contains(sel.getRangeAt(0).commonAncestorContainer)) {
        return; // nor the text they are selecting
      }
      swap(el, regions[key]);
      last[key] = regions[key];
    });
  }

  function tick() {
    if (busy || stopped || document.hidden) {
      return;
    }
    busy = true;
    fetch(liveURL(), { headers: { 'Accept': 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) {
          stopped = true;
          say('Signed out: reload the page to sign in again.');
          return null;
        }
        if (res.status === 404) {
          say('This page is gone from the running version: the live view has stopped.');
          return null;
        }
        if (!res.ok) {
          say('Live updates paused: the server answered ' + res.status + '.');
          return null;
        }
        return res.json();
      })
      .then(function (data) {
        if (!data) {
          return;
        }
        apply(data.regions || {});
        if (stamp && data.updated) {
          stamp.textContent = data.updated;
        }
        say('');
      })
      .catch(function () {
        say('Live updates paused: the server cannot be reached.');
      })
      .then(function () {
        busy = false;
      });
  }

  timer = window.setInterval(tick, 2000);
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) {
      tick();
    }
  });
  window.addEventListener('pagehide', function () {
    window.clearInterval(timer);
  });
}());
