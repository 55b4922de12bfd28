import { Test, TestingModule } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_SCALING, decideScaling } from '../state-machines/scaling-policy';
import { ActorHost } from '../src/actors/actor-host.service';
import { CONTROLLER, JOB, WORKER } from '../src/actors/actor-kinds';
import { ActorsModule } from '../src/actors/actors.module';
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

async function boot(dataDir: string, clock: ManualClock, effects: EffectCall[]): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(testConfig({ port: 0, dataDir })),
      EventsModule,
      eventLogModule(dataDir),
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

/** Every actor's state and context, keyed by stream. */
function statesOf(host: ActorHost) {
  const all = [...host.list(JOB), ...host.list(WORKER), ...host.list(CONTROLLER)];
  return Object.fromEntries(
    all.map((a) => [
      a.streamId,
      { value: a.snapshot.value, context: a.snapshot.context, version: a.version },
    ]),
  );
}

/** A scripted, seeded mix of commands: scale out, start workers, upload, process with every outcome. */
async function runScript(host: ActorHost, clock: ManualClock): Promise<void> {
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

  const busy = new Set<string>();
  for (let i = 0; i < JOBS; i++) {
    const free = host
      .list(WORKER)
      .filter((w) => !busy.has(w.id) && ['running', 'idle'].includes(w.snapshot.value as string));
    if (free.length === 0) break;
    const worker = pick(free);
    const job = JOB.streamId(`job${i}`);
    await host.dispatch(worker.streamId, { type: 'WorkerJobStarted', jobId: `job${i}` });
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
    await host.dispatch(worker.streamId, { type: 'WorkerJobFinished', jobId: `job${i}` });
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

    const states = statesOf(firstHost);
    const jobs = first.get(JobsProjection).list({ offset: 0, limit: 1000 });
    const workers = first.get(WorkersProjection).list({ includeEnded: true });
    const timers = firstHost.pendingTimers();
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

    expect(statesOf(secondHost)).toEqual(states);
    expect(second.get(JobsProjection).list({ offset: 0, limit: 1000 })).toEqual(jobs);
    expect(second.get(WorkersProjection).list({ includeEnded: true })).toEqual(workers);
    expect(secondHost.replayStats.events).toBe(events);
    expect(secondEffects).toEqual([]);
    expect(await second.get(EventStore).lastPosition()).toBe(events);
    expect(secondHost.pendingTimers().map(({ generation: _, ...t }) => t)).toEqual(
      timers.map(({ generation: _, ...t }) => t),
    );
    await second.close();
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
