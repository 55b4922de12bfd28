'use strict';
/* global debugPage */

// Fleet, controller decisions and the backlog/fleet chart, refreshed after live updates (at most once a second).
(() => {
  const { $, cell, formatDuration, formatTime, getJson } = debugPage;
  const REFRESH_MS = 1000;
  const ENDED = new Set(['terminated', 'lost']);
  const SVG = 'http://www.w3.org/2000/svg';

  let refreshTimer;
  let fleetFetchedAt = 0;

  async function refreshFleet() {
    const { workers } = await getJson('/debug/api/fleet');
    fleetFetchedAt = performance.now();
    const rows = workers.map((worker) => {
      const tr = document.createElement('tr');
      tr.dataset.workerId = worker.id;
      tr.className = ENDED.has(worker.state) ? 'ended' : '';
      tr.append(
        inspectLinkCell(worker.id, `worker-${worker.id}`),
        cell(worker.state, `state state-${worker.state}`),
        worker.currentJobId ? inspectLinkCell(worker.currentJobId, `job-${worker.currentJobId}`) : cell('—'),
        cell(worker.jobsDone),
        uptimeCell(worker),
        cell([worker.launchReason, worker.stopReason].filter(Boolean).join(' / '), 'reason'),
      );
      return tr;
    });
    $('fleet-rows').replaceChildren(...rows);
  }

  function uptimeCell(worker) {
    const td = cell(worker.uptimeMs === undefined ? 'booting' : formatDuration(worker.uptimeMs), 'uptime');
    // Live workers keep counting between refreshes; ended ones are frozen at their end.
    if (worker.uptimeMs !== undefined && !ENDED.has(worker.state)) td.dataset.uptimeMs = worker.uptimeMs;
    return td;
  }

  function inspectLinkCell(text, streamId) {
    const td = document.createElement('td');
    const link = document.createElement('a');
    link.href = `#inspect=${encodeURIComponent(streamId)}`;
    link.textContent = text;
    td.append(link);
    return td;
  }

  async function refreshController() {
    const [status, { decisions }] = await Promise.all([
      getJson('/api/controller'),
      getJson('/api/controller/decisions?limit=10'),
    ]);
    $('controller-state').textContent = status.state;
    const rows = decisions.map((d) => {
      const tr = document.createElement('tr');
      const { visible, inFlight, workers } = d.inputs;
      tr.append(
        cell(formatTime(d.at)),
        cell(d.action, `action action-${d.action}`),
        cell(`${d.capacity} → ${d.desired}`),
        cell(`${visible} + ${inFlight}`),
        cell(`${workers.pending}/${workers.running}/${workers.idle}/${workers.terminating}`),
        cell(d.reason, 'reason'),
      );
      return tr;
    });
    $('decision-rows').replaceChildren(...rows);
  }

  /** Step lines for backlog (left scale) and fleet (right scale) over the points' time span. */
  async function refreshSeries() {
    const { points, now } = await getJson('/debug/api/series');
    const svg = $('series');
    const [width, height, pad] = [800, 200, 32];
    svg.replaceChildren();
    if (points.length === 0) return;
    const t0 = points[0].at;
    const t1 = Math.max(now, points[points.length - 1].at);
    const x = (t) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (width - 2 * pad);
    const scale = (max) => (v) => height - pad - (v / Math.max(1, max)) * (height - 2 * pad);
    const maxBacklog = Math.max(...points.map((p) => p.backlog));
    const maxFleet = Math.max(...points.map((p) => p.fleet));
    for (const [key, y] of [
      ['backlog', scale(maxBacklog)],
      ['fleet', scale(maxFleet)],
    ]) {
      let d = `M ${x(points[0].at)} ${y(points[0][key])}`;
      for (const p of points.slice(1)) d += ` H ${x(p.at)} V ${y(p[key])}`;
      d += ` H ${x(t1)}`;
      svg.append(svgElement('path', { d, class: `line ${key}` }));
    }
    svg.append(
      svgText(4, pad, `${maxBacklog}`, 'axis backlog'),
      svgText(width - 4, pad, `${maxFleet}`, 'axis fleet end'),
      svgText(pad, height - 8, new Date(t0).toLocaleTimeString(), 'axis'),
      svgText(width - pad, height - 8, new Date(t1).toLocaleTimeString(), 'axis end'),
    );
  }

  function svgElement(name, attributes) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    return element;
  }

  function svgText(x, y, text, className) {
    const element = svgElement('text', { x, y, class: className });
    element.textContent = text;
    return element;
  }

  async function refreshAll() {
    const results = await Promise.allSettled([refreshFleet(), refreshController(), refreshSeries()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) console.warn('debug page refresh failed:', failed.reason);
  }

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      void refreshAll();
    }, REFRESH_MS);
  }

  function tickUptimes() {
    const elapsed = performance.now() - fleetFetchedAt;
    for (const td of document.querySelectorAll('#fleet-rows td[data-uptime-ms]'))
      td.textContent = formatDuration(Number(td.dataset.uptimeMs) + elapsed);
  }

  debugPage.onChange(scheduleRefresh);
  setInterval(tickUptimes, 1000);
  void refreshAll();
})();
