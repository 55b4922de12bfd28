'use strict';
/* global debugPage */

// Time travel: one stream's events, and the state after event k as the server replays it.
(() => {
  const { $, getJson, formatTime } = debugPage;
  let shown; // { ref, length, k }
  let latestRequest = 0;
  let sliderTimer;

  async function inspect(ref, k) {
    const request = ++latestRequest;
    const query = k === undefined ? '' : `?k=${k}`;
    try {
      const view = await getJson(`/debug/api/streams/${encodeURIComponent(ref)}${query}`);
      // Stepping fast can bring answers back out of order: only the newest request may draw.
      if (request !== latestRequest) return;
      $('inspect-error').hidden = true;
      await show(ref, view);
    } catch (error) {
      if (request !== latestRequest) return;
      $('inspect-error').textContent = error.message;
      $('inspect-error').hidden = false;
    }
  }

  async function show(ref, view) {
    shown = { ref, length: view.length, k: view.k };
    history.replaceState(null, '', `#inspect=${encodeURIComponent(view.streamId)}&k=${view.k}`);
    $('inspect-view').hidden = false;
    $('inspect-stream').textContent = view.streamId;
    $('inspect-k').textContent = `${view.k} (${view.events[view.k - 1].type})`;
    $('inspect-state').textContent = view.state.states.join(', ');
    $('inspect-position').textContent = `event ${view.k} of ${view.length}`;
    const slider = $('inspect-slider');
    slider.max = String(view.length);
    slider.value = String(view.k);
    $('inspect-prev').disabled = view.k <= 1;
    $('inspect-next').disabled = view.k >= view.length;
    $('inspect-events').replaceChildren(...view.events.map((event) => eventItem(event, view)));
    const { value, status, effects, context } = view.state;
    $('inspect-snapshot').textContent = JSON.stringify({ value, status, effects, context }, null, 2);
    await debugPage.renderChart($('inspect-chart'), view.mermaid);
  }

  function eventItem(event, view) {
    const li = document.createElement('li');
    const step = view.steps[event.index - 1];
    li.className = event.index === view.k ? 'current' : event.index < view.k ? 'past' : 'future';
    li.dataset.index = event.index;
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = event.type;
    button.addEventListener('click', () => inspect(shown.ref, event.index));
    const details = document.createElement('span');
    details.className = 'event-details';
    const after = step
      ? ` → ${step.states.join(', ')}${step.changed ? '' : ' (ignored by the machine now)'}`
      : '';
    details.textContent = `${formatTime(event.at)}${after}`;
    li.append(button, details);
    return li;
  }

  async function refreshRecent() {
    const actors = await getJson('/debug/api/actors?limit=25');
    const select = $('inspect-recent');
    const groups = ['job', 'worker', 'controller', 'webhook'].map((kind) => {
      const group = document.createElement('optgroup');
      group.label = kind;
      for (const actor of actors[kind]) {
        const option = document.createElement('option');
        option.value = actor.streamId;
        option.textContent = `${actor.id} (${actor.states.join(', ')})`;
        group.append(option);
      }
      return group;
    });
    select.replaceChildren(select.options[0], ...groups);
  }

  function step(delta) {
    if (!shown) return;
    const k = Math.min(shown.length, Math.max(1, shown.k + delta));
    if (k !== shown.k) void inspect(shown.ref, k);
  }

  function inspectFromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    const ref = params.get('inspect');
    if (!ref) return;
    const k = params.has('k') ? Number(params.get('k')) : undefined;
    if (shown && shown.ref === ref && shown.k === k) return;
    $('inspect-ref').value = ref;
    void inspect(ref, k);
  }

  $('inspect-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const ref = $('inspect-ref').value.trim() || $('inspect-recent').value;
    if (ref) void inspect(ref);
  });
  $('inspect-recent').addEventListener('change', () => {
    const ref = $('inspect-recent').value;
    if (!ref) return;
    $('inspect-ref').value = ref;
    void inspect(ref);
  });
  $('inspect-prev').addEventListener('click', () => step(-1));
  $('inspect-next').addEventListener('click', () => step(1));
  $('inspect-slider').addEventListener('input', () => {
    clearTimeout(sliderTimer);
    sliderTimer = setTimeout(() => inspect(shown.ref, Number($('inspect-slider').value)), 120);
  });
  window.addEventListener('hashchange', inspectFromHash);

  // New actors join the list as they appear, but never while the list is open in the user's hand.
  let recentTimer;
  debugPage.onChange(() => {
    if (recentTimer || document.activeElement === $('inspect-recent')) return;
    recentTimer = setTimeout(() => {
      recentTimer = undefined;
      void refreshRecent().catch(() => undefined);
    }, 2000);
  });
  void refreshRecent().catch(() => undefined);
  inspectFromHash();
})();
