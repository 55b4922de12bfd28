import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOB } from '../src/actors/actor-kinds';
import { localPaths } from '../src/adapters/local/local-adapters';
import { SqliteEventStore } from '../src/adapters/local/sqlite-event-store';
import { SystemClock } from '../src/clock/system-clock';
import { findRepoRoot } from '../src/models/model-sources';
import { NewEvent } from '../src/ports/event-store.port';
import { startControlPlane } from './control-plane';
import { happyPathEvents } from './job-events';

/**
 * What a long history costs the control plane: JOBS finished jobs written through the event
 * store (five events each, as the pipeline writes them), then the control plane booted over that
 * log. Reports the boot (until the API answers), its resident memory then, and the time of
 * `GET /api/jobs` pages and of `GET /api/jobs/:id` of an old job. Writes bench/results/history.json.
 */
const ROOT = findRepoRoot(__dirname);
const JOBS = Number(process.env.BENCH_JOBS ?? 1_000_000);
/** Appends in flight together, so that group commit writes them in few transactions. */
const IN_FLIGHT = 1_000;
const CALLS = 20;

const TARGETS = { bootS: 3, rssMb: 300, pageMs: 50, jobMs: 5 };

const jobId = (i: number) => `history-${i.toString().padStart(7, '0')}`;

/** Job `i`'s five events (see {@link happyPathEvents}). */
const jobEvents = (i: number, at: number): NewEvent[] => happyPathEvents(jobId(i), at);

async function writeHistory(dataDir: string): Promise<number> {
  const store = new SqliteEventStore(localPaths(dataDir).events, new SystemClock());
  const began = performance.now();
  const start = Date.now() - JOBS * 100;
  for (let first = 0; first < JOBS; first += IN_FLIGHT) {
    const appends: Array<Promise<unknown>> = [];
    for (let i = first; i < Math.min(JOBS, first + IN_FLIGHT); i++) {
      appends.push(store.append(JOB.streamId(jobId(i)), jobEvents(i, start + i * 100), 'no_stream'));
    }
    await Promise.all(appends);
  }
  await store.close();
  return (performance.now() - began) / 1000;
}

const rssMb = (pid: number) =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** The median time of CALLS calls of `path`, ms. */
async function medianMs(url: string, path: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const began = performance.now();
    const res = await fetch(`${url}${path}`);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
    times.push(performance.now() - began);
  }
  return times.sort((a, b) => a - b)[Math.floor(CALLS / 2)];
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  try {
    const writeS = await writeHistory(dataDir);
    const began = performance.now();
    // No worker, and no scaling decision while it is measured.
    const plane = await startControlPlane(dataDir, {
      MIN_WORKERS: '0',
      MAX_WORKERS: '1',
      SCALING_PERIOD_MS: '3600000',
    });
    try {
      for (;;) {
        const up = await fetch(`${plane.url}/health/live`).then(
          (res) => res.ok,
          () => false,
        );
        if (up) break;
        if (plane.process.exitCode !== null) throw new Error('the control plane exited while booting');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const bootS = (performance.now() - began) / 1000;
      const rss = rssMb(plane.process.pid!);
      const firstPage = await medianMs(plane.url, '/api/jobs?offset=0&limit=50');
      const middlePage = await medianMs(plane.url, `/api/jobs?offset=${Math.floor(JOBS / 2)}&limit=50`);
      const reportedPage = await medianMs(plane.url, '/api/jobs?status=reported&offset=0&limit=50');
      const oldJob = await medianMs(plane.url, `/api/jobs/${jobId(0)}`);
      const rows = [
        {
          measure: `write ${JOBS} jobs (${JOBS * 5} events) through the event store`,
          value: writeS,
          unit: 's',
        },
        {
          measure: 'boot over them, until the API answers',
          value: bootS,
          unit: 's',
          target: `≤ ${TARGETS.bootS}`,
        },
        { measure: 'resident memory after the boot', value: rss, unit: 'MB', target: `≤ ${TARGETS.rssMb}` },
        { measure: 'GET /api/jobs, first page', value: firstPage, unit: 'ms', target: `≤ ${TARGETS.pageMs}` },
        {
          measure: 'GET /api/jobs, a page in the middle',
          value: middlePage,
          unit: 'ms',
          target: `≤ ${TARGETS.pageMs}`,
        },
        {
          measure: 'GET /api/jobs?status=reported',
          value: reportedPage,
          unit: 'ms',
          target: `≤ ${TARGETS.pageMs}`,
        },
        {
          measure: 'GET /api/jobs/:id of the oldest job',
          value: oldJob,
          unit: 'ms',
          target: `≤ ${TARGETS.jobMs}`,
        },
      ].map((row) => ({ ...row, value: Number(row.value.toFixed(row.unit === 's' ? 2 : 1)) }));
      console.table(rows);
      const results = {
        jobs: JOBS,
        writeS: rows[0].value,
        bootS: rows[1].value,
        rssMb: rows[2].value,
        firstPageMs: rows[3].value,
        middlePageMs: rows[4].value,
        reportedPageMs: rows[5].value,
        oldJobMs: rows[6].value,
      };
      console.log(JSON.stringify(results));
      mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
      writeFileSync(join(ROOT, 'bench', 'results', 'history.json'), JSON.stringify(results, null, 2) + '\n');
    } finally {
      await plane.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
