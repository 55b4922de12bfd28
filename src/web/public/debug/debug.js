'use strict';
/* global eirApi */
/* global mermaid -- loaded by the page from /debug/assets/mermaid.min.js */

// Shared by the debug page's scripts (loaded after this one): helpers, chart rendering and the live stream.
const debugPage = {
  $: (id) => document.getElementById(id),
  changeListeners: [],
  /** Calls `listener` after each live update from the server. */
  onChange(listener) {
    this.changeListeners.push(listener);
  },
};

// SVG text labels rather than HTML ones, so highlighted states keep legible text; at 14 px the longest
// event names fit the 200 px mermaid wraps edge labels at.
mermaid.initialize({
  startOnLoad: false,
  securityLevel: 'strict',
  htmlLabels: false,
  flowchart: { htmlLabels: false },
  themeVariables: { fontSize: '14px' },
});

let renderQueue = Promise.resolve();
let renderCount = 0;

/** Draws mermaid `text` into `container`, one diagram at a time (mermaid renders into a shared scratch element). */
debugPage.renderChart = function renderChart(container, text) {
  const job = renderQueue.then(async () => {
    try {
      renderCount += 1;
      const { svg } = await mermaid.render(`debug-chart-${renderCount}`, text);
      container.innerHTML = svg;
      container.dataset.mermaid = text;
    } catch (error) {
      container.textContent = `Could not draw this chart: ${error.message}`;
    }
  });
  renderQueue = job;
  return job;
};

/** GETs JSON; throws an Error carrying the server's `message` for a non-2xx answer. */
debugPage.getJson = async function getJson(url) {
  // A 403 too: the key this tab holds may be an API key, and this page needs an admin one.
  const response = await eirApi.fetch(
    url,
    {},
    { askOn: [401, 403], question: 'This page needs an admin key. Key:' },
  );
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
  return body;
};

/** 1 h 2 min, 3 min 4 s, 5 s. */
debugPage.formatDuration = function formatDuration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
};

debugPage.formatTime = function formatTime(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : '';
};

/** A table cell with `text`. */
debugPage.cell = function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '' : String(text);
  if (className) td.className = className;
  return td;
};

function showStatecharts(statecharts) {
  for (const chart of statecharts) {
    const container = debugPage.$(`chart-${chart.kind}`);
    // Counts change far more often than they matter to the picture: redraw only when the text differs.
    if (container && container.dataset.mermaid !== chart.mermaid)
      debugPage.renderChart(container, chart.mermaid);
  }
}

function connectStream() {
  const status = debugPage.$('live-status');
  const stream = new EventSource(eirApi.streamUrl('/debug/api/stream'));
  stream.addEventListener('statecharts', (event) => {
    showStatecharts(JSON.parse(event.data));
    debugPage.changeListeners.forEach((listener) => listener());
  });
  stream.addEventListener('open', () => {
    status.textContent = 'live';
    status.dataset.state = 'live';
  });
  stream.addEventListener('error', () => {
    status.textContent = 'reconnecting…';
    status.dataset.state = 'down';
    // The browser retries by itself unless the server answered with an error status; then we retry ourselves.
    if (stream.readyState === EventSource.CLOSED) setTimeout(connectStream, 3000);
  });
}

connectStream();
