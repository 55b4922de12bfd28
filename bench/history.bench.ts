import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOB } from '../src/actors/actor-kinds';
import { localPaths } from '../src/adapters/local/local-adapters';
import { SqliteEventStore } from '../src/adapters/local/sqlite-event-store';
import { SystemClock } from '../src/clock/system-clock';
import { findRepoRoot } from '../src/models/model-sources';
import { Client } from 'pg';
import { PostgresEventStore } from '../src/adapters/postgres/postgres-event-store';
import { EventStore, NewEvent } from '../src/ports/event-store.port';
import { BenchControlPlane, startControlPlane } from './control-plane';
import { benchPostgres } from './bench-postgres';
import { happyPathEvents } from './job-events';

/**
 * What a long history costs the control plane: JOBS finished jobs written through the event
 * store (five events each, as the pipeline writes them), then the control plane booted over that
 * log twice: first with no checkpoint (it folds the whole log and builds one), then from the
 * checkpoint, as every later boot. Reports each boot (until the API answers) and its resident
 * memory, and the time of `GET /api/jobs` pages and of `GET /api/jobs/:id` of an old job; with
 * the log on SQLite and on PostgreSQL (BENCH_STORES). Writes bench/results/history.json.
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

/** Where the log under test is: how to open it, what the control plane needs to find it, its size. */
interface LogUnderTest {
  name: string;
  open(dataDir: string): Promise<EventStore>;
  env: Record<string, string>;
  sizeMb(dataDir: string): Promise<number>;
  /** Whether the leader publishes its checkpoint in the log's database, for new hosts to start from. */
  publishesCheckpoints: boolean;
}

const sqliteLog: LogUnderTest = {
  name: 'sqlite',
  open: async (dataDir) => new SqliteEventStore(localPaths(dataDir).events, new SystemClock()),
  env: {},
  sizeMb: async (dataDir) => statSync(localPaths(dataDir).events).size / 1e6,
  publishesCheckpoints: false,
};

/** The log on PostgreSQL at `url`, in a schema of its own. */
function postgresLog(url: string, schema: string): LogUnderTest {
  return {
    name: 'postgres',
    open: () => PostgresEventStore.open({ url, schema }, new SystemClock()),
    env: { EVENT_STORE: 'postgres', DATABASE_URL: url, DATABASE_SCHEMA: schema },
    publishesCheckpoints: true,
    sizeMb: async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ bytes: string }>('SELECT pg_total_relation_size($1) AS bytes', [
          `"${schema}".events`,
        ]);
        return Number(rows[0].bytes) / 1e6;
      } finally {
        await client.end();
      }
    },
  };
}

