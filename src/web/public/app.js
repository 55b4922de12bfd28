'use strict';
/* global eirApi */

const CONCURRENT_UPLOADS = 4;
const FLEET_POLL_MS = 2000;
// Updates for ids this page has not (yet) uploaded; bounded because other clients' jobs arrive on the same stream.
const MAX_PENDING_UPDATES = 1000;

// Local states come before the server's; "error" means the upload itself failed (network, 5xx).
const STATUS_TEXT = {
  waiting: 'Waiting',
  uploading: 'Uploading',
  uploaded: 'Uploaded',
  queued: 'Queued',
  classified: 'Classified',
  reported: 'Reported',
  rejected: 'Rejected',
  failed: 'Failed',
  error: 'Error',
};
// SSE events and REST re-fetches can arrive out of order; a row never moves back to an earlier status.
const STATUS_RANK = {
  waiting: 0,
  uploading: 1,
  uploaded: 2,
  queued: 3,
  classified: 4,
  reported: 5,
  rejected: 5,
  failed: 5,
  error: 5,
};
const FINISHED = new Set(['reported', 'rejected', 'failed', 'error']);

const $ = (id) => document.getElementById(id);

const rowsBody = $('job-rows');
const rowTemplate = $('job-row-template');

const entries = [];
const entriesById = new Map();
const pendingUpdates = new Map();
const uploadQueue = [];
let activeUploads = 0;

function addFiles(fileList) {
  for (const file of fileList) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    const entry = { file, row, id: undefined, status: 'waiting', thumbUrl: URL.createObjectURL(file) };
    row.dataset.fileName = file.name;
    row.querySelector('.name').textContent = file.name;
    row.querySelector('.name').title = file.name;
    const img = row.querySelector('.thumb');
    img.onerror = () => {
      img.hidden = true;
    };
    img.src = entry.thumbUrl;
    rowsBody.appendChild(row);
    entries.push(entry);
    setStatus(entry, 'waiting');
    uploadQueue.push(entry);
  }
  pumpUploads();
}

function pumpUploads() {
  while (activeUploads < CONCURRENT_UPLOADS && uploadQueue.length > 0) {
    const entry = uploadQueue.shift();
    activeUploads += 1;
    upload(entry).finally(() => {
      activeUploads -= 1;
      pumpUploads();
    });
  }
}

// One file per request, so a bad file gets its own error instead of failing its neighbours.
async function upload(entry) {
  setStatus(entry, 'uploading');
  const body = new FormData();
  body.append('files', entry.file, entry.file.name);
  let response;
  try {
    response = await eirApi.fetch('/api/jobs', { method: 'POST', body });
  } catch {
    return setStatus(entry, 'error', 'Network error: the upload did not reach the server.');
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = data?.message || data?.error || `HTTP ${response.status}`;
    return setStatus(entry, response.status < 500 ? 'rejected' : 'error', reason);
  }
  const job = data?.jobs?.[0];
  const rejected = data?.rejected?.[0];
  if (job?.id) return bindId(entry, job.id);
  if (rejected) return setStatus(entry, 'rejected', rejected.message || rejected.error || 'Rejected');
  setStatus(entry, 'error', 'Unexpected response from the server.');
}

function bindId(entry, id) {
  entry.id = id;
  entry.row.dataset.jobId = id;
  entriesById.set(id, entry);
  setStatus(entry, 'uploaded');
  const early = pendingUpdates.get(id);
  if (early) {
    pendingUpdates.delete(id);
    applyView(early);
  }
}

function applyView(view) {
  const entry = entriesById.get(view.id);
  if (!entry) {
    pendingUpdates.delete(view.id);
    pendingUpdates.set(view.id, view);
    if (pendingUpdates.size > MAX_PENDING_UPDATES) pendingUpdates.delete(pendingUpdates.keys().next().value);
    return;
  }
  if (STATUS_RANK[view.status] === undefined || STATUS_RANK[view.status] < STATUS_RANK[entry.status]) return;
  entry.view = view;
  setStatus(entry, view.status, view.error);
  const row = entry.row;
  row.querySelector('.label').textContent = view.topLabel ?? '';
  row.querySelector('.probability').textContent =
    typeof view.topProbability === 'number' ? `${(view.topProbability * 100).toFixed(1)}%` : '';
  const labelledAt = view.classifiedAt ?? view.reportedAt;
  row.querySelector('.duration').textContent =
    labelledAt && view.uploadedAt ? formatDuration(Date.parse(labelledAt) - Date.parse(view.uploadedAt)) : '';
}

