import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorHost } from '../src/actors/actor-host.service';
import { JOB } from '../src/actors/actor-kinds';
import { SqliteEventStore } from '../src/adapters/local/sqlite-event-store';
import { SystemClock } from '../src/clock/system-clock';
import { Upcaster } from '../src/events/upcaster';
import { EventStore, NewEvent } from '../src/ports/event-store.port';
import { PostgresEventStore } from '../src/adapters/postgres/postgres-event-store';
import { benchPostgres } from './bench-postgres';
import { happyPathEvents } from './job-events';
import { JobsProjection } from '../src/projections/jobs.projection';

/**
 * Event-log benchmark, on SQLite and on PostgreSQL: append throughput (one event per append,
 * alone or 100 in flight together, and batches of 100) and the time to rebuild every machine from
 * 100 000 events. Prints a table for each; writes bench/results/events.json.
 */
const REPLAY_EVENTS = 100_000;
const SINGLE_APPENDS = 20_000;
const BATCH = 100;
const CONCURRENT = 100;
const clock = new SystemClock();

/** Job `i`'s five events (see {@link happyPathEvents}). */
const jobEvents = (i: number, at: number): NewEvent[] =>
  happyPathEvents(`job-${i.toString().padStart(6, '0')}`, at);

async function measure(
  label: string,
  run: () => Promise<number>,
): Promise<{ label: string; count: number; seconds: number }> {
  const began = performance.now();
  const count = await run();
  return { label, count, seconds: (performance.now() - began) / 1000 };
}

/** Opens an empty log named `name` of the store under test. */
type OpenLog = (name: string) => Promise<EventStore>;

/** Every measure over the logs `open` makes; returns the table's rows and the summary. */
async function runAll(open: OpenLog) {
  const single = await open('single');
  const singleRun = await measure('append, 1 event per call', async () => {
    for (let i = 0; i < SINGLE_APPENDS; i++) {
      await single.append(`job-${i}`, [{ type: 'JobUploaded', data: jobEvents(i, 0)[0].data }], 'no_stream');
    }
    return SINGLE_APPENDS;
  });
  await single.close();

  // Appends in flight together, as concurrent uploads make them.
  const grouped = await open('grouped');
  const groupedRun = await measure(`append, 1 event per call, ${CONCURRENT} calls at a time`, async () => {
    for (let i = 0; i < SINGLE_APPENDS; i += CONCURRENT) {
      await Promise.all(
        Array.from({ length: CONCURRENT }, (_, k) =>
          grouped.append(
            `job-${i + k}`,
            [{ type: 'JobUploaded', data: jobEvents(i + k, 0)[0].data }],
            'no_stream',
          ),
        ),
      );
    }
    return SINGLE_APPENDS;
  });
  await grouped.close();

  const batched = await open('batched');
  const batchedRun = await measure(`append, ${BATCH} events per call`, async () => {
    for (let i = 0; i < REPLAY_EVENTS / BATCH; i++) {
      const events = Array.from({ length: BATCH / 5 }, (_, k) => jobEvents(i * BATCH + k, 0)).flat();
      await batched.append(`batch-${i}`, events, 'no_stream');
    }
    return REPLAY_EVENTS;
  });
  await batched.close();

  const log = await open('replay');
  const jobRun = await measure('append, 5 events per call (one job)', async () => {
    for (let i = 0; i < REPLAY_EVENTS / 5; i++) {
      await log.append(JOB.streamId(`j${i}`), jobEvents(i, 1_700_000_000_000 + i), 'no_stream');
    }
    return REPLAY_EVENTS;
  });
  await log.close();

  Logger.overrideLogger(false);
  const replayed = await open('replay');
  const host = new ActorHost(replayed, clock, new Upcaster());
  const projection = new JobsProjection(host);
  // The checkpoint in memory: a rebuild of the machines and the read model from the whole log.
  const replayRun = await measure('replay 100 000 events into machines + read model', async () => {
    await host.replay();
    return host.replayStats.events;
  });
  await replayed.close();
  if (projection.countByStatus().reported !== REPLAY_EVENTS / 5)
    throw new Error('replay did not rebuild every job');

  const rows = [singleRun, groupedRun, jobRun, batchedRun, replayRun].map((r) => ({
    measure: r.label,
    events: r.count,
    seconds: Number(r.seconds.toFixed(3)),
    'events/s': Math.round(r.count / r.seconds),
  }));
  const summary = {
    appendPerS: Math.round(singleRun.count / singleRun.seconds),
    groupCommitAppendPerS: Math.round(groupedRun.count / groupedRun.seconds),
    batchedAppendPerS: Math.round(batchedRun.count / batchedRun.seconds),
    replay100kS: Number(replayRun.seconds.toFixed(3)),
  };
  return { rows, summary };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-events-'));
  const postgresServer = await benchPostgres();
  try {
    const sqlite = await runAll(async (name) => new SqliteEventStore(join(dir, `${name}.db`), clock));
    const postgres = await runAll((name) =>
      PostgresEventStore.open({ url: postgresServer.url, schema: postgresServer.schema(name) }, clock),
    );
    for (const [name, { rows }] of [
      ['SQLite', sqlite],
      ['PostgreSQL', postgres],
    ] as const) {
      console.log(name);
      console.table(rows);
    }
    const results = { ...sqlite.summary, postgres: postgres.summary };
    console.log(JSON.stringify(results));
    mkdirSync(join(__dirname, '..', '..', 'bench', 'results'), { recursive: true });
    writeFileSync(
      join(__dirname, '..', '..', 'bench', 'results', 'events.json'),
      JSON.stringify(results, null, 2) + '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await postgresServer.done();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