async function writeHistory(dataDir: string, log: LogUnderTest): Promise<number> {
  const store = await log.open(dataDir);
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

/**
 * Starts the control plane on `dataDir` (no worker, no scaling decision; its log read when it
 * shares checkpoints) and times its boot.
 */
async function bootOver(
  dataDir: string,
  log: LogUnderTest,
  env: Record<string, string> = {},
): Promise<{ plane: BenchControlPlane; bootS: number; rss: number }> {
  const began = performance.now();
  const plane = await startControlPlane(
    dataDir,
    { ...log.env, MIN_WORKERS: '0', MAX_WORKERS: '1', SCALING_PERIOD_MS: '3600000', ...env },
    { readLog: log.publishesCheckpoints },
  );
  for (;;) {
    const up = await fetch(`${plane.url}/health/live`).then(
      (res) => res.ok,
      () => false,
    );
    if (up) break;
    if (plane.process.exitCode !== null) throw new Error('the control plane exited while booting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { plane, bootS: (performance.now() - began) / 1000, rss: rssMb(plane.process.pid!) };
}

/** A boot on a host with an empty DATA_DIR, from the checkpoint the leader published. */
interface NewHostBoot {
  bootS: number;
  rss: number;
  downloadMs: number;
  /** Events folded after the published checkpoint's position. */
  events: number;
}

async function bootNewHost(log: LogUnderTest): Promise<NewHostBoot> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-history-new-host-'));
  try {
    const { plane, bootS, rss } = await bootOver(dataDir, log, { CHECKPOINT_PUBLISH_MS: '0' });
    try {
      const taken = await plane.logged('took the published checkpoint');
      if (taken.usable !== true) throw new Error('the new host could not use the published checkpoint');
      const rebuilt = await plane.logged('rebuilt the actors');
      return { bootS, rss, downloadMs: Number(taken.ms), events: Number(rebuilt.events) };
    } finally {
      await plane.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The whole measure over one log; returns its table and its results. */
async function measureHistory(log: LogUnderTest) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  try {
    const writeS = await writeHistory(dataDir, log);
    // The log was written without a control plane: its first boot folds all of it.
    const rebuild = await bootOver(dataDir, log, { CHECKPOINT_PUBLISH_MS: '0' });
    await rebuild.plane.stop();
    const checkpointMb = statSync(localPaths(dataDir).checkpoint).size / 1e6;
    const logMb = await log.sizeMb(dataDir);
    // Where the log is shared, this boot (the leader) publishes its checkpoint a second after it.
    const { plane, bootS, rss } = await bootOver(dataDir, log, {
      CHECKPOINT_PUBLISH_MS: log.publishesCheckpoints ? '1000' : '0',
    });
    let newHost: NewHostBoot | undefined;
    try {
      const published = log.publishesCheckpoints ? await plane.logged('published the checkpoint') : undefined;
      const firstPage = await medianMs(plane.url, '/api/jobs?offset=0&limit=50');
      const middlePage = await medianMs(plane.url, `/api/jobs?offset=${Math.floor(JOBS / 2)}&limit=50`);
      const reportedPage = await medianMs(plane.url, '/api/jobs?status=reported&offset=0&limit=50');
      const lastReportedPage = await medianMs(
        plane.url,
        `/api/jobs?status=reported&offset=${JOBS - 50}&limit=50`,
      );
      // The same page by cursor: the one before it names where it starts.
      const { nextCursor } = (await (
        await fetch(`${plane.url}/api/jobs?status=reported&offset=${JOBS - 100}&limit=50`)
      ).json()) as { nextCursor: string };
      const lastReportedByCursor = await medianMs(
        plane.url,
        `/api/jobs?status=reported&after=${nextCursor}&limit=50`,
      );
      const oldJob = await medianMs(plane.url, `/api/jobs/${jobId(0)}`);
      const rows = [
        {
          measure: `write ${JOBS} jobs (${JOBS * 5} events) through the event store`,
          value: writeS,
          unit: 's',
        },
        { measure: 'first boot: the checkpoint built from the whole log', value: rebuild.bootS, unit: 's' },
        { measure: 'resident memory after it', value: rebuild.rss, unit: 'MB' },
        { measure: 'the event log, on disk', value: logMb, unit: 'MB' },
        { measure: 'the checkpoint, on disk', value: checkpointMb, unit: 'MB' },
        {
          measure: 'boot from the checkpoint, until the API answers',
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
          measure: 'GET /api/jobs?status=reported, first page',
          value: reportedPage,
          unit: 'ms',
          target: `≤ ${TARGETS.pageMs}`,
        },
        {
          measure: 'GET /api/jobs?status=reported, last page',
          value: lastReportedPage,
          unit: 'ms',
          target: `≤ ${TARGETS.pageMs}`,
        },
        {
          measure: 'GET /api/jobs?status=reported, last page, by cursor',
          value: lastReportedByCursor,
          unit: 'ms',
          target: `≤ ${TARGETS.pageMs}`,
        },
        {
          measure: 'GET /api/jobs/:id of the oldest job',
          value: oldJob,
          unit: 'ms',
          target: `≤ ${TARGETS.jobMs}`,
        },
      ];
      if (published) {
        await plane.stop();
        newHost = await bootNewHost(log);
        rows.push(
          {
            measure: 'the leader publishes its checkpoint into the database',
            value: Number(published.ms),
            unit: 'ms',
          },
          { measure: 'the checkpoint published', value: Number(published.bytes) / 1e6, unit: 'MB' },
          { measure: 'a new host takes the published checkpoint', value: newHost.downloadMs, unit: 'ms' },
          { measure: 'boot on a new host, until the API answers', value: newHost.bootS, unit: 's' },
          {
            measure: 'events it folded after the published checkpoint',
            value: newHost.events,
            unit: 'events',
          },
          { measure: 'resident memory after that boot', value: newHost.rss, unit: 'MB' },
        );
      }
      const tableRows = rows.map((row) => ({
        ...row,
        value: Number(row.value.toFixed(row.unit === 's' ? 2 : 1)),
      }));
      const results = {
        date: new Date().toISOString().slice(0, 10),
        jobs: JOBS,
        eventStore: log.name,
        writeS,
        rebuildS: rebuild.bootS,
        rebuildRssMb: rebuild.rss,
        logMb,
        checkpointMb,
        bootS,
        rssMb: rss,
        firstPageMs: firstPage,
        middlePageMs: middlePage,
        reportedPageMs: reportedPage,
        lastReportedPageMs: lastReportedPage,
        lastReportedByCursorMs: lastReportedByCursor,
        oldJobMs: oldJob,
        ...(published && newHost
          ? {
              publishMs: Number(published.ms),
              publishedMb: Number(published.bytes) / 1e6,
              newHostDownloadMs: newHost.downloadMs,
              newHostBootS: newHost.bootS,
              newHostEvents: newHost.events,
              newHostRssMb: newHost.rss,
            }
          : {}),
      };
      const rounded = Object.fromEntries(
        Object.entries(results).map(([key, value]) => [
          key,
          typeof value === 'number' ? Number(value.toFixed(2)) : value,
        ]),
      );
      return { rows: tableRows, results: rounded };
    } finally {
      await plane.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // BENCH_STORES: which logs, of sqlite and postgres (default both); PostgreSQL as bench:events has it.
  const stores = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',');
  const postgres = stores.includes('postgres') ? await benchPostgres() : undefined;
  try {
    const results: Record<string, unknown> = {};
    for (const name of stores) {
      const log =
        postgres && name === 'postgres' ? postgresLog(postgres.url, postgres.schema('history')) : sqliteLog;
      const measured = await measureHistory(log);
      console.log(`Event log: ${name}`);
      console.table(measured.rows);
      console.log(JSON.stringify(measured.results));
      results[name] = measured.results;
    }
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'history.json'), JSON.stringify(results, null, 2) + '\n');
  } finally {
    await postgres?.done();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
