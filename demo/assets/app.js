// The demo's only script: follow the page's live stream and send forms and buttons as JSON.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  // `boot` changes only when the page loads again: the browser test checks that a page which
  // lost its connection caught up without a reload.
  const state = { refreshes: 0, received: 0, boot: Math.random() };
  window.demo = state; // read by the browser test

  function toast(text) {
    const el = $('toast');
    el.textContent = text; el.hidden = false;
    clearTimeout(toast.timer); toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  async function post(url, body) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
    if (!res.ok) { toast(await res.text() || res.statusText); return null; }
    return res.json().catch(() => ({}));
  }

  function formBody(form) {
    const body = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      if (el.dataset.list !== undefined) {
        body[el.name] = body[el.name] || [];
        if (el.checked) body[el.name].push(el.value);
      } else if (el.type === 'number') {
        body[el.name] = Number(el.value);
      } else {
        body[el.name] = el.value;
      }
    }
    return body;
  }

  document.addEventListener('submit', async (ev) => {
    const form = ev.target;
    if (!form.dataset.api) return;
    ev.preventDefault();
    const ok = await post(form.dataset.api, formBody(form));
    if (ok && form.dataset.reset !== undefined) {
      const text = form.querySelector('input[name=note], input[name=title], input[name=name]');
      if (text) text.value = '';
      form.querySelectorAll('input[data-list]').forEach((box) => { box.checked = false; });
    }
  });

  document.addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button[data-post]');
    if (!btn) return;
    ev.preventDefault();
    const result = await post(btn.dataset.post, btn.dataset.body ? JSON.parse(btn.dataset.body) : {});
    if (result && btn.dataset.follow !== undefined && result.id) location.href = '/jobs/' + result.id;
  });

  $('simulate').addEventListener('change', (ev) => post('/api/simulate', { on: ev.target.checked }));

  function apply(u) {
    const live = $('live');
    let touched = null;
    if (u.op === 'snapshot') {
      live.innerHTML = u.html;
    } else if (u.op === 'upsert') {
      const old = $(u.target);
      if (old) { old.outerHTML = u.html; }
      else { $(u.container)?.insertAdjacentHTML(u.at === 'end' ? 'beforeend' : 'afterbegin', u.html); }
      touched = $(u.target);
    } else if (u.op === 'remove') {
      $(u.target)?.remove();
    }
    if (touched && !touched.id.startsWith('progress')) touched.classList.add('flash');
    state.refreshes += 1;
    state.received = u.received;
    $('refreshes').textContent = state.refreshes;
    $('received').textContent = u.received;
    if (u.reloaded) {
      const badge = $('reloaded');
      badge.textContent = 'reloaded after ' + u.reloaded;
      badge.hidden = false;
      state.reloaded = u.reloaded;
    }
  }

  const url = document.querySelector('main').dataset.live;
  if (url) {
    const conn = $('conn');
    const source = new EventSource(url);
    source.addEventListener('open', () => { conn.textContent = 'live'; conn.className = 'pill live'; });
    source.addEventListener('error', () => { conn.textContent = 'reconnecting…'; conn.className = 'pill'; });
    source.addEventListener('update', (ev) => apply(JSON.parse(ev.data)));
    // Close the stream when leaving, so the browser does not keep the connection (and the
    // server the subscription) for a page kept in its back/forward cache.
    window.addEventListener('pagehide', () => source.close());
  } else if (!document.querySelector('[data-socket], [data-sse]')) {
    $('conn').hidden = true;
    document.querySelectorAll('.live-only').forEach((el) => { el.hidden = true; });
  }
})();
