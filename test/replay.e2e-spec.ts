import { Test, TestingModule } from '@nestjs/testing';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_SCALING, decideScaling } from '../state-machines/scaling-policy';
import { ActorHost } from '../src/actors/actor-host.service';
import { CONTROLLER, JOB, WORKER } from '../src/actors/actor-kinds';
import { ActorsModule } from '../src/actors/actors.module';
import { localPaths } from '../src/adapters/local/local-adapters';
import { Checkpoint } from '../src/checkpoint/checkpoint';
import { ManualClock } from '../src/clock/manual-clock';
import { testConfig } from '../src/config/app-config';
import { ConfigModule } from '../src/config/config.module';
import { EventsModule } from '../src/events/events.module';
import { eventLogModule } from './support/event-log-module';
import { Clock } from '../src/ports/clock.port';
import { EventStore } from '../src/ports/event-store.port';
import { JobsProjection } from '../src/projections/jobs.projection';
import { ProjectionsModule } from '../src/projections/projections.module';
import { WorkersProjection } from '../src/projections/workers.projection';
import { EffectCall, scriptedEffectsModule } from './support/scripted-effects';
import { seededRandom } from '../src/simulation/random';

const JOBS = 50;
const WORKERS = 5;
const settings = {
  ...AWS_SCALING,
  maxWorkers: WORKERS + 1,
  expectedBootMs: 1_000,
  acceptableLatencyMs: 5_000,
};

/** The host and its read models on the log of `dataDir`; with `checkpoint`, on its checkpoint file too. */
async function boot(
  dataDir: string,
  clock: ManualClock,
  effects: EffectCall[],
  { checkpoint = false } = {},
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(testConfig({ port: 0, dataDir })),
      EventsModule,
      eventLogModule(dataDir, { checkpoint }),
      ActorsModule,
      ProjectionsModule,
      scriptedEffectsModule(effects),
    ],
  })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  return moduleRef.init();
}

/** Every actor's state and context, keyed by stream (finished jobs folded again from their streams). */
async function statesOf(host: ActorHost) {
  const jobs = await Promise.all(Array.from({ length: JOBS }, (_, i) => host.find(JOB.streamId(`job${i}`))));
  const all = [...jobs.filter((job) => job !== undefined), ...host.list(WORKER), ...host.list(CONTROLLER)];
  return Object.fromEntries(
    all.map((a) => [
      a.streamId,
      { value: a.snapshot.value, context: a.snapshot.context, version: a.version },
    ]),
  );
}

/** What a boot must rebuild exactly: actors, read models, pending timers. */
async function rebuiltBy(moduleRef: TestingModule) {
  const host = moduleRef.get(ActorHost);
  return {
    states: await statesOf(host),
    jobs: moduleRef.get(JobsProjection).list({ offset: 0, limit: 1000 }),
    workers: moduleRef.get(WorkersProjection).list({ includeEnded: true }),
    timers: host
      .pendingTimers()
      .map(({ generation: _, ...timer }) => timer)
      .sort((a, b) => `${a.streamId} ${a.timerId}`.localeCompare(`${b.streamId} ${b.timerId}`)),
    owed: [...host.owedEffects()],
  };
}

/** A scripted, seeded mix of commands: scale out, start workers, upload, process with every outcome. */
async function runScript(host: ActorHost, clock: ManualClock, afterUploads = async () => {}): Promise<void> {
  const random = seededRandom(546);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const settle = () => host.settle();

  await host.dispatch('controller', { type: 'ControllerStarted', settings, cooldownMs: 20_000 });
  const observed = {
    visible: JOBS,
    inFlight: 0,
    workers: { pending: 0, running: 1, idle: 0, terminating: 0 }, // as if an always-on worker ran
    idleWorkers: [],
    pendingWorkers: [],
  };
  await host.dispatch('controller', { type: 'ScalingDecided', decision: decideScaling(observed, settings) });
  await settle();
  for (const worker of host.list(WORKER)) {
    await host.dispatch(worker.streamId, { type: 'WorkerStarted', instanceId: `pid-${worker.id}` });
  }
  for (let i = 0; i < JOBS; i++) {
    await host.dispatch(JOB.streamId(`job${i}`), {
      type: 'JobUploaded',
      jobId: `job${i}`,
      fileName: `img_${i}.jpg`,
      contentType: 'image/jpeg',
      sizeBytes: 1000 + i,
    });
  }
  await settle();
  await afterUploads();

  const busy = new Set<string>();
  for (let i = 0; i < JOBS; i++) {
    const free = host
      .list(WORKER)
      .filter((w) => !busy.has(w.id) && ['running', 'idle'].includes(w.snapshot.value as string));
    if (free.length === 0) break;
    const worker = pick(free);
    const job = JOB.streamId(`job${i}`);
    await host.dispatch(worker.streamId, { type: 'WorkerJobsStarted', jobs: [{ jobId: `job${i}` }] });
    await host.dispatch(job, { type: 'JobAttemptStarted', workerId: worker.id, attempt: 1 });
    const outcome = random();
    if (outcome >= 0.9 && busy.size < 2) {
      busy.add(worker.id); // still in flight when the host goes down
      continue;
    }
    if (outcome < 0.6 || outcome >= 0.9) {
      const result = {
        type: 'JobClassified',
        workerId: worker.id,
        label: 'tabby',
        top5: [{ label: 'tabby', probability: 0.9 }],
      };
      await host.dispatch(job, result);
      if (random() < 0.3) await host.dispatch(job, result); // an at-least-once duplicate
    } else if (outcome < 0.7) {
      await host.dispatch(job, { type: 'JobRejected', reason: 'undecodable image' });
    } else if (outcome < 0.85) {
      await host.dispatch(job, { type: 'JobAttemptFailed', workerId: worker.id, reason: 'worker crashed' });
    } else {
      await host.dispatch(job, { type: 'JobDeadLettered', reason: 'received 3 times' });
    }
    await host.dispatch(worker.streamId, { type: 'WorkerJobsFinished', jobIds: [`job${i}`] });
    await settle();
    clock.advance(Math.floor(random() * 3000)); // idle and cooldown timers fire along the way
    await settle();
  }
  clock.advance(6_000); // workers without a job go idle
  await settle();
  const idle = host.list(WORKER).find((w) => w.snapshot.value === 'idle');
  if (idle)
    await host.dispatch(idle.streamId, { type: 'WorkerTerminationRequested', reason: 'scripted scale-in' });
  await settle();
}