function setStatus(entry, status, message) {
  entry.status = status;
  entry.row.dataset.status = status;
  const badge = entry.row.querySelector('.status');
  badge.dataset.status = status;
  badge.textContent = STATUS_TEXT[status] ?? status;
  entry.row.querySelector('.error-message').textContent = message ?? '';
  entry.row.classList.toggle('has-error', Boolean(message));
  scheduleSummary();
}

function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

// A live region that changes on every event would flood screen readers; one update per quarter second is enough.
let summaryTimer;
function scheduleSummary() {
  summaryTimer ??= setTimeout(() => {
    summaryTimer = undefined;
    renderSummary();
  }, 250);
}

function renderSummary() {
  const counts = {};
  for (const entry of entries) counts[entry.status] = (counts[entry.status] ?? 0) + 1;
  const parts = Object.keys(STATUS_TEXT)
    .filter((s) => counts[s])
    .map((s) => `${counts[s]} ${STATUS_TEXT[s].toLowerCase()}`);
  $('summary').textContent =
    entries.length === 0
      ? 'No images yet.'
      : `${entries.length} image${entries.length === 1 ? '' : 's'}: ${parts.join(', ')}.`;
  $('clear-finished').disabled = !entries.some((e) => FINISHED.has(e.status));
}

function clearFinished() {
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    const entry = entries[i];
    if (!FINISHED.has(entry.status)) continue;
    entry.row.remove();
    URL.revokeObjectURL(entry.thumbUrl);
    if (entry.id) entriesById.delete(entry.id);
    entries.splice(i, 1);
  }
  renderSummary();
}

async function refetchUnfinished() {
  const open = entries.filter((e) => e.id && !FINISHED.has(e.status));
  await Promise.all(
    open.map(async (entry) => {
      try {
        const response = await eirApi.fetch(`/api/jobs/${encodeURIComponent(entry.id)}`);
        if (response.ok) applyView(await response.json());
      } catch {
        /* the next reconnect tries again */
      }
    }),
  );
}

function connectStream() {
  const stream = new EventSource(eirApi.streamUrl('/api/stream'));
  stream.addEventListener('job', (event) => {
    try {
      applyView(JSON.parse(event.data));
    } catch {
      /* ignore a malformed event */
    }
  });
  // Events sent while the stream was down are lost; the REST view of each open row fills the gap.
  stream.addEventListener('open', refetchUnfinished);
  stream.addEventListener('error', () => {
    // The browser retries by itself unless the server answered with an error status; then we retry ourselves.
    if (stream.readyState === EventSource.CLOSED) setTimeout(connectStream, 3000);
  });
}

async function pollFleet() {
  const panel = $('fleet');
  if (!document.hidden) {
    try {
      // An admin route: shown to an admin key (or when the service has no keys), hidden otherwise.
      const response = await eirApi.fetch('/api/fleet', {}, { ask: false });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      renderFleet((await response.json()).workers ?? []);
      panel.hidden = false;
    } catch {
      panel.hidden = true;
    }
  }
  setTimeout(pollFleet, FLEET_POLL_MS);
}

function renderFleet(workers) {
  $('fleet-count').textContent = `(${workers.length})`;
  $('worker-rows').replaceChildren(
    ...workers.map((worker) => {
      const tr = document.createElement('tr');
      tr.className = 'worker';
      tr.dataset.workerId = worker.id;
      const cells = [worker.id, worker.state, worker.currentJobId ?? '—', String(worker.jobsDone ?? 0)];
      const cols = ['Worker', 'State', 'Current job', 'Jobs done'];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.dataset.col = cols[i];
        const span = document.createElement('span');
        span.textContent = text;
        if (i === 1) {
          span.className = 'state badge';
          span.dataset.state = text;
        }
        if (i === 2) span.className = 'current-job';
        td.appendChild(span);
        tr.appendChild(td);
      });
      return tr;
    }),
  );
}

function setUpDropZone() {
  const zone = $('drop-zone');
  const input = $('file-input');
  input.addEventListener('change', () => {
    addFiles(input.files);
    input.value = ''; // lets the same files be chosen again
  });
  // A drop that misses the zone would otherwise make the browser navigate away to the file.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    if (e.dataTransfer?.files.length) addFiles(e.dataTransfer.files);
  });
}

setUpDropZone();
$('clear-finished').addEventListener('click', clearFinished);
connectStream();
pollFleet();