describe('exact replay of the event log', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'replay-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('rebuilds every job, worker and controller state from the SQLite log, running no effect twice', async () => {
    const clock = new ManualClock();
    const firstEffects: EffectCall[] = [];
    const first = await boot(dataDir, clock, firstEffects);
    const firstHost = first.get(ActorHost);
    await runScript(firstHost, clock);

    const before = await rebuiltBy(first);
    const { states, jobs, workers } = before;
    const events = await first.get(EventStore).lastPosition();
    await first.close();

    // The script reached every state the replay has to rebuild.
    const jobStates = new Set(jobs.items.map((j) => j.status));
    expect([...jobStates].sort()).toEqual(['failed', 'queued', 'rejected', 'reported']);
    expect(new Set(workers.map((w) => w.state))).toEqual(new Set(['running', 'idle', 'terminated']));
    expect(Object.keys(states)).toHaveLength(JOBS + WORKERS + 1);
    expect(firstEffects.filter((e) => e.type === 'launchWorker')).toHaveLength(WORKERS);

    const secondClock = new ManualClock(clock.now());
    const secondEffects: EffectCall[] = [];
    const second = await boot(dataDir, secondClock, secondEffects);
    const secondHost = second.get(ActorHost);

    expect(await rebuiltBy(second)).toEqual(before);
    expect(secondHost.replayStats).toMatchObject({ events, fromPosition: 0 });
    expect(secondEffects).toEqual([]);
    expect(await second.get(EventStore).lastPosition()).toBe(events);
    await second.close();
  });

  it('rebuilds the same from a checkpoint taken midway, folding only the events after it', async () => {
    const clock = new ManualClock();
    const first = await boot(dataDir, clock, [], { checkpoint: true });
    const midway = join(dataDir, 'midway.db');
    let midwayPosition = 0;
    await runScript(first.get(ActorHost), clock, async () => {
      first.get(Checkpoint).saveCopy(midway);
      midwayPosition = await first.get(EventStore).lastPosition();
    });
    const before = await rebuiltBy(first);
    const events = await first.get(EventStore).lastPosition();
    await first.close();

    // The checkpoint the first run left: nothing to fold.
    const effects: EffectCall[] = [];
    const fromLast = await boot(dataDir, new ManualClock(clock.now()), effects, { checkpoint: true });
    expect(fromLast.get(ActorHost).replayStats).toMatchObject({ fromPosition: events, events: 0 });
    expect(await rebuiltBy(fromLast)).toEqual(before);
    await fromLast.close();

    // The midway copy: the uploads are in it, the rest of the script is folded from the log.
    const { checkpoint } = localPaths(dataDir);
    ['', '-wal', '-shm'].forEach((suffix) => rmSync(`${checkpoint}${suffix}`, { force: true }));
    renameSync(midway, checkpoint);
    const fromMidway = await boot(dataDir, new ManualClock(clock.now()), effects, { checkpoint: true });
    const stats = fromMidway.get(ActorHost).replayStats;
    expect(midwayPosition).toBeGreaterThan(JOBS);
    expect(stats).toMatchObject({ fromPosition: midwayPosition, events: events - midwayPosition });
    expect(stats.restoredActors).toBe(JOBS + WORKERS + 1);
    expect(await rebuiltBy(fromMidway)).toEqual(before);
    expect(effects).toEqual([]);
    await fromMidway.close();
  });

  it('re-arms the timers that were pending: silent workers are found lost after the restart, once', async () => {
    const clock = new ManualClock();
    const first = await boot(dataDir, clock, []);
    await runScript(first.get(ActorHost), clock);
    const alive = first
      .get(WorkersProjection)
      .list()
      .map((w) => w.id);
    await first.close();

    const secondClock = new ManualClock(clock.now());
    const effects: EffectCall[] = [];
    const second = await boot(dataDir, secondClock, effects);
    secondClock.advance(600_000);
    await second.get(ActorHost).settle();

    const stops = effects.filter((e) => e.type === 'stopWorker');
    expect(stops.map((e) => e.params.workerId).sort()).toEqual([...alive].sort());
    expect(stops.every((e) => e.params.force === true)).toBe(true);
    const states = second.get(WorkersProjection).list({ includeEnded: true });
    expect(states.filter((w) => alive.includes(w.id)).map((w) => w.state)).toEqual(
      alive.map(() => 'terminated'),
    );
    expect(states.filter((w) => alive.includes(w.id)).map((w) => w.stopReason)).toEqual(
      alive.map(() => 'heartbeats stopped'),
    );
    await second.close();
  });
});
